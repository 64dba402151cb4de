import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SummaryStore } from '@process-summary/core';
import { silentLogger } from '@process-summary/core';
import type { SummaryRow } from '@process-summary/inspect';
import { FileSummaryStore } from '@process-summary/store-fs';
import { startChild } from '@process-summary/test-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LiveHub } from '../src/live/hub.js';
import {
  countingStore,
  type LiveServer,
  openStream,
  own,
  type ParsedEvent,
  type ReadCounts,
  startLiveServer,
  waitUntil,
} from './_live.js';

const RUN = 'harvard_2024';
const here = dirname(fileURLToPath(import.meta.url));

/** A file store in a fresh temp dir, and a way to delete it. */
function fileStore(): { store: FileSummaryStore; root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'ps-dashboard-live-'));
  return {
    store: new FileSummaryStore({ root }),
    root,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Runs `body` with a file store and a live server over it; cleans both up. */
async function withLive(
  body: (live: LiveServer, store: FileSummaryStore, root: string) => Promise<void>,
  options: Parameters<typeof startLiveServer>[1] = {},
  wrap: (store: SummaryStore) => SummaryStore = (s) => s,
): Promise<void> {
  const { store, root, cleanup } = fileStore();
  const live = await startLiveServer(wrap(store), options);
  try {
    await body(live, store, root);
  } finally {
    await live.close();
    cleanup();
  }
}

const fsWatchers = () => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;

/** The (run, process) a row or gone event is about. */
const about = (e: ParsedEvent): [string, string] =>
  e.type === 'row'
    ? [e.data.row.run_name, e.data.row.process_name]
    : [e.data.run_name, e.data.process_name];

const rowOf = (process: string, match: (row: SummaryRow) => boolean = () => true) => {
  return (e: ParsedEvent) =>
    e.type === 'row' && e.data.row.process_name === process && match(e.data.row);
};

test('a stream starts with its headers, a retry hint and hello', async () => {
  await withLive(async (live) => {
    const stream = await openStream(live.streamUrl);
    assert.is(stream.response.statusCode, 200);
    assert.is(stream.response.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.is(stream.response.headers['cache-control'], 'no-cache, no-transform');
    assert.is(stream.response.headers['x-accel-buffering'], 'no');
    assert.is(stream.response.headers['x-extra'], 'yes');
    const hello = await stream.next();
    assert.is(hello.type, 'hello');
    assert.is(hello.data.type, 'hello');
    assert.type(hello.data.now, 'number');
    assert.is(stream.retry, 2000);
    assert.is(live.hub.clientCount, 1);
    stream.close();
    await waitUntil(() => live.hub.clientCount === 0);
  });
});

test('a save sends the row of its process with the new counts', async () => {
  await withLive(async (live, store) => {
    const stream = await openStream(live.streamUrl);
    await stream.next((e) => e.type === 'hello');
    const owner = await own(store, { runName: RUN, processName: 'collect' });
    owner.summary.incrementItems({ processed: 5, successful: 4, failed: 1 });
    await owner.save();
    const first = await stream.next(rowOf('collect', (r) => r.items_processed === 5));
    assert.is(first.data.row.status, 'running');
    assert.is(first.data.row.items_failed, 1);
    assert.is(first.data.row.owner.pid, process.pid);
    owner.summary.incrementItems({ processed: 10, successful: 10 });
    await owner.save();
    const second = await stream.next(rowOf('collect', (r) => r.items_processed === 15));
    assert.is(second.data.row.items_successful, 14);
    await store.release(owner.lease);
  });
});

test('a process with two workers is sent as one merged row', async () => {
  await withLive(async (live, store) => {
    const stream = await openStream(live.streamUrl);
    await stream.next((e) => e.type === 'hello');
    const a = await own(store, { runName: RUN, processName: 'sync', worker: 'a' });
    const b = await own(store, { runName: RUN, processName: 'sync', worker: 'b' });
    a.summary.incrementItems({ processed: 3, successful: 3 });
    b.summary.incrementItems({ processed: 4, successful: 4 });
    await a.save();
    await b.save();
    const merged = await stream.next(rowOf('sync', (r) => r.items_processed === 7));
    assert.is(merged.data.row.worker, null);
    assert.is(merged.data.row.worker_count, 2);
    assert.equal(
      merged.data.row.workers.map((w: SummaryRow) => [w.worker, w.items_processed]),
      [
        ['a', 3],
        ['b', 4],
      ],
    );
  });
});

test('a removed process is sent as gone', async () => {
  await withLive(async (live, store) => {
    const stream = await openStream(live.streamUrl);
    const owner = await own(store, { runName: RUN, processName: 'collect' });
    await owner.save();
    await stream.next(rowOf('collect'));
    assert.ok(await store.remove({ runName: RUN, processName: 'collect' }, owner.lease));
    const gone = await stream.next((e) => e.type === 'gone');
    assert.equal(
      [gone.data.type, gone.data.run_name, gone.data.process_name],
      ['gone', RUN, 'collect'],
    );
  });
});

test('a stream narrowed to a run and process gets only that process', async () => {
  await withLive(async (live, store) => {
    const all = await openStream(live.streamUrl);
    const narrowed = await openStream(`${live.streamUrl}?run=${RUN}&process=collect`);
    const otherRun = await openStream(`${live.streamUrl}?run=other&process=collect`);
    await narrowed.next((e) => e.type === 'hello');
    await otherRun.next((e) => e.type === 'hello');
    const sync = await own(store, { runName: RUN, processName: 'sync' });
    await sync.save();
    await all.next(rowOf('sync'));
    const collect = await own(store, { runName: RUN, processName: 'collect' });
    await collect.save();
    await all.next(rowOf('collect'));
    const got = await narrowed.next((e) => e.type === 'row');
    assert.is(got.data.row.process_name, 'collect');
    // A `gone` may come first: acquiring writes an owner record before any summary exists.
    assert.ok(narrowed.events.every((e) => e.type === 'hello' || about(e)[1] === 'collect'));
    const elsewhere = await own(store, { runName: 'other', processName: 'collect' });
    await elsewhere.save();
    const theirs = await otherRun.next((e) => e.type === 'row');
    assert.is(theirs.data.row.run_name, 'other');
    // Everything the other run's stream got is the other run's.
    assert.ok(otherRun.events.every((e) => e.type === 'hello' || about(e)[0] === 'other'));
  });
});

test('an owner killed without a save turns crashed on the stream (re-judged, no save)', async () => {
  await withLive(async (live, _store, root) => {
    const stream = await openStream(live.streamUrl);
    const child = startChild([
      process.execPath,
      '--conditions=@process-summary/source',
      '--import',
      'tsx',
      join(here, '_live-owner.ts'),
      root,
      RUN,
      'collect',
    ]);
    try {
      await child.waitFor('saved');
      const running = await stream.next(rowOf('collect'));
      assert.is(running.data.row.status, 'running');
      assert.is(running.data.row.items_processed, 7);
      child.child.kill('SIGKILL');
      await child.exited;
      const crashed = await stream.next(rowOf('collect', (r) => r.status === 'crashed'));
      assert.is(crashed.data.row.items_processed, 7);
      assert.type(crashed.data.row.status_reason, 'string');
    } finally {
      child.child.kill('SIGKILL');
      await child.exited;
    }
  });
});

test('rows an API served are re-judged: a running one whose summary vanished is sent as gone', async () => {
  const { store, cleanup } = fileStore();
  const live = await startLiveServer(store);
  try {
    // The hub never saw this process change: it only knows the row from noteRows.
    const stream = await openStream(live.streamUrl);
    await stream.next((e) => e.type === 'hello');
    const runningRow = {
      run_name: RUN,
      process_name: 'ghost',
      worker: null,
      worker_count: 0,
      status: 'running',
      file_status: 'running',
    } as SummaryRow;
    live.hub.noteRows([runningRow]);
    const gone = await stream.next((e) => e.type === 'gone');
    assert.is(gone.data.process_name, 'ghost');
  } finally {
    await live.close();
    cleanup();
  }
});

test('a burst of 100 saves is read far fewer times than 100 (one recompute in flight per process)', async () => {
  let release: () => void = () => {};
  const spy = { current: null as ReturnType<typeof countingStore> | null };
  const reads = (c: ReadCounts) => c.list + c.read + c.readMany;
  await withLive(
    async (live, store) => {
      const counting = spy.current as ReturnType<typeof countingStore>;
      // Saved once before any stream: the hub does not watch yet.
      const owner = await own(store, { runName: RUN, processName: 'collect' });
      await owner.save();
      const stream = await openStream(live.streamUrl);
      await stream.next((e) => e.type === 'hello');
      const before = reads(counting.counts);
      const recomputesBefore = live.hub.recomputeCount;
      // The first recompute is held until the burst is over: every change during it coalesces.
      counting.setHold(
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      );
      await owner.save();
      await waitUntil(() => reads(counting.counts) > before);
      for (let i = 1; i <= 100; i += 1) {
        owner.summary.incrementItems({ processed: 1, successful: 1 });
        await owner.save();
      }
      counting.setHold(null);
      release();
      await stream.next(rowOf('collect', (r) => r.items_processed === 100));
      const made = reads(counting.counts) - before;
      const recomputes = live.hub.recomputeCount - recomputesBefore;
      assert.ok(made <= 6, `${made} reads for 101 saves`);
      assert.ok(recomputes <= 3, `${recomputes} recomputes for 101 saves`);
    },
    { rejudgeIntervalMs: 60_000 },
    (s) => {
      spy.current = countingStore(s);
      return spy.current.store;
    },
  );
});

test('a client that does not read is dropped past its buffer cap while a reading one keeps up', async () => {
  await withLive(
    async (live, store) => {
      const reader = await openStream(live.streamUrl);
      await reader.next((e) => e.type === 'hello');
      const port = new URL(live.streamUrl).port;
      const stalled = connect(Number(port), '127.0.0.1');
      await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
      stalled.write(`GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      stalled.pause();
      await waitUntil(() => live.hub.clientCount === 2);
      const closed = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
      // Big rows (100 error types of 200 characters): the kernel's buffers fill in a few MiB.
      const owner = await own(store, { runName: RUN, processName: 'collect' });
      for (let t = 0; t < 100; t += 1) {
        owner.summary.addError(`${String(t).padStart(3, '0')}${'E'.repeat(197)}`, 'boom');
      }
      let saves = 0;
      while (live.hub.clientCount === 2) {
        if (saves > 5000) throw new Error('the stalled client was never dropped');
        owner.summary.incrementItems({ processed: 1, successful: 1 });
        await owner.save();
        saves += 1;
        await reader.next(rowOf('collect', (r) => r.items_processed === saves));
      }
      stalled.resume();
      await closed;
      owner.summary.incrementItems({ processed: 1, successful: 1 });
      await owner.save();
      const after = await reader.next(rowOf('collect', (r) => r.items_processed === saves + 1));
      assert.is(after.data.row.error_count, 100);
      assert.is(live.hub.clientCount, 1);
      assert.ok(
        live.logger.lines.some((l) => l.level === 'debug' && /not reading/.test(l.message)),
      );
      stalled.destroy();
    },
    { maxBufferedBytes: 64 * 1024, rejudgeIntervalMs: 60_000 },
  );
});

test('attach refuses past maxClients (the server answers 503) and takes one again after a close', async () => {
  await withLive(
    async (live) => {
      const first = await openStream(live.streamUrl);
      const second = await openStream(live.streamUrl);
      const third = await openStream(live.streamUrl);
      assert.is(first.response.statusCode, 200);
      assert.is(second.response.statusCode, 200);
      assert.is(third.response.statusCode, 503);
      first.close();
      await waitUntil(() => live.hub.clientCount === 1);
      const fourth = await openStream(live.streamUrl);
      assert.is(fourth.response.statusCode, 200);
    },
    { maxClients: 2 },
  );
});

test('a keep-alive comment comes on an idle stream', async () => {
  await withLive(
    async (live) => {
      const stream = await openStream(live.streamUrl);
      await waitUntil(() => stream.comments.includes('keep-alive'));
    },
    { keepAliveMs: 20 },
  );
});

test('close ends every stream and the watch, leaves no handle open, and is idempotent', async () => {
  const { store, cleanup } = fileStore();
  // Handles close asynchronously: the previous tests' watchers may still be going away.
  await waitUntil(() => fsWatchers() === 0);
  const live = await startLiveServer(store);
  try {
    const a = await openStream(live.streamUrl);
    const b = await openStream(`${live.streamUrl}?run=${RUN}`);
    await a.next();
    await b.next();
    const owner = await own(store, { runName: RUN, processName: 'collect' });
    await owner.save();
    await a.next(rowOf('collect'));
    assert.ok(fsWatchers() > 0);
    await live.hub.close();
    await a.ended;
    await b.ended;
    assert.is(live.hub.clientCount, 0);
    await live.hub.close();
    await waitUntil(() => fsWatchers() === 0);
    // A closed hub attaches nothing.
    const after = await openStream(live.streamUrl);
    assert.is(after.response.statusCode, 503);
  } finally {
    await live.close();
    cleanup();
  }
});

test('a watch that fails is restarted (logged), and changes after it are still sent', async () => {
  const { store, cleanup } = fileStore();
  let failures = 1;
  const flaky = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property === 'watch') {
        return (options: Parameters<SummaryStore['watch']>[0]) => {
          if (failures > 0) {
            failures -= 1;
            // biome-ignore lint/correctness/useYield: a watch that fails at once
            return (async function* () {
              throw Object.assign(new Error('connection lost'), { code: 'E_STORE_UNAVAILABLE' });
            })();
          }
          return store.watch(options);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const live = await startLiveServer(flaky);
  try {
    const stream = await openStream(live.streamUrl);
    await waitUntil(() => live.logger.lines.some((l) => /watch failed/.test(l.message)));
    // Once restarted, a save shows (the test waits for the restart by saving until it does).
    const owner = await own(store, { runName: RUN, processName: 'collect' });
    let n = 0;
    const seen = stream.next(rowOf('collect'));
    const saving = (async () => {
      while (!stream.events.some((e) => e.type === 'row') && n < 400) {
        n += 1;
        owner.summary.incrementItems({ processed: 1, successful: 1 });
        await owner.save();
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const row = await seen;
    await saving;
    assert.ok(row.data.row.items_processed >= 1);
  } finally {
    await live.close();
    cleanup();
  }
});

test('invalid options are refused with E_INVALID_ARGUMENT', () => {
  const { store, cleanup } = fileStore();
  try {
    const base = {
      store,
      logger: silentLogger,
      rowOptions: () => ({ now: 0 }),
      maxClients: 1,
    };
    for (const bad of [
      { maxClients: -1 },
      { maxClients: 1.5 },
      { rejudgeIntervalMs: 0 },
      { keepAliveMs: Number.NaN },
      { maxBufferedBytes: -5 },
    ]) {
      try {
        new LiveHub({ ...base, ...bad });
        assert.unreachable(JSON.stringify(bad));
      } catch (error) {
        assert.is((error as { code?: string }).code, 'E_INVALID_ARGUMENT');
      }
    }
  } finally {
    cleanup();
  }
});

test.run();
