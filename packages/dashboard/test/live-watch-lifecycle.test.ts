/**
 * The live hub's store watch over real HTTP (PostgreSQL store):
 * - a save made after the page's fetch (the one on `hello`) but before the hub's store watch
 *   is established must still be streamed: the PostgreSQL watch listens only after a
 *   connection, LISTEN, a registration and a first snapshot, and never reports what committed
 *   before (the test holds that start until the save is made, which makes the race
 *   deterministic; unheld, the old hub lost it about one run in three);
 * - the watch (a dedicated connection and a registered listener that makes every write in the
 *   store NOTIFY) stops once the last stream has left, after a grace period (shortened here),
 *   and the next stream starts a new one.
 */
import { get, type IncomingMessage } from 'node:http';
import {
  ProcessSummary,
  type SummaryRef,
  type SummaryStore,
  type WatchOptions,
} from '@process-summary/core';
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

/** `inner`, its `watch` replaced by `watch` (which may call the real one). */
function withWatch(
  inner: SummaryStore,
  watch: (options: WatchOptions, real: SummaryStore['watch']) => AsyncIterable<SummaryRef>,
): SummaryStore {
  return new Proxy(inner, {
    get(target, property) {
      if (property === 'watch') {
        return (options: WatchOptions = {}) => watch(options, (o) => target.watch(o));
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as SummaryStore;
}

/** `inner`, with the abort signal of every `watch` it is asked for kept in `signals`. */
function countingWatches(inner: SummaryStore): { store: SummaryStore; signals: AbortSignal[] } {
  const signals: AbortSignal[] = [];
  const store = withWatch(inner, (options, watch) => {
    if (options.signal !== undefined) signals.push(options.signal);
    return watch(options);
  });
  return { store, signals };
}

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
    const store = withWatch(inner, (options, watch) =>
      (async function* () {
        await gate;
        yield* watch(options);
      })(),
    );
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
      30_000,
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

test('a finished run saved again before the watch listens is streamed too (not only running rows)', async () => {
  let t: TestStore | null = null;
  let running: Running | null = null;
  let stream: Stream | null = null;
  try {
    t = await postgresStore();
    const inner = t.store;
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const store = withWatch(inner, (options, watch) =>
      (async function* () {
        await gate;
        yield* watch(options);
      })(),
    );
    const finish = async (items: number) => {
      const summary = new ProcessSummary(REF);
      const { lease } = await store.acquire(REF);
      summary.startProcess();
      summary.incrementItems({ processed: items, successful: items });
      summary.endProcess();
      await store.save(summary, lease);
      await store.release(lease);
    };
    await finish(1);
    running = await startServer(store);
    stream = openStream(`${running.url}api/stream`);
    await stream.hello;
    const runs = (await (await fetch(`${running.url}api/runs`)).json()) as {
      rows: { run_name: string; items_processed: number }[];
    };
    assert.is(runs.rows.find((r) => r.run_name === 'race')?.items_processed, 1);
    // Replaced by a new run that finished at once: never `running` while the hub looks.
    await finish(7);
    open();
    const s = stream;
    let seen = false;
    await waitUntil(
      () => s.events.some((e) => e.type === 'row' && e.data.row?.items_processed === 7),
      30_000,
    ).then(
      () => {
        seen = true;
      },
      () => {},
    );
    assert.ok(seen, 'the save made before the watch listened never reached the stream');
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
    const { store, signals } = countingWatches(t.store);
    // The grace period (30 s by default) shortened: the test is about the watch stopping.
    running = await startServer(store, {}, { watchGraceMs: 200 });
    const stream = openStream(`${running.url}api/stream`);
    await stream.hello;
    assert.is(signals.length, 1, 'one watch while a stream is open');
    stream.close();
    await waitUntil(() => signals.every((s) => s.aborted), 10_000).catch(() => {});
    assert.ok(
      signals.every((s) => s.aborted),
      'the watch (a PostgreSQL connection and a registered listener) outlives every stream',
    );
    const again = openStream(`${running.url}api/stream`);
    await again.hello;
    assert.is(signals.length, 2, 'the next stream starts a new watch');
    assert.is(signals[1]?.aborted, false);
    again.close();
  } finally {
    await running?.close();
    await t?.cleanup();
  }
});

test('a stream reconnecting within the grace period keeps the same watch', async () => {
  let t: TestStore | null = null;
  let running: Running | null = null;
  try {
    t = await postgresStore();
    const { store, signals } = countingWatches(t.store);
    // A grace far longer than the test: a reconnect well within it.
    running = await startServer(store, {}, { watchGraceMs: 60_000 });
    const first = openStream(`${running.url}api/stream`);
    await first.hello;
    first.close();
    const second = openStream(`${running.url}api/stream`);
    await second.hello;
    assert.is(signals.length, 1, 'one watch across the reconnect');
    assert.is(signals[0]?.aborted, false);
    second.close();
  } finally {
    await running?.close();
    await t?.cleanup();
  }
});

test.run();
