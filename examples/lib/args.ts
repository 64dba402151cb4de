import { parseArgs } from 'node:util';

/** Options every example takes: which run, and where summaries live. */
export const commonOptions = {
  run: { type: 'string', default: 'demo' },
  root: { type: 'string', default: 'runs' },
  fresh: { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

export function parse<const T extends Parameters<typeof parseArgs>[0]['options']>(
  options: T,
  usage: string,
) {
  const parsed = parseArgs({ options: { ...commonOptions, ...options }, allowPositionals: false });
  if (parsed.values.help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed.values;
}

/** A number option: refuses what is not one, with the option's name. */
export function numberOption(name: string, value: unknown): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a non-negative number, got ${String(value)}`);
    process.exit(2);
  }
  return n;
}
