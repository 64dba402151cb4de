import { PgSummaryStore } from '@process-summary/store-pg';
import { startTestPostgres } from '@process-summary/test-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
// The store's own test helper: a store in a schema of its own, dropped afterwards.
import { freshSchema, freshStore } from '../../store-pg/test/_helpers.js';
import { openStream, own, startLiveServer } from './_live.js';

const RUN = 'harvard_2024';

test('over PostgreSQL: saves of two workers arrive as one merged row, a removal as gone', async () => {
  const { store, drop } = await freshStore();
  const live = await startLiveServer(store, { rejudgeIntervalMs: 60_000 });
  try {
    const stream = await openStream(`${live.streamUrl}?run=${RUN}&process=sync`);
    await stream.next((e) => e.type === 'hello');
    const a = await own(store, { runName: RUN, processName: 'sync', worker: 'a' });
    const b = await own(store, { runName: RUN, processName: 'sync', worker: 'b' });
    // The watch registers with the server as the first stream attaches; a save that raced its
    // registration is reported by the store's catch-up, and saving again shows it sooner.
    let saved = 0;
    const merged = stream.next(
      (e) => e.type === 'row' && e.data.row.worker_count === 2 && e.data.row.items_processed >= 5,
    );
    let done = false;
    const saving = (async () => {
      while (!done && saved < 200) {
        saved += 1;
        if (saved === 1) {
          a.summary.incrementItems({ processed: 2, successful: 2 });
          b.summary.incrementItems({ processed: 3, successful: 3 });
        }
        await a.save();
        await b.save();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const row = (await merged).data.row;
    done = true;
    await saving;
    assert.is(row.items_processed, 5);
    assert.is(row.status, 'running');
    assert.equal(
      row.workers.map((w: { worker: string }) => w.worker),
      ['a', 'b'],
    );

    assert.ok(await store.remove({ runName: RUN, processName: 'sync', worker: 'a' }, a.lease));
    assert.ok(await store.remove({ runName: RUN, processName: 'sync', worker: 'b' }, b.lease));
    const gone = await stream.next((e) => e.type === 'gone');
    assert.equal([gone.data.run_name, gone.data.process_name], [RUN, 'sync']);
  } finally {
    await live.close();
    await drop();
  }
});

test('over PostgreSQL: the server restarting neither ends the streams nor the live updates', async () => {
  // A server of its own: this test restarts it.
  const server = await startTestPostgres({ forceEmbedded: true });
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const store = new PgSummaryStore({ url: server.url, schema: freshSchema() });
  const live = await startLiveServer(store, { rejudgeIntervalMs: 60_000 });
  try {
    const stream = await openStream(`${live.streamUrl}?process=collect`);
    const owner = await own(store, { runName: RUN, processName: 'collect' });
    /** Saves (retrying while the server is away) until the stream shows `n` processed. */
    const showUp = async (n: number) => {
      const seen = stream.next((e) => e.type === 'row' && e.data.row.items_processed === n);
      let done = false;
      seen.then(
        () => {
          done = true;
        },
        () => {
          done = true;
        },
      );
      while (!done) {
        await owner.save().catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return seen;
    };
    owner.summary.incrementItems({ processed: 1, successful: 1 });
    await showUp(1);
    await server.control('restart');
    owner.summary.incrementItems({ processed: 1, successful: 1 });
    const after = await showUp(2);
    assert.is(after.data.row.status, 'running');
    assert.is(live.hub.clientCount, 1);
    assert.equal(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await live.close();
    await store.close();
    await server.stop();
  }
});

test.run();
