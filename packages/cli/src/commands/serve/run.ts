/**
 * `summary-inspect serve`: the dashboard of `@process-summary/dashboard` over the store the
 * command line names, until SIGINT/SIGTERM. What it serves and how is the dashboard's; this
 * file turns the command line into its options, reads the token file, and turns a failure to
 * listen into a message that says what to do.
 */
import { closeSync, constants, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { ProcessSummaryError } from '@process-summary/core';
import { createDashboardServer } from '@process-summary/dashboard';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { cliLogger } from '../../logger.js';
import { escapeControl } from '../../render/format.js';

const DEFAULT_PORT = 4177;
/** A token is a line, not a document: anything longer is the wrong file. */
const MAX_TOKEN_FILE_BYTES = 4096;

function parsePort(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PORT;
  const trimmed = text.trim();
  const port = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || port > 65_535) {
    throw new CliError('E_USAGE', `--port expects a port number from 0 to 65535, got "${text}"`);
  }
  return port;
}

/**
 * The token in `path`: its one line without the line break. Refused when the file is missing,
 * unreadable, not a regular file (a FIFO would block the start), empty or more than one word.
 * Read before anything listens, so a mistake never leaves a server up without its token.
 */
export function readTokenFile(path: string, warn: (line: string) => void): string {
  const shown = escapeControl(path);
  if (path.trim() === '') throw new CliError('E_USAGE', '--token-file is empty');
  let fd: number;
  try {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new CliError('E_NOT_FOUND', `--token-file ${shown}: no such file`, { cause: err });
    }
    throw new CliError(
      'E_UNREADABLE',
      `--token-file ${shown} cannot be read (${code ?? (err as Error).message})`,
      { cause: err },
    );
  }
  let text: string;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw new CliError('E_UNREADABLE', `--token-file ${shown} is not a regular file`);
    }
    if (stat.size > MAX_TOKEN_FILE_BYTES) {
      throw new CliError(
        'E_USAGE',
        `--token-file ${shown} is ${stat.size} bytes: a token file holds one line (at most ${MAX_TOKEN_FILE_BYTES} bytes)`,
      );
    }
    // As ssh does with a private key: say so, since anyone who can read it can read every run.
    if ((stat.mode & 0o077) !== 0) {
      warn(
        `warning: --token-file ${shown} is accessible by group or others (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}); chmod 600 ${shown}`,
      );
    }
    const bytes = Buffer.alloc(MAX_TOKEN_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, bytes, length, bytes.length - length, null);
      if (n === 0 || length + n >= bytes.length) {
        length += n;
        break;
      }
      length += n;
    }
    text = bytes.subarray(0, length).toString('utf8');
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(
      'E_UNREADABLE',
      `--token-file ${shown} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      { cause: err },
    );
  } finally {
    closeSync(fd);
  }
  const token = text.replace(/[\r\n]+$/, '');
  if (token === '') {
    throw new CliError(
      'E_USAGE',
      `--token-file ${shown} is empty: put the token on its first line (e.g. openssl rand -hex 32 > ${shown})`,
    );
  }
  // A bearer header and a basic-auth password carry one word of visible characters.
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new CliError(
      'E_USAGE',
      `--token-file ${shown} must hold one word of printable ASCII on one line (no spaces, no second line)`,
    );
  }
  return token;
}

/** Why listening failed, in words that say what to do; the system error stays the cause. */
function listenError(err: unknown, host: string, port: number): Error {
  const code =
    (err as { code?: unknown }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
  switch (code) {
    case 'EADDRINUSE':
      return new ProcessSummaryError(
        'E_IO',
        `port ${port} is in use; pick another with --port (or --port 0 for any free one)`,
        { cause: err },
      );
    case 'EACCES':
      return new ProcessSummaryError(
        'E_IO',
        `not allowed to listen on port ${port} of ${escapeControl(host)} (ports below 1024 need privileges); pick another with --port`,
        { cause: err },
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ProcessSummaryError(
        'E_IO',
        `cannot listen on --host ${escapeControl(host)}: not an address of this machine`,
        { cause: err },
      );
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Serves the dashboard until SIGINT/SIGTERM, then closes it (and main closes the store). */
export async function runServe(context: Context): Promise<number> {
  if (context.args.length > 0) {
    throw new CliError(
      'E_USAGE',
      `serve takes no arguments (got "${escapeControl(context.args[0] ?? '')}"); name the store with --root or --store`,
    );
  }
  const options = context.options;
  const port = parsePort(options.port as string | undefined);
  const host = (options.host as string | undefined) ?? '127.0.0.1';
  const basePath = (options['base-path'] as string | undefined) ?? '/';
  const tokenFile = options['token-file'] as string | undefined;
  const token = tokenFile === undefined ? null : readTokenFile(tokenFile, context.warn);
  const rulesFile = options.rules as string | undefined;
  if (rulesFile === undefined && options['state-key'] !== undefined) {
    throw new CliError(
      'E_USAGE',
      '--state-key is the alert state of --rules: give --rules FILE too',
    );
  }
  // The alerts package is loaded only for --rules; the file is refused before anything listens.
  const alerts = rulesFile === undefined ? null : await import('../alert/rules.js');
  const rules = alerts === null ? null : await alerts.loadRules(rulesFile, 'serve');
  // Validates every option (host without a token, base path) before anything listens.
  const server = createDashboardServer({
    store: context.store,
    storeLabel: context.storeLabel,
    host,
    port,
    basePath,
    token,
    insecure: options.insecure === true,
    staleAfterSeconds: context.staleAfterSeconds,
    logger: cliLogger(context),
  });
  // Not an error: a dashboard may well be started before the first pipeline creates its root.
  if (context.storeChoice.kind === 'file' && !existsSync(context.storeChoice.root)) {
    context.warn(
      `warning: ${escapeControl(context.storeChoice.root)} does not exist yet; runs show as pipelines create them`,
    );
  }
  const alerter =
    alerts === null || rules === null
      ? null
      : alerts.alerterFor(context, rules, options['state-key'] as string | undefined);
  let url: string;
  try {
    url = await server.listen();
  } catch (err) {
    await server.close().catch(() => {});
    await alerter?.close().catch(() => {});
    throw listenError(err, host, port);
  }
  let failure: { error: unknown } | null = null;
  try {
    // The URL line comes once both run: a script waiting for it may count on the alerts too.
    if (alerter !== null && rules !== null && alerts !== null) {
      await alerter.start();
      context.write(`alerting: ${alerts.describeRules(rules)}\n`);
    }
    context.write(`dashboard: ${url} (Ctrl-C stops)\n`);
    await aborted(context.signal);
  } catch (err) {
    failure = { error: err };
  }
  // Both, whichever fails: neither may keep the process alive after the other stopped.
  const closed = await Promise.allSettled([server.close(), alerter?.close()]);
  if (failure !== null) throw failure.error;
  const rejected = closed.find((r) => r.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
  return EXIT.ok;
}
