/**
 * The entry point of `summary-inspect`: parses the command line, runs one command, and is
 * the one place that turns errors into exit codes and one-line messages on stderr.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_STALE_AFTER_SECONDS } from '@process-summary/inspect';
import { DEFAULT_MAX_FILE_BYTES } from '@process-summary/store-fs';
import { COMMANDS, findCommand } from './commands/index.js';
import type { Context } from './context.js';
import { CliError, EXIT, exitCodeFor } from './errors.js';
import { GLOBAL_OPTIONS } from './global-options.js';
import { commandHelp, mainHelp } from './help.js';
import { parseNumber, parsePositiveDuration } from './parse.js';
import { createColors, shouldColor } from './render/color.js';
import { escapeControl } from './render/format.js';
import { parseArgsOptions } from './spec.js';
import { chooseStore, openStore, storeLabel } from './store-option.js';

/** Global options that take a value: the word after them is not the command. */
const VALUE_OPTIONS = new Set(
  GLOBAL_OPTIONS.filter((o) => o.type === 'string').map((o) => `--${o.name}`),
);
const COMMAND_NAMES = COMMANDS.map((c) => c.spec.name);

/** The command named on the command line (the first non-option word), and the rest. */
function splitCommand(argv: string[]): { command: string; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (VALUE_OPTIONS.has(arg)) i += 1;
      continue;
    }
    if (COMMAND_NAMES.includes(arg))
      return { command: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
    // A first word that is not a command: "summary-inspect harvard_2024" means list? No:
    // it is a usage error, named precisely.
    throw new CliError(
      'E_USAGE',
      `unknown command "${arg}" (commands: ${COMMAND_NAMES.join(', ')})`,
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
  const found = findCommand(command);
  if (found === undefined) throw new CliError('E_USAGE', `unknown command "${command}"`);
  const { spec } = found;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: parseArgsOptions([...GLOBAL_OPTIONS, ...spec.options]),
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
    const explicit = argv.some((a) => COMMAND_NAMES.includes(a));
    process.stdout.write(`${explicit ? commandHelp(command) : mainHelp()}\n`);
    return EXIT.ok;
  }
  const env = process.env;
  const choice = chooseStore(
    { store: values.store as string | undefined, root: values.root as string | undefined },
    env,
  );
  const isTty = process.stdout.isTTY === true;
  const controller = new AbortController();
  if (spec.longRunning) {
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  const maxFileBytes =
    values['max-file-bytes'] === undefined
      ? DEFAULT_MAX_FILE_BYTES
      : parseNumber('max-file-bytes', values['max-file-bytes'] as string);
  const opened = await openStore(choice, { maxFileBytes });
  const context: Context = {
    store: opened.store,
    storeLabel: storeLabel(choice),
    storeChoice: choice,
    ...(opened.setAside === undefined ? {} : { setAside: opened.setAside }),
    ...(opened.oddFiles === undefined ? {} : { oddFiles: opened.oddFiles }),
    json: values.json === true,
    colors: createColors(shouldColor(isTty, env, values['no-color'] === true)),
    isTty,
    staleAfterSeconds:
      values['stale-after'] === undefined
        ? DEFAULT_STALE_AFTER_SECONDS
        : parsePositiveDuration('stale-after', values['stale-after'] as string),
    maxFileBytes,
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
  try {
    return await found.run(context);
  } finally {
    // A database store's pool: ended so the process exits now, not when the pool idles out.
    await opened.close().catch(() => {}); // nothing of the user's is lost when it fails
  }
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
  const isCheck = argv.find((a) => COMMAND_NAMES.includes(a)) === 'check';
  if (isCheck) {
    const { unknownLine } = await import('./commands/check/run.js');
    process.stdout.write(unknownLine(message.split('\n')[0] ?? message));
  }
  // One line, escaped: an error message may quote a hostile file name or value.
  process.stderr.write(`summary-inspect: ${escapeControl(message.split('\n')[0] ?? message)}\n`);
  if (debug && err instanceof Error && err.stack !== undefined) {
    process.stderr.write(`${err.stack}\n`);
  }
  process.exitCode = isCheck ? 3 : exitCodeFor(err);
}
