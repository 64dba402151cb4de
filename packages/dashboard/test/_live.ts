/**
 * Test helpers of the live hub: a real HTTP server serving `/stream` through a hub, a minimal
 * event-stream client over `http.get`, a store wrapper that counts (and can hold) reads, and
 * a logger that keeps what it was told.
 */
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from '@process-summary/core';
import {
  type Lease,
  ProcessSummary,
  type SummaryRef,
  type SummaryStore,
} from '@process-summary/core';
import { waitUntil } from '@process-summary/test-kit';
import { LiveHub, type LiveHubOptions } from '../src/live/hub.js';

export { waitUntil };

/** One event as a client parsed it. */
export interface ParsedEvent {
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: test data, inspected field by field
  data: any;
  /** The `data:` text exactly as sent. */
  raw: string;
}

/** An open event stream. */
export interface Stream {
  response: IncomingMessage;
  events: ParsedEvent[];
  comments: string[];
  retry: number | null;
  /** Resolves when the server ends (or cuts) the stream. */
  ended: Promise<void>;
  /** The next event (after the ones already taken) that `match` accepts; a hang guard of 20 s. */
  next(match?: (e: ParsedEvent) => boolean): Promise<ParsedEvent>;
  close(): void;
}

/** Opens `url` as an event stream; resolves once the response headers arrived. */
export function openStream(url: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const request = get(url, (response) => {
      const events: ParsedEvent[] = [];
      const comments: string[] = [];
      let taken = 0;
      let buffer = '';
      let wake: (() => void) | null = null;
      let done = false;
      const stream: Stream = {
        response,
        events,
        comments,
        retry: null,
        ended: new Promise((end) => {
          const finish = () => {
            done = true;
            wake?.();
            end();
          };
          response.on('end', finish);
          response.on('close', finish);
          response.on('error', finish);
        }),
        async next(match = () => true) {
          const limit = Date.now() + 20_000;
          for (;;) {
            while (taken < events.length) {
              const event = events[taken++] as ParsedEvent;
              if (match(event)) return event;
            }
            if (done) throw new Error('the stream ended before the event came');
            const waited = new Promise<void>((w) => {
              wake = w;
            });
            const timer = setTimeout(() => wake?.(), Math.max(0, limit - Date.now()));
            await waited;
            clearTimeout(timer);
            if (Date.now() >= limit && taken >= events.length) {
              throw new Error('no such event within 20 s');
            }
          }
        },
        close() {
          request.destroy();
        },
      };
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let type = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
            else if (line.startsWith('retry: ')) stream.retry = Number(line.slice(7));
          }
          if (data.length > 0) {
            const raw = data.join('\n');
            events.push({ type, data: JSON.parse(raw), raw });
          }
        }
        wake?.();
      });
      resolve(stream);
    });
    request.on('error', reject);
  });
}

/** A logger keeping every line. */
export function recordingLogger(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const at =
    (level: string) =>
    (_fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, message });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A hub behind a real HTTP server: `GET /stream[?run=&process=]`, 503 when the hub is full. */
export interface LiveServer {
  hub: LiveHub;
  server: Server;
  /** `http://127.0.0.1:PORT/stream`. */
  streamUrl: string;
  logger: ReturnType<typeof recordingLogger>;
  close(): Promise<void>;
}

export async function startLiveServer(
  store: SummaryStore,
  options: Partial<Omit<LiveHubOptions, 'store'>> = {},
): Promise<LiveServer> {
  const logger = recordingLogger();
  const hub = new LiveHub({
    store,
    logger,
    rowOptions: () => ({ now: Date.now() / 1000, staleAfterSeconds: 300 }),
    maxClients: 10,
    watchIntervalMs: 50,
    rejudgeIntervalMs: 100,
    ...options,
  });
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== '/stream') {
      response.writeHead(404).end();
      return;
    }
    const filter = {
      run: url.searchParams.get('run') ?? undefined,
      process: url.searchParams.get('process') ?? undefined,
    };
    if (!hub.attach(request, response, filter, { 'X-Extra': 'yes' })) {
      response.writeHead(503, { 'Content-Type': 'text/plain' }).end('full');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    hub,
    server,
    logger: logger,
    streamUrl: `http://127.0.0.1:${port}/stream`,
    async close() {
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Calls of the reader methods a wrapped store saw. */
export interface ReadCounts {
  list: number;
  read: number;
  readMany: number;
}

/**
 * `store` with its `list`, `read` and `readMany` counted; while `hold` is set, they wait for
 * it (a recompute that takes as long as the test wants).
 */
export function countingStore(store: SummaryStore): {
  store: SummaryStore;
  counts: ReadCounts;
  hold: Promise<void> | null;
  setHold(p: Promise<void> | null): void;
} {
  const counts: ReadCounts = { list: 0, read: 0, readMany: 0 };
  const state = {
    store: store,
    counts,
    hold: null as Promise<void> | null,
    setHold(p: Promise<void> | null) {
      state.hold = p;
    },
  };
  state.store = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property === 'list' || property === 'read' || property === 'readMany') {
        return async (...args: unknown[]) => {
          counts[property] += 1;
          if (state.hold !== null) await state.hold;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return state;
}

/** A summary owned (and saved) by this process. */
export interface Owned {
  summary: ProcessSummary;
  lease: Lease;
  save(): Promise<void>;
}

/** Acquires `ref` as this process and starts its summary (nothing saved yet). */
export async function own(store: SummaryStore, ref: SummaryRef): Promise<Owned> {
  const summary = new ProcessSummary({
    runName: ref.runName,
    processName: ref.processName,
    worker: ref.worker ?? null,
  });
  const { lease } = await store.acquire(ref);
  summary.startProcess({ host: hostname(), pid: process.pid });
  return { summary, lease, save: () => store.save(summary, lease) };
}
