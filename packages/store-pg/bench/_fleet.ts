/** The parent side of _worker.ts: start worker processes, command them, follow their acks. */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerConfig } from './_worker.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  config: WorkerConfig;
  /** `items_processed` of the last save it acknowledged (printed after the save resolved). */
  lastAck: number | null;
  acks: number;
  /** A save started (`s`) and not yet acknowledged, as far as its output says. */
  saveInFlight: boolean;
  messages: Record<string, unknown>[];
  /** Called on each `s` line (a save started). */
  onSaveStart: (() => void) | null;
  waitFor(event: string): Promise<Record<string, unknown>>;
  send(line: string): void;
  /** Resolves once the process has ended and its output is drained. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export function startWorker(config: WorkerConfig): WorkerProcess {
  // The worker runs through tsx like this bench, but imports the built packages (dist).
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, '_worker.ts'), JSON.stringify(config)],
    {
      cwd: join(here, '..'),
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let buffer = '';
  let errText = '';
  let ended = false;
  const waiters: {
    event: string;
    resolve: (m: Record<string, unknown>) => void;
    reject: (e: Error) => void;
  }[] = [];
  const worker: WorkerProcess = {
    child,
    config,
    lastAck: null,
    acks: 0,
    saveInFlight: false,
    messages: [],
    onSaveStart: null,
    waitFor(event) {
      const seen = worker.messages.find((m) => m.event === event);
      if (seen) return Promise.resolve(seen);
      if (ended) return Promise.reject(new Error(`${name()} ended before "${event}": ${errText}`));
      return new Promise((resolve, reject) => waiters.push({ event, resolve, reject }));
    },
    send(line) {
      if (!ended && child.stdin?.writable) child.stdin.write(`${line}\n`);
    },
    closed: new Promise((resolve) => {
      child.on('close', (code, signal) => {
        ended = true;
        for (const waiter of waiters.splice(0)) {
          waiter.reject(
            new Error(`${name()} ended (${code ?? signal}) before "${waiter.event}": ${errText}`),
          );
        }
        resolve({ code, signal });
      });
    }),
    stderr: () => errText,
  };
  const name = () => `worker ${config.ref.worker} (pid ${child.pid})`;
  child.stdin?.on('error', () => {});
  child.stderr?.on('data', (chunk: Buffer) => {
    errText += chunk.toString();
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.startsWith('a ')) {
        worker.lastAck = Number(line.slice(2));
        worker.acks += 1;
        worker.saveInFlight = false;
      } else if (line === 's') {
        worker.saveInFlight = true;
        worker.onSaveStart?.();
      } else if (line.trim() !== '') {
        const message = JSON.parse(line) as Record<string, unknown>;
        worker.messages.push(message);
        if (message.event === 'error') {
          errText += `\n${JSON.stringify(message)}`;
        }
        for (const waiter of [...waiters]) {
          if (waiter.event !== message.event) continue;
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(message);
        }
      }
    }
  });
  return worker;
}

/** Waits for every worker's `ready`; fails loudly with the first worker's error. */
export async function allReady(workers: readonly WorkerProcess[]): Promise<void> {
  await Promise.all(workers.map((w) => w.waitFor('ready')));
}

/** Latency percentiles over every worker's `done` of one `go`, and saves per second. */
export function runTotals(dones: readonly Record<string, unknown>[]): {
  saves: number;
  perSecond: number;
  latencies: number[];
} {
  let saves = 0;
  let perSecond = 0;
  const latencies: number[] = [];
  for (const done of dones) {
    const mine = done.latencies as number[];
    saves += mine.length;
    perSecond += mine.length / ((done.elapsedMs as number) / 1000);
    for (const ns of mine) latencies.push(ns);
  }
  latencies.sort((a, b) => a - b);
  return { saves, perSecond, latencies };
}

/** The next `done` message of `worker` after the `count` it has already sent. */
export async function nextDone(
  worker: WorkerProcess,
  count: number,
): Promise<Record<string, unknown>> {
  for (;;) {
    const dones = worker.messages.filter((m) => m.event === 'done');
    if (dones.length > count) return dones[count] as Record<string, unknown>;
    const ended = await Promise.race([
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 50)),
      worker.closed.then(() => true),
    ]);
    if (ended && worker.messages.filter((m) => m.event === 'done').length <= count) {
      throw new Error(
        `worker ${worker.config.ref.worker} ended before finishing: ${worker.stderr()}`,
      );
    }
  }
}
