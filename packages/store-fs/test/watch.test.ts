/**
 * watch on the file store: fs events with a polling fallback, new run directories picked up,
 * vanished ones survived, ends when aborted. Each wait saves again until the change is seen
 * (bounded), so no test depends on how fast events arrive.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type SummaryRef, sameRef } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeFileSystem } from '../src/fs-seam.js';
import { FileSummaryStore } from '../src/index.js';
import { watchSummaries } from '../src/watch.js';
import { makeSummary, recordingLogger, rejection, removeDir, tempDir } from './_helpers.js';

interface Ctx {
  dir: string;
  root: string;
  store: FileSummaryStore;
}

const test = suite<Ctx>('watch');
test.before.each(async (ctx) => {
  ctx.dir = await tempDir('store-fs-watch-');
  ctx.root = join(ctx.dir, 'runs');
  ctx.store = new FileSummaryStore({ root: ctx.root, logger: recordingLogger() });
});
test.after.each(async (ctx) => {
  await removeDir(ctx.dir);
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a watch in the background, collecting what it reports. */
function startWatching(iterable: AsyncIterable<SummaryRef>) {
  const seen: SummaryRef[] = [];
  let failure: unknown = null;
  let ended = false;
  const done = (async () => {
    try {
      for await (const ref of iterable) seen.push(ref);
    } catch (err) {
      failure = err;
    } finally {
      ended = true;
    }
  })();
  return {
    seen,
    done,
    get ended() {
      return ended;
    },
    get failure() {
      return failure;
    },
    /** Repeats `act` until `ref` is reported after it (at most ~10 s). */
    async until(ref: SummaryRef, act: () => Promise<void>): Promise<void> {
      for (let attempt = 0; attempt < 400; attempt++) {
        const from = seen.length;
        await act();
        for (let wait = 0; wait < 4; wait++) {
          await pause(10);
          if (seen.slice(from).some((r) => sameRef(r, ref))) return;
        }
      }
      assert.unreachable(`watch never reported ${ref.runName}/${ref.processName}`);
    },
  };
}

function saver(store: FileSummaryStore, ref: SummaryRef) {
  const { summary } = makeSummary(ref.runName, ref.processName, ref.worker ?? undefined);
  return async () => {
    summary.incrementItems({ processed: 1 });
    await store.save(summary);
  };
}

for (const fsEvents of [true, false]) {
  const how = fsEvents ? 'fs events' : 'polling';

  test(`${how}: saves in existing and new run directories, workers included`, async (ctx) => {
    await mkdir(ctx.root);
    const existing = { runName: 'old', processName: 'collect' };
    await saver(ctx.store, existing)();
    const controller = new AbortController();
    const watch = startWatching(
      watchSummaries(
        { root: ctx.root, fs: nodeFileSystem, maxFileBytes: 1 << 20 },
        { signal: controller.signal, intervalMs: 20 },
        fsEvents,
      ),
    );
    await watch.until(existing, saver(ctx.store, existing));
    const worker = { runName: 'new', processName: 'sync', worker: 'w1' };
    await watch.until(worker, saver(ctx.store, worker));
    controller.abort();
    await watch.done;
    assert.is(watch.failure, null);
    assert.ok(watch.seen.every((r) => r.runName === 'old' || r.runName === 'new'));
  });

  test(`${how}: a run directory or the root removed and made again is followed, never an error`, async (ctx) => {
    const ref = { runName: 'r', processName: 'collect' };
    const controller = new AbortController();
    // The root does not exist yet.
    const watch = startWatching(
      watchSummaries(
        { root: ctx.root, fs: nodeFileSystem, maxFileBytes: 1 << 20 },
        { signal: controller.signal, intervalMs: 20 },
        fsEvents,
      ),
    );
    await watch.until(ref, saver(ctx.store, ref));
    await rm(join(ctx.root, ref.runName), { recursive: true });
    // A new store each time: a store remembers the directories it made.
    const again = new FileSummaryStore({ root: ctx.root, logger: recordingLogger() });
    await watch.until(ref, saver(again, ref));
    await rm(ctx.root, { recursive: true });
    const third = new FileSummaryStore({ root: ctx.root, logger: recordingLogger() });
    await watch.until(ref, saver(third, ref));
    assert.not.ok(watch.ended);
    controller.abort();
    await watch.done;
    assert.is(watch.failure, null);
  });
}

test('store.watch reports a save', async (ctx) => {
  const ref = { runName: 'r', processName: 'collect' };
  const controller = new AbortController();
  const watch = startWatching(ctx.store.watch({ signal: controller.signal, intervalMs: 20 }));
  await watch.until(ref, saver(ctx.store, ref));
  controller.abort();
  await watch.done;
});

test('an aborted signal ends the watch at once; a bad interval is refused', async (ctx) => {
  const controller = new AbortController();
  controller.abort();
  const seen: SummaryRef[] = [];
  for await (const ref of ctx.store.watch({ signal: controller.signal })) seen.push(ref);
  assert.equal(seen, []);
  for (const intervalMs of [0, -1, Number.NaN]) {
    await rejection(
      (async () => {
        for await (const _ of ctx.store.watch({ intervalMs })) break;
      })(),
      'E_INVALID_ARGUMENT',
    );
  }
});

test.run();
