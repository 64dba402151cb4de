/**
 * The entry point of `summary-inspect`: parses the command line, runs one command, and is
 * the one place that turns errors into exit codes and one-line messages on stderr.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_FILE_BYTES } from '@process-summary/store-fs';
import { runAggregate } from './commands/aggregate.js';
import { runCheck, unknownLine } from './commands/check.js';
import { runEvents } from './commands/events.js';
import { runExport } from './commands/export.js';
import { runList } from './commands/list.js';
import { runRepair } from './commands/repair.js';
import { runShow } from './commands/show.js';
import { runValidate } from './commands/validate.js';
import { runWatch } from './commands/watch.js';
import type { Context } from './context.js';
import { CliError, EXIT, exitCodeFor } from './errors.js';
import { COMMAND_HELP, commandHelp, mainHelp } from './help.js';
import { parseDuration, parseNumber } from './parse.js';
import { createColors, shouldColor } from './render/color.js';
import { escapeControl } from './render/format.js';
import { DEFAULT_STALE_AFTER_SECONDS } from './status.js';

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

const GLOBAL_OPTIONS: OptionSpec = {
  root: { type: 'string' },
  json: { type: 'boolean' },
  'stale-after': { type: 'string' },
  'max-file-bytes': { type: 'string' },
  'no-color': { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
};

type Command = (context: Context) => Promise<number>;

const COMMANDS: Readonly<
  Record<string, { run: Command; options: OptionSpec; longRunning?: boolean }>
> = {
  list: { run: runList, options: {} },
  show: { run: runShow, options: {} },
  watch: { run: runWatch, options: { interval: { type: 'string' } }, longRunning: true },
  validate: { run: runValidate, options: {} },
  check: {
    run: runCheck,
    options: {
      'max-error-rate': { type: 'string' },
      'max-failed': { type: 'string' },
      'min-rate': { type: 'string' },
      'require-completed': { type: 'boolean' },
    },
  },
  aggregate: {
    run: runAggregate,
    options: { process: { type: 'string' }, since: { type: 'string' } },
  },
  export: { run: runExport, options: { format: { type: 'string' } } },
  events: {
    run: runEvents,
    options: { follow: { type: 'boolean', short: 'f' } },
    longRunning: true,
  },
  repair: { run: runRepair, options: {} },
};

const VALUE_OPTIONS = new Set(['--root', '--stale-after', '--max-file-bytes']);

/** The command named on the command line (the first non-option word), and the rest. */
function splitCommand(argv: string[]): { command: string; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (VALUE_OPTIONS.has(arg)) i += 1;
      continue;
    }
    if (arg in COMMANDS) return { command: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
    // A first word that is not a command: "summary-inspect harvard_2024" means list? No:
    // it is a usage error, named precisely.
    throw new CliError(
      'E_USAGE',
      `unknown command "${arg}" (commands: ${Object.keys(COMMANDS).join(', ')})`,
    );
  }
  return { command: 'list', rest: argv };
}

function version(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  const { command, rest } = splitCommand(argv);
  const spec = COMMANDS[command];
  if (spec === undefined) throw new CliError('E_USAGE', `unknown command "${command}"`);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...GLOBAL_OPTIONS, ...spec.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    // parseArgs appends advice about `--` that does not help here: keep the first sentence.
    const first = (err as Error).message.split(/\n|\. To specify/)[0];
    throw new CliError('E_USAGE', `${first} (see --help)`, { cause: err });
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  if (values.help) {
    const explicit = argv.some((a) => a in COMMAND_HELP);
    process.stdout.write(`${explicit ? commandHelp(command) : mainHelp()}\n`);
    return EXIT.ok;
  }
  const env = process.env;
  const root = (values.root as string | undefined) ?? (env.PROCESS_SUMMARY_ROOT || 'runs');
  const isTty = process.stdout.isTTY === true;
  const controller = new AbortController();
  if (spec.longRunning) {
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  const context: Context = {
    root,
    json: values.json === true,
    colors: createColors(shouldColor(isTty, env, values['no-color'] === true)),
    isTty,
    staleAfterSeconds:
      values['stale-after'] === undefined
        ? DEFAULT_STALE_AFTER_SECONDS
        : parseDuration('stale-after', values['stale-after'] as string),
    maxFileBytes:
      values['max-file-bytes'] === undefined
        ? DEFAULT_MAX_FILE_BYTES
        : parseNumber('max-file-bytes', values['max-file-bytes'] as string),
    args: parsed.positionals,
    options: values,
    write: (text) => {
      process.stdout.write(text);
    },
    warn: (line) => {
      process.stderr.write(`summary-inspect: ${line}\n`);
    },
    now: () => Date.now() / 1000,
    signal: controller.signal,
  };
  return spec.run(context);
}

// A closed pipe (`summary-inspect list | head`) is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const argv = process.argv.slice(2);
const debug = argv.includes('--debug');
try {
  process.exitCode = await main(argv);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  // A check that cannot be made is UNKNOWN (3), with its status line on stdout, whatever
  // went wrong: that is what a Nagios-style monitor reads.
  const isCheck = argv.find((a) => a in COMMANDS) === 'check';
  if (isCheck) process.stdout.write(unknownLine(message.split('\n')[0] ?? message));
  // One line, escaped: an error message may quote a hostile file name or value.
  process.stderr.write(`summary-inspect: ${escapeControl(message.split('\n')[0] ?? message)}\n`);
  if (debug && err instanceof Error && err.stack !== undefined) {
    process.stderr.write(`${err.stack}\n`);
  }
  process.exitCode = isCheck ? 3 : exitCodeFor(err);
}
