/**
 * Review of the live hub (src/live/hub.ts) over real HTTP:
 * - a save made after the page's fetch (the one on `hello`) but before the hub's store watch
 *   is established is never streamed: the hub writes `hello` first and only then starts
 *   `store.watch`, whose LISTEN (PostgreSQL) takes a connection, a registration and a first
 *   snapshot (the test holds that start until the save is made, which makes the race
 *   deterministic; unheld, it fails about one run in three here); the page shows the old row
 *   until something else changes it;
 * - once started, the watch is never stopped, even when the last stream has left: a PostgreSQL
 *   store keeps a dedicated connection and a registered listener (every write in the store
 *   then NOTIFYs) for as long as the server lives.
 */
import { get, type IncomingMessage } from 'node:http';
import { ProcessSummary, type SummaryRef, type SummaryStore } from '@process-summary/core';
import { waitUntil } from '@process-summary/test-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { postgresStore, type Running, startServer, type TestStore } from './_server.js';

interface Stream {
  events: { type: string; data: { row?: { run_name: string; items_processed: number } } }[];
  hello: Promise<void>;
  close(): void;
}

function openStream(url: string): Stream {
  const events: Stream['events'] = [];
  let text = '';
  let onHello: () => void = () => {};
  const hello = new Promise<void>((resolve) => {
    onHello = resolve;
  });
  const req = get(url, (response: IncomingMessage) => {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      text += chunk;
      let end = text.indexOf('\n\n');
      while (end !== -1) {
        const frame = text.slice(0, end);
        text = text.slice(end + 2);
        const type = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (type !== undefined && data !== undefined) {
          events.push({ type, data: JSON.parse(data) });
          if (type === 'hello') onHello();
        }
        end = text.indexOf('\n\n');
      }
    });
  });
  req.on('error', () => {});
  return { events, hello, close: () => req.destroy() };
}

const REF: SummaryRef = { runName: 'race', processName: 'ingest', worker: null };

test('a save right after the page re-fetched on hello is streamed (PostgreSQL store)', async () => {
  let t: TestStore | null = null;
  let running: Running | null = null;
  let stream: Stream | null = null;
  try {
    t = await postgresStore();
    const inner = t.store;
    // The LISTEN connection takes a moment to be set up (a remote or busy server): modelled
    // deterministically by holding the start of the real watch until the save is made.
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const store = new Proxy(inner, {
      get(target, property) {
        if (property === 'watch') {
          return (options: { signal?: AbortSignal } = {}) =>
            (async function* () {
              await gate;
              yield* target.watch(options);
            })();
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as SummaryStore;
    const summary = new ProcessSummary(REF);
    const { lease } = await store.acquire(REF);
    summary.startProcess();
    summary.incrementItems({ processed: 1, successful: 1 });
    await store.save(summary, lease);
    running = await startServer(store);
    // What the overview does: open the stream, and on hello fetch the rows.
    stream = openStream(`${running.url}api/stream`);
    await stream.hello;
    const runs = (await (await fetch(`${running.url}api/runs`)).json()) as {
      rows: { run_name: string; items_processed: number }[];
    };
    assert.is(runs.rows.find((r) => r.run_name === 'race')?.items_processed, 1);
    // The pipeline saves once more, after that fetch.
    summary.incrementItems({ processed: 41, successful: 41 });
    await store.save(summary, lease);
    open();
    const s = stream;
    let seen = false;
    await waitUntil(
      () => s.events.some((e) => e.type === 'row' && e.data.row?.items_processed === 42),
      10_000,
    ).then(
      () => {
        seen = true;
      },
      () => {},
    );
    await inner.release(lease);
    assert.ok(seen, 'the save after the hello fetch never reached the stream');
  } finally {
    stream?.close();
    await running?.close();
    await t?.cleanup();
  }
});

test('the store watch stops once the last stream has left', async () => {
  let t: TestStore | null = null;
  let running: Running | null = null;
  try {
    t = await postgresStore();
    const inner = t.store;
    const signals: AbortSignal[] = [];
    const store = new Proxy(inner, {
      get(target, property) {
        if (property === 'watch') {
          return (options: { signal?: AbortSignal } = {}) => {
            if (options.signal !== undefined) signals.push(options.signal);
            return target.watch(options);
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as SummaryStore;
    running = await startServer(store);
    const stream = openStream(`${running.url}api/stream`);
    await stream.hello;
    assert.is(signals.length, 1, 'one watch while a stream is open');
    stream.close();
    await waitUntil(() => signals.every((s) => s.aborted), 10_000).catch(() => {});
    assert.ok(
      signals.every((s) => s.aborted),
      'the watch (a PostgreSQL connection and a registered listener) outlives every stream',
    );
  } finally {
    await running?.close();
    await t?.cleanup();
  }
});

test.run();
