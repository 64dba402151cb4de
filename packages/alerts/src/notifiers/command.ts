/**
 * A program run without a shell: argv as given (no word splitting, no `$(…)`, no globbing),
 * the notification as JSON on stdin and its main fields in `PROCESS_SUMMARY_ALERT_*`
 * environment variables. A non-zero exit, a signal or the timeout (the process is killed) is a
 * failed attempt, retried like any other.
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
        // NUL cannot travel in an environment variable; strip it rather than fail the page.
        const env = { ...process.env };
        for (const [key, value] of Object.entries(commandEnv(n)))
          env[key] = value.replaceAll('\0', '');
        const child = spawn(program, args, {
          shell: false,
          stdio: ['pipe', 'ignore', 'pipe'],
          env,
          signal,
          killSignal: 'SIGKILL',
        });
        let stderr = '';
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk: string) => {
          if (stderr.length < STDERR_KEPT) stderr += chunk.slice(0, STDERR_KEPT - stderr.length);
        });
        let failure: Error | null = null;
        child.on('error', (err) => {
          failure ??= signal.aborted
            ? new Error(`${program}: killed (timeout or alerter closing)`)
            : new Error(
                `${program}: cannot run (${(err as NodeJS.ErrnoException).code ?? err.message})`,
              );
        });
        // A program that exits without reading stdin closes the pipe: not a failure by itself.
        child.stdin.on('error', () => {});
        child.stdin.end(`${JSON.stringify(n)}\n`);
        child.on('close', (code, sig) => {
          if (failure !== null) return reject(failure);
          if (code === 0) return resolve();
          const why = sig !== null ? `killed by ${sig}` : `exited with ${code}`;
          const tail = stderr.trim() === '' ? '' : `: ${JSON.stringify(stderr.trim().slice(-500))}`;
          reject(new Error(`${program} ${why}${tail}`));
        });
      });
    },
  };
}
