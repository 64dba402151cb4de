import { parseArgs } from 'node:util';

/** Options every example takes: which run, and where summaries live. */
export const commonOptions = {
  run: { type: 'string', default: 'demo' },
  root: { type: 'string', default: 'runs' },
  fresh: { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

type Options = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

export function parse<const T extends Options>(options: T, usage: string) {
  const parsed = parseArgs({
    options: { ...commonOptions, ...options } as Omit<typeof commonOptions, keyof T> & T,
    allowPositionals: false,
  });
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed.values;
}

/** A usage error: said on stderr, exit code 2, before anything is touched. */
export function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** A number option: refuses what is not one, with the option's name. */
export function numberOption(name: string, value: unknown): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    fail(`--${name} must be a non-negative number, got ${String(value)}`);
  return n;
}

/** An integer option of at least `min`. */
export function integerOption(name: string, value: unknown, min: number): number {
  const n = Number(value);
  if (value === '' || !Number.isInteger(n) || n < min) {
    fail(`--${name} must be an integer of at least ${min}, got ${String(value)}`);
  }
  return n;
}
