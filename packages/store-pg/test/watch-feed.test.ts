import { assertValidRef, ProcessSummary, type SummaryRef, sameRef } from '@process-summary/core';
import { waitUntil } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PgSummaryStore } from '../src/index.js';
import { adminPool, freshStore } from './_helpers.js';

const test = suite('what the watch hands its consumer');

function isValidRef(ref: SummaryRef): boolean {
  try {
    assertValidRef(ref);
    return true;
  } catch {
    return false;
  }
}

// Any role that can connect to the database may NOTIFY any channel: the payload is not the
// store's word. A ref the store itself would refuse (E_INVALID_NAME: `..`, control characters,
// `@` in a process name, 300-byte names) reaches the consumer, whose next call with it throws
// (a dashboard's loop, an alerter's), or whose display shows it unescaped.
test('a notification that does not name a valid ref is not handed on', async () => {
  const { store, url, schema, drop } = await freshStore();
  const watcher = new PgSummaryStore({ url, schema });
  const controller = new AbortController();
  const seen: SummaryRef[] = [];
  let watching: Promise<void> = Promise.resolve();
  try {
    await watcher.ready();
    watching = (async () => {
      for await (const changed of watcher.watch({ signal: controller.signal })) seen.push(changed);
    })();
    const ready = { runName: 'feed', processName: 'ready' };
    await waitUntil(async () => {
      await store.save(new ProcessSummary(ready));
      return seen.some((r) => sameRef(r, ready));
    });
    const admin = await adminPool();
    for (const key of [
      ['..', 'collect', ''],
      ['run', 'a@b', ''],
      ['run\u001b[2J', 'collect', ''],
      ['x'.repeat(300), 'collect', ''],
      ['run', '', ''],
    ]) {
      await admin.query('SELECT pg_notify($1, $2)', [`${schema}_changes`, JSON.stringify(key)]);
    }
    const last = { runName: 'feed', processName: 'last' };
    await store.save(new ProcessSummary(last));
    await waitUntil(() => seen.some((r) => sameRef(r, last)));
    const invalid = seen.filter((r) => !isValidRef(r));
    assert.equal(invalid, [], 'refs the store refuses were handed on');
  } finally {
    controller.abort();
    await watching;
    await watcher.close();
    await drop();
  }
});

// A consumer slower than the writers (a dashboard re-reading a merged process for every change
// while 32 workers save) gets every notification queued in memory, one entry per change: the
// queue grows for as long as the run goes. A ref reported once is re-read by the consumer
// anyway ("a ref may be reported more than once; readers re-read it"): one pending entry per
// ref bounds the queue by the number of refs, not of changes.
test('while the consumer does not pull, 2,000 changes of 4 refs queue as a handful, not 2,000', async () => {
  const { store, url, schema, drop } = await freshStore();
  const watcher = new PgSummaryStore({ url, schema });
  const controller = new AbortController();
  const iterator = watcher.watch({ signal: controller.signal })[Symbol.asyncIterator]();
  try {
    await watcher.ready();
    const refs = [0, 1, 2, 3].map((i) => ({ runName: 'busy', processName: `p${i}` }));
    const first = iterator.next();
    // The watch listens once it handed on a first change.
    await waitUntil(async () => {
      await store.save(new ProcessSummary(refs[0] as SummaryRef));
      return (
        (await Promise.race([first, new Promise((r) => setTimeout(() => r(null), 20))])) !== null
      );
    });
    // What 2,000 saves notify, each in its own transaction (PostgreSQL folds equal
    // notifications of one transaction into one, not of different ones).
    const admin = await adminPool();
    for (let batch = 0; batch < 2000; batch += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => {
          const ref = refs[(batch + i) % refs.length] as SummaryRef;
          return admin.query('SELECT pg_notify($1, $2)', [
            `${schema}_changes`,
            JSON.stringify([ref.runName, ref.processName, '']),
          ]);
        }),
      );
    }
    const sentinel = { runName: 'busy', processName: 'sentinel' };
    await store.save(new ProcessSummary(sentinel));
    let handed = 0;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      if (sameRef(next.value, sentinel)) break;
      handed += 1;
    }
    assert.ok(handed <= 50, `${handed} entries were queued for 4 refs`);
  } finally {
    controller.abort();
    await iterator.return?.();
    await watcher.close();
    await drop();
  }
});

test.run();
