import { fileURLToPath } from 'node:url';
import { startChild, testPostgres, waitUntil } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { adminPool, freshStore } from './_helpers.js';

const OWNER = fileURLToPath(new URL('./fixtures/owner.ts', import.meta.url));
const REF = { runName: 'fence', processName: 'collect', worker: 'w1' };

function startOwner(url: string, schema: string) {
  return startChild([
    process.execPath,
    '--conditions=@process-summary/source',
    '--import',
    'tsx',
    OWNER,
    url,
    schema,
    REF.runName,
    REF.processName,
    REF.worker,
  ]);
}

function lastSaved(messages: Record<string, unknown>[]): number {
  const saved = messages.filter((m) => m.event === 'saved');
  return Number(saved[saved.length - 1]?.n ?? 0);
}

const test = suite('PgSummaryStore fencing with real processes');

test('an owner killed with SIGKILL on this host is taken over at once, as a crash, losing no acknowledged save', async () => {
  const { url } = await testPostgres();
  const { store, schema, drop } = await freshStore({ staleAfterSeconds: 3600 });
  try {
    const owner = startOwner(url, schema);
    await owner.waitFor('acquired');
    await waitUntil(() => lastSaved(owner.messages) >= 20);
    owner.child.kill('SIGKILL');
    await owner.exited;
    const acknowledged = lastSaved(owner.messages);
    // The lease is an hour long: only the dead pid on this host lets the takeover happen now.
    const { lease, previous } = await store.acquire(REF);
    assert.is(previous?.reason, 'crash');
    assert.match(previous?.detail ?? '', /is gone/);
    const loaded = await store.load(REF);
    assert.ok(loaded);
    assert.ok(
      loaded.summary.itemsProcessed >= acknowledged,
      `stored ${loaded.summary.itemsProcessed} < acknowledged ${acknowledged}`,
    );
    await store.release(lease);
  } finally {
    await drop();
  }
});

test('an owner stopped past its lease is taken over; when it wakes, its saves are refused and change nothing', async () => {
  const { url } = await testPostgres();
  const { store, schema, drop } = await freshStore();
  const owner = startOwner(url, schema);
  try {
    await owner.waitFor('acquired');
    await waitUntil(() => lastSaved(owner.messages) >= 5);
    owner.child.kill('SIGSTOP');
    // Its lease runs out by the database's clock (aged here rather than waited for).
    await (await adminPool()).query(
      `UPDATE ${schema}.summaries SET owner_heartbeat = now() - interval '1 hour'`,
    );
    const { lease, previous } = await store.acquire(REF);
    assert.is(previous?.reason, 'stale');
    const loaded = await store.load(REF);
    assert.ok(loaded);
    loaded.summary.incrementItems({ processed: 1000 });
    await store.save(loaded.summary, lease);
    const taken = await store.read(REF);
    owner.child.kill('SIGCONT');
    const failed = await owner.waitFor('failed');
    assert.is(failed.code, 'E_LEASE_LOST');
    const after = await store.read(REF);
    assert.equal(after?.dict, taken?.dict, 'the woken owner changed nothing');
    assert.is(after?.epoch, lease.epoch);
    await owner.exited;
  } finally {
    owner.child.kill('SIGKILL');
    await drop();
  }
});

test('of 6 processes racing to take over a dead owner, exactly one wins', async () => {
  const { url } = await testPostgres();
  const { store, schema, drop } = await freshStore();
  try {
    const { lease } = await store.acquire(REF, { owner: { host: 'elsewhere', pid: 1 } });
    await (await adminPool()).query(
      `UPDATE ${schema}.summaries SET owner_heartbeat = now() - interval '1 hour' WHERE owner_epoch = $1`,
      [lease.epoch],
    );
    const racers = Array.from({ length: 6 }, () => startOwner(url, schema));
    // Losers exit at once on E_CONCURRENT_RUN (acquire throws: no JSON line, a non-zero exit);
    // the winner says so and saves until it is killed.
    await Promise.all(
      racers.map((r) => Promise.race([r.exited, r.waitFor('acquired').catch(() => {})])),
    );
    const winners = racers.filter((r) => r.messages.some((m) => m.event === 'acquired'));
    for (const racer of racers) racer.child.kill('SIGKILL');
    const losers = racers.filter((r) => !winners.includes(r));
    for (const loser of losers) assert.match(loser.stderr(), /E_CONCURRENT_RUN|is owned by/);
    assert.is(winners.length, 1, `winners: ${winners.length}`);
    await Promise.all(racers.map((r) => r.exited));
  } finally {
    await drop();
  }
});

test.run();
