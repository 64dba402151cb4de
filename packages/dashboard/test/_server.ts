/**
 * Test helpers of the server: stores of either kind (a file store in a temp directory, a
 * PostgreSQL store in a schema of its own) filled with the same runs through the owner side
 * (`acquire` + `save`), a dashboard server over them on port 0, and raw HTTP requests (not
 * `fetch`, which would normalize `..` out of a path before the server saw it).
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@process-summary/core';
import {
  createManualClock,
  type Lease,
  ProcessSummary,
  type SummaryRef,
  type SummaryStore,
} from '@process-summary/core';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
// The store's own test helper: a store in a schema of its own, dropped afterwards.
import { freshStore } from '../../store-pg/test/_helpers.js';
import type { DashboardOptions } from '../src/options.js';
import {
  createDashboardServer,
  type DashboardServer,
  type InternalServerOptions,
} from '../src/server.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The seed-format fixtures (written by the Python original). */
export const seedRuns = join(here, '..', '..', '..', 'fixtures', 'seed-format', 'runs');

/** A store the tests fill and the server reads. */
export interface TestStore {
  kind: 'file' | 'postgres';
  store: SummaryStore;
  /** The file store's root; `null` for PostgreSQL. */
  root: string | null;
  cleanup(): Promise<void>;
}

/** A file store in a fresh directory under the OS temp dir. */
export async function fileStore(): Promise<TestStore> {
  const root = mkdtempSync(join(tmpdir(), 'ps-dashboard-'));
  return {
    kind: 'file',
    store: new FileSummaryStore({ root, logger: silentLogger }),
    root,
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A PostgreSQL store (the test server of `testPostgres()`) in a schema of its own. */
export async function postgresStore(): Promise<TestStore> {
  const { store, drop } = await freshStore({ logger: silentLogger });
  return { kind: 'postgres', store, root: null, cleanup: drop };
}

/** Both kinds of store, for suites that must hold over any store. */
export const STORE_KINDS: readonly { name: 'file' | 'postgres'; open(): Promise<TestStore> }[] = [
  { name: 'file', open: fileStore },
  { name: 'postgres', open: postgresStore },
];

/** Start of the manual clocks, epoch seconds (2025-06-15). */
export const T0 = 1_750_000_000;

export const NIGHTLY: SummaryRef = { runName: 'nightly', processName: 'collect', worker: null };
export const LIVE: SummaryRef = { runName: 'live', processName: 'ingest', worker: null };
export const SHARD = (worker: string): SummaryRef => ({
  runName: 'sync',
  processName: 'push',
  worker,
});
/** A run name a browser would execute if it were ever treated as HTML. */
export const HOSTILE_RUN = '<img src=x onerror=alert(1)>&\u2028';
export const HOSTILE: SummaryRef = { runName: HOSTILE_RUN, processName: '<script>', worker: null };

/** The leases the fixtures keep (running summaries with a live owner: this process). */
export interface Written {
  held: Lease[];
}

/**
 * The runs every API test reads:
 * - `nightly/collect`: two sessions (the first ended by SIGTERM), 500 of 1,000 items, two error
 *   types, a journal of progress updates, completed;
 * - `sync/push@w1` (completed) and `sync/push@w2` (running, owned by this process): a process
 *   with workers, merged;
 * - `live/ingest`: running, owned by this process, saved now;
 * - a run and process with hostile names and messages.
 */
export async function writeRuns(store: SummaryStore): Promise<Written> {
  const held: Lease[] = [];
  {
    const clock = createManualClock(T0);
    const summary = new ProcessSummary({ ...NIGHTLY, clock });
    let { lease } = await store.acquire(NIGHTLY);
    summary.startProcess();
    summary.setItemsTotal(1000);
    for (let i = 1; i <= 3; i++) {
      clock.advance(10);
      summary.incrementItems({ processed: 100, successful: 98, failed: 2 });
      summary.addError('NetworkError', `Connection timeout ${i}`);
      summary.addProgressUpdate(`batch ${i}`, { batch: i });
      await store.save(summary, lease);
    }
    summary.markInterrupted({ reason: 'signal', signal: 'SIGTERM' });
    await store.save(summary, lease);
    await store.release(lease);
    clock.advance(60);
    ({ lease } = await store.acquire(NIGHTLY));
    summary.startProcess();
    for (let i = 4; i <= 5; i++) {
      clock.advance(10);
      summary.incrementItems({ processed: 100, successful: 100 });
      summary.addError('ValidationError', `Invalid barcode ${i}`);
      summary.addProgressUpdate(`batch ${i}`, { batch: i });
      await store.save(summary, lease);
    }
    summary.setCustomMetric('storage_type', 'minio');
    summary.endProcess();
    await store.save(summary, lease);
    await store.release(lease);
  }
  for (const worker of ['w1', 'w2']) {
    const ref = SHARD(worker);
    const summary = new ProcessSummary({ ...ref, worker });
    const { lease } = await store.acquire(ref);
    summary.startProcess();
    summary.setItemsTotal(100);
    summary.incrementItems({
      processed: worker === 'w1' ? 40 : 7,
      successful: worker === 'w1' ? 40 : 6,
      failed: worker === 'w1' ? 0 : 1,
    });
    if (worker === 'w2') summary.addError('TimeoutError', 'slow shard');
    if (worker === 'w1') summary.endProcess();
    await store.save(summary, lease);
    if (worker === 'w1') await store.release(lease);
    else held.push(lease);
  }
  {
    const summary = new ProcessSummary({ ...LIVE });
    const { lease } = await store.acquire(LIVE);
    summary.startProcess();
    summary.incrementItems({ processed: 3, successful: 3 });
    await store.save(summary, lease);
    held.push(lease);
  }
  {
    const summary = new ProcessSummary({ ...HOSTILE, clock: createManualClock(T0) });
    const { lease } = await store.acquire(HOSTILE);
    summary.startProcess();
    summary.incrementItems({ processed: 1, failed: 1 });
    summary.addError('<b>Bold</b>', '</script><script>alert(1)</script>');
    summary.setCustomMetric('<svg onload=alert(1)>', '\u2029&amp;');
    summary.endProcess();
    await store.save(summary, lease);
    await store.release(lease);
  }
  return { held };
}

/** Copies the seed-format fixtures into a file store's root. */
export function copySeedFixtures(root: string): void {
  cpSync(seedRuns, root, { recursive: true });
}

/** A logger keeping every line. */
export function recordingLogger(): Logger & {
  lines: { level: string; message: string; fields: Record<string, unknown> }[];
} {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, message, fields });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A listening dashboard over `store`. */
export interface Running {
  server: DashboardServer;
  /** The URL `listen` resolved (with the base path). */
  url: string;
  /** `http://host:port` without the base path. */
  origin: string;
  logger: ReturnType<typeof recordingLogger>;
  close(): Promise<void>;
}

/** Starts a dashboard on 127.0.0.1, port 0. */
export async function startServer(
  store: SummaryStore,
  options: Partial<DashboardOptions> = {},
  internal: InternalServerOptions = {},
): Promise<Running> {
  const logger = recordingLogger();
  const server = createDashboardServer({ store, port: 0, logger, ...options }, internal);
  const url = await server.listen();
  return { server, url, origin: new URL(url).origin, logger, close: () => server.close() };
}

/** An answer as received. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test data, inspected field by field
  json(): any;
}

/** One request with the path sent exactly as given (no normalization of `..` or `%2e`). */
export function raw(
  origin: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        method: options.method ?? 'GET',
        path,
        headers: {
          ...(options.body === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(options.body)) }),
          ...options.headers,
        },
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body,
            text,
            json: () => JSON.parse(text),
          });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    if (options.body !== undefined) request.write(options.body);
    request.end();
  });
}

/** Sends `text` as it is on a new connection; resolves everything the server sent back. */
export function rawSocket(origin: string, text: string): Promise<string> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname.replace(/^\[|\]$/g, ''), () =>
      socket.write(text),
    );
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
  });
}

/** Every file under `dir` with its size, mtime and content hash (to prove nothing changed). */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else {
        const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
        out[path.slice(dir.length)] = `${stat.size} ${stat.mtimeMs} ${hash}`;
      }
    }
  };
  walk(dir);
  return out;
}

/** The JSON text of `value` as it parses back (drops `undefined` fields, as the wire does). */
export function wire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The security headers every answer must carry. */
export const EXPECTED_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
