/** Helpers of the alerts tests: stores with a manual clock, real HTTP receivers, a recording logger. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@process-summary/core';
import {
  createManualClock,
  hasErrorCode,
  type ManualClock,
  MemorySummaryStore,
  ProcessSummary,
  type SummaryStore,
} from '@process-summary/core';

export const T0 = 1_780_000_000;

/** A memory store (which keeps consumer state) with a manual clock. */
export function memoryStore(clock: ManualClock = createManualClock(T0)): {
  store: MemorySummaryStore;
  clock: ManualClock;
} {
  return { store: new MemorySummaryStore({ clock }), clock };
}

/** A store without the state capability (state then stays in memory). */
export function storeWithoutState(clock: ManualClock): SummaryStore {
  const store = new MemorySummaryStore({ clock });
  // The store's methods bound to it (they use private fields), without the state capability.
  const plain: Record<string, unknown> = {};
  for (const m of [
    'list',
    'read',
    'watch',
    'ownerStatus',
    'save',
    'events',
    'load',
    'acquire',
    'renew',
    'release',
    'archive',
    'remove',
  ] as const) {
    const fn = (store as unknown as Record<string, (...a: unknown[]) => unknown>)[m];
    plain[m] = fn?.bind(store);
  }
  return plain as unknown as SummaryStore;
}

/** A summary saved in `store`, changed by `change` first. */
export async function saveSummary(
  store: SummaryStore,
  clock: ManualClock,
  names: { run: string; process: string; worker?: string },
  change: (s: ProcessSummary) => void = () => {},
): Promise<ProcessSummary> {
  const summary = new ProcessSummary({
    runName: names.run,
    processName: names.process,
    worker: names.worker ?? null,
    clock,
  });
  summary.startProcess();
  change(summary);
  await store.save(summary);
  return summary;
}

/** A recorded HTTP request. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local HTTP receiver on 127.0.0.1 answering with `answer` (default 200). */
export interface Receiver {
  url: string;
  received: Received[];
  /** The status of the next answers, in order; afterwards 200. */
  statuses: number[];
  /** Requests are held unanswered while true. */
  hang: boolean;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const held: (() => void)[] = [];
  const receiver: Receiver = {
    url: '',
    received: [],
    statuses: [],
    hang: false,
    close: async () => {
      for (const release of held) release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      receiver.received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (receiver.hang) {
        held.push(() => res.destroy());
        return;
      }
      res.statusCode = receiver.statuses.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/** A logger that keeps every entry. */
export function recordingLogger(): Logger & {
  entries: { level: string; fields: Record<string, unknown>; message: string }[];
} {
  const entries: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    entries.push({ level, fields, message });
  };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** The error `fn` throws (or rejects with); fails when it does not. */
export async function caught(fn: () => unknown): Promise<Error & { code?: string }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected an error');
}

export { hasErrorCode };

/** Sleeps that return at once and record their lengths. */
export function instantSleep(): { sleep: (ms: number) => Promise<void>; slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    sleep: async (ms: number) => {
      slept.push(ms);
    },
  };
}
