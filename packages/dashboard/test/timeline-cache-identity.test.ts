/**
 * The timeline cache continues a journal it read before from the cursor where it stopped. A
 * run replaced under the same name with the same start time (seed-format `perf_counter`
 * times, a manual clock, a restored file) whose new journal reaches past that cursor must be
 * read again from its start, not continued: the cache knows a run by its start and its first
 * session, and checks that the entry it read last is still where it was.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock, ProcessSummary } from '@process-summary/core';
import { FileSummaryStore } from '@process-summary/store-fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clearTimelineCache, readTimeline } from '../src/timeline.js';

const T = 1_750_000_000;

test('a run replaced with the same start time is not continued from the cached cursor', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-dashboard-timeline-id-'));
  try {
    const store = new FileSummaryStore({ root: dir });
    const ref = { runName: 'same-start', processName: 'collect' };
    const firstClock = createManualClock(T);
    const first = new ProcessSummary({ ...ref, clock: firstClock });
    let { lease } = await store.acquire(ref);
    first.startProcess({ host: 'host-a', pid: 11 });
    firstClock.advance(10);
    // A journal line as long as the second run's first one: the cached cursor (byte offset and
    // line number) then lands on a line start of the second run's journal, and fits.
    first.incrementItems({ processed: 900, successful: 900 });
    first.addProgressUpdate('batch 0');
    await store.save(first, lease);
    const before = await readTimeline(store, ref, { now: firstClock.now() });
    assert.is(before?.points.at(-1)?.processed, 900);
    await store.remove(ref, lease);
    await store.release(lease);

    // The same start, the same host and pid: only the journal's content tells the runs apart.
    const secondClock = createManualClock(T);
    const second = new ProcessSummary({ ...ref, clock: secondClock });
    ({ lease } = await store.acquire(ref));
    second.startProcess({ host: 'host-a', pid: 11 });
    for (let i = 0; i < 6; i += 1) {
      secondClock.advance(10);
      second.incrementItems({ processed: 700, successful: 700 });
      second.addProgressUpdate(`batch ${i}`);
    }
    await store.save(second, lease);
    await store.release(lease);
    const after = await readTimeline(store, ref, { now: secondClock.now() });
    assert.is(after?.points.at(-1)?.processed, 4200);
    // What a reading from scratch gives: nothing of the first run's 900 items.
    clearTimelineCache(store);
    const whole = await readTimeline(store, ref, { now: secondClock.now() });
    assert.equal(after, whole, "the first run's items leak into the second run's timeline");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
