/**
 * A program run without a shell: argv as given (no word splitting, no `$(…)`, no globbing),
 * the notification as JSON on stdin and its main fields in `PROCESS_SUMMARY_ALERT_*`
 * environment variables. A non-zero exit, a signal or the timeout (the process is killed) is a
 * failed attempt, retried like any other. It runs in its own process group: the timeout kills
 * what it started too. Done when it exits (not when every pipe closes: a helper it left in
 * the background may hold one).
 */
import { spawn } from 'node:child_process';
import type { Notification, Notifier } from '../notification.js';

/** Options of {@link commandNotifier}. */
export interface CommandNotifierOptions {
  name: string;
  /** The program and its arguments. */
  argv: readonly string[];
  timeoutSeconds?: number;
  maxAttempts?: number;
}

/** The environment variables a command gets (besides the alerter's own environment). */
export function commandEnv(n: Notification): Record<string, string> {
  return {
    PROCESS_SUMMARY_ALERT_STATUS: n.status,
    PROCESS_SUMMARY_ALERT_RULE: n.rule,
    PROCESS_SUMMARY_ALERT_SEVERITY: n.severity,
    PROCESS_SUMMARY_ALERT_RUN: n.run,
    PROCESS_SUMMARY_ALERT_PROCESS: n.process,
    PROCESS_SUMMARY_ALERT_WORKER: n.worker ?? '',
    PROCESS_SUMMARY_ALERT_FINGERPRINT: n.fingerprint,
    PROCESS_SUMMARY_ALERT_VALUE: n.value === null ? '' : String(n.value),
    PROCESS_SUMMARY_ALERT_SUMMARY: n.annotations.summary ?? '',
  };
}

const STDERR_KEPT = 2000;
/**
 * Largest value of one PROCESS_SUMMARY_ALERT_* variable, UTF-16 units. Linux refuses a single
 * environment string over 128 KiB (E2BIG: the page would never go out); the whole
 * notification is on stdin anyway.
 */
export const MAX_ENV_VALUE = 32 * 1024;

/** The environment of one run: NUL stripped (it cannot travel), each value capped. */
export function commandEnvFor(n: Notification): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(commandEnv(n))) {
    const clean = value.replaceAll('\0', '');
    out[key] = clean.length <= MAX_ENV_VALUE ? clean : `${clean.slice(0, MAX_ENV_VALUE - 1)}…`;
  }
  return out;
}

/** Kills the program and whatever it started (its process group), best effort. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** A command notifier. */
export function commandNotifier(options: CommandNotifierOptions): Notifier {
  const [program, ...args] = options.argv as [string, ...string[]];
  return {
    name: options.name,
    ...(options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    send(n, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(new Error(`${program}: not started (aborted)`));
        const env = { ...process.env, ...commandEnvFor(n) };
        // Its own process group, so the timeout kills what it started in the background too.
        const child = spawn(program, args, {
          shell: false,
          stdio: ['pipe', 'ignore', 'pipe'],
          env,
          detached: true,
        });
        let settled = false;
        const onAbort = () => {
          killGroup(child.pid);
          finish(new Error(`${program}: killed (timeout or alerter closing)`));
        };
        const finish = (error: Error | null) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          // A background helper may hold stderr open for hours: stop reading it.
          child.stderr?.destroy();
          if (error === null) resolve();
          else reject(error);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        let stderr = '';
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk: string) => {
          if (stderr.length < STDERR_KEPT) stderr += chunk.slice(0, STDERR_KEPT - stderr.length);
        });
        child.stderr.on('error', () => {});
        child.on('error', (err) => {
          finish(
            new Error(
              `${program}: cannot run (${(err as NodeJS.ErrnoException).code ?? err.message})`,
            ),
          );
        });
        // A program that exits without reading stdin closes the pipe: not a failure by itself.
        child.stdin.on('error', () => {});
        child.stdin.end(`${JSON.stringify(n)}\n`);
        // 'exit', not 'close': a helper it left running in the background may hold stderr.
        child.on('exit', (code, sig) => {
          if (code === 0) return finish(null);
          const why = sig !== null ? `killed by ${sig}` : `exited with ${code}`;
          // What it wrote before exiting is read by now, or nearly: give the pipe one turn.
          setImmediate(() => {
            const tail =
              stderr.trim() === '' ? '' : `: ${JSON.stringify(stderr.trim().slice(-500))}`;
            finish(new Error(`${program} ${why}${tail}`));
          });
        });
      });
    },
  };
}
