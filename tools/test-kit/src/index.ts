/**
 * Helpers for tests that run real processes (crashes, signals, takeovers across pid
 * namespaces), shared by every package's tests so each behaviour is waited for one way.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A child process that prints one JSON object per line, with a way to wait for each event. */
export interface Child {
  child: ChildProcess;
  messages: Record<string, unknown>[];
  /** The first message of this event (rejects if the process ends first). */
  waitFor(event: string): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/**
 * Whether `unshare` can give a child its own pid namespace (and host name) here: as root on
 * Linux with util-linux. Tests that need another namespace say so and return when it cannot.
 */
export const canUnshare: boolean =
  process.platform === 'linux' &&
  spawnSync('unshare', ['--pid', '--fork', '--mount-proc', '--uts', 'true']).status === 0;

/**
 * The command prefix that runs a program in a new pid namespace (mounting its own /proc),
 * optionally under another host name. The program is pid 1 there, unless `asInit` is false:
 * then a shell is pid 1 and the program its child (a namespace's init ignores the signals it
 * sends itself, SIGSTOP included). `--kill-child`: killing unshare kills the namespace.
 */
export function inNamespace(
  command: string[],
  options: { hostName?: string; asInit?: boolean } = {},
): string[] {
  const base = ['unshare', '--pid', '--fork', '--kill-child', '--mount-proc'];
  const setHost = options.hostName === undefined ? '' : `hostname ${options.hostName} && `;
  // "; exit" keeps the shell from exec-ing the program in its place.
  const run = options.asInit === false ? '"$0" "$@"; exit $?' : 'exec "$0" "$@"';
  if (setHost === '' && options.asInit !== false) return [...base, ...command];
  return [
    ...base,
    ...(setHost === '' ? [] : ['--uts']),
    'sh',
    '-c',
    `${setHost}${run}`,
    ...command,
  ];
}

/** Starts `command` (argv) and collects its JSON lines. */
export function startChild(command: string[]): Child {
  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const messages: Record<string, unknown>[] = [];
  const waiters: {
    event: string;
    resolve: (m: Record<string, unknown>) => void;
    reject: (e: Error) => void;
  }[] = [];
  let buffer = '';
  let errText = '';
  let closed = false;
  child.stderr?.on('data', (chunk: Buffer) => {
    errText += chunk.toString();
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim() === '') continue;
      const message = JSON.parse(line) as Record<string, unknown>;
      messages.push(message);
      for (const waiter of [...waiters]) {
        if (waiter.event !== message.event) continue;
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close', not 'exit': by then stdout is drained, so no message is missed.
    child.on('close', (code, signal) => {
      closed = true;
      for (const waiter of waiters.splice(0)) {
        waiter.reject(new Error(`ended (${code ?? signal}) before "${waiter.event}": ${errText}`));
      }
      resolve({ code, signal });
    });
  });
  return {
    child,
    messages,
    exited,
    stderr: () => errText,
    waitFor(event) {
      const seen = messages.find((m) => m.event === event);
      if (seen) return Promise.resolve(seen);
      if (closed) return Promise.reject(new Error(`ended before "${event}": ${errText}`));
      return new Promise((resolve, reject) => waiters.push({ event, resolve, reject }));
    },
  };
}

/** The pid, in this namespace, of the program unshare runs: the last of its line of children. */
export function namespacedPid(unsharePid: number): number {
  let pid = unsharePid;
  for (;;) {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    if (children === '') break;
    pid = Number(children.split(' ')[0]);
  }
  if (pid === unsharePid) throw new Error(`no child of ${unsharePid}`);
  return pid;
}

/** Polls `check` until it holds; a hang guard (fails after `limitMs`), not a timing assertion. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  limitMs = 20_000,
): Promise<void> {
  for (let waited = 0; !(await check()); waited += 50) {
    if (waited > limitMs) throw new Error('condition never held');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
export * from './alertmanager.js';
export * from './postgres.js';
export * from './receivers.js';
