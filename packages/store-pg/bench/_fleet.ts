/** The parent side of _worker.mjs: start worker processes, command them, follow their acks. */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** How long any step of a worker may take before the bench fails instead of hanging. */
export const HANG_LIMIT_MS = 120_000;

/** `promise`, or a rejection naming `what` once `limitMs` have passed (a hang guard). */
export function within<T>(promise: Promise<T>, what: string, limitMs = HANG_LIMIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${limitMs / 1000} s`)), limitMs);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Tells every worker to exit; one still there after 10 s is killed. */
export async function exitAll(workers: readonly WorkerProcess[]): Promise<void> {
  for (const w of workers) w.send('exit');
  await Promise.all(
    workers.map((w) =>
      within(w.closed, 'exit', 10_000).catch(() => {
        w.child.kill('SIGKILL');
        return w.closed;
      }),
    ),
  );
}

/** What a worker process (_worker.mjs) is told, as JSON in its argv[2]. */
export interface WorkerConfig {
  url: string;
  /** Contenders made ready: the store, the bare upsert, or both (alternated by the parent). */
  modes: ('store' | 'bare' | 'notify')[];
  /** The PgSummaryStore's schema. */
  schema: string;
  /** The bare upsert's table, schema-qualified, with a jsonb `doc` (and `<it>_notify` alike). */
  bareTable: string;
  /** Its ref; a standby (`worker` empty) waits for `take <worker>` on stdin to know it. */
  ref: { runName: string; processName: string; worker: string };
  staleAfterSeconds: number;
  /** Renew the lease this often (0: never; a run shorter than staleAfterSeconds needs none). */
  renewMs: number;
  /** Print `s` before each save, so the parent can kill a worker mid-save. */
  announceSaves: boolean;
  /** How long to keep retrying `acquire` while the previous owner's lease is still current. */
  acquireLimitMs: number;
}

export interface WorkerProcess {
  child: ChildProcess;
  config: WorkerConfig;
  /** `items_processed` of the last save it acknowledged (printed after the save resolved). */
  lastAck: number | null;
  acks: number;
  /** A save started (`s`) and not yet acknowledged, as far as its output says. */
  saveInFlight: boolean;
  messages: Record<string, unknown>[];
  /**
   * Called when all its output read so far ends with `s`: a save started and, as of this
   * read, not acknowledged. (A busy parent reads many lines at once; an `s` followed by its
   * `a` in the same read is a save already done.)
   */
  onMidSave: (() => void) | null;
  /** Its first message of `event`; rejects if it ends first or `limitMs` pass (a hang guard). */
  waitFor(event: string, limitMs?: number): Promise<Record<string, unknown>>;
  send(line: string): void;
  /** Resolves once the process has ended and its output is drained. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export function startWorker(config: WorkerConfig): WorkerProcess {
  const child = spawn(process.execPath, [join(here, '_worker.mjs'), JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
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
    onMidSave: null,
    waitFor(event, limitMs = HANG_LIMIT_MS) {
      const seen = worker.messages.find((m) => m.event === event);
      if (seen) return Promise.resolve(seen);
      if (ended) return Promise.reject(new Error(`${name()} ended before "${event}": ${errText}`));
      return new Promise((resolve, reject) => {
        const waiter = {
          event,
          resolve: (m: Record<string, unknown>) => {
            clearTimeout(timer);
            resolve(m);
          },
          reject: (e: Error) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`${name()}: no "${event}" within ${limitMs / 1000} s: ${errText}`));
        }, limitMs);
        waiters.push(waiter);
      });
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
    if (worker.saveInFlight) worker.onMidSave?.();
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

/**
 * The next `done` message of `worker` after the `count` it has already sent; fails when the
 * worker ends first or `limitMs` pass (a hang guard).
 */
export async function nextDone(
  worker: WorkerProcess,
  count: number,
  limitMs = HANG_LIMIT_MS,
): Promise<Record<string, unknown>> {
  const started = Date.now();
  for (;;) {
    if (Date.now() - started > limitMs) {
      throw new Error(
        `worker ${worker.config.ref.worker}: no "done" within ${limitMs / 1000} s: ${worker.stderr()}`,
      );
    }
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
