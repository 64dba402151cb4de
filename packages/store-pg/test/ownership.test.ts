import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ProcessSummary } from '@process-summary/core';
import { startChild, testPostgres, waitUntil } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { currentOwner } from '../src/local-process.js';
import { freshStore } from './_helpers.js';

const test = suite('ownership judged the same way everywhere, and only on proof');
const OWNER = fileURLToPath(new URL('./fixtures/owner.ts', import.meta.url));

function codeOf(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

// ownerStatus, acquire, archive and remove judge an owner on this host by its process (a dead
// pid is gone at once); the unowned save judges it by the heartbeat alone. So after a crash the
// store says "dead" and then refuses an unowned save as "owned by" that dead pid, for
// staleAfterSeconds. The contract: an unowned save is refused only "while a live owner holds
// the ref".
test('an unowned save after the owner was SIGKILLed on this host is stored, as ownerStatus says the owner is dead', async () => {
  const { url } = await testPostgres();
  const { store, schema, drop } = await freshStore({ staleAfterSeconds: 3600 });
  const ref = { runName: 'crashed', processName: 'collect', worker: 'w1' };
  const owner = startChild([
    process.execPath,
    '--conditions=@process-summary/source',
    '--import',
    'tsx',
    OWNER,
    url,
    schema,
    ref.runName,
    ref.processName,
    ref.worker,
  ]);
  try {
    await owner.waitFor('acquired');
    await waitUntil(() => owner.messages.some((m) => m.event === 'saved'));
    owner.child.kill('SIGKILL');
    await owner.exited;
    const status = await store.ownerStatus(ref);
    assert.is(status.state, 'dead');
    assert.is(status.gone, 'crash');
    const summary = new ProcessSummary(ref);
    summary.incrementItems({ processed: 7, successful: 7 });
    try {
      await store.save(summary);
    } catch (err) {
      assert.unreachable(`an unowned save was refused although its owner is dead: ${String(err)}`);
    }
    assert.is((await store.read(ref))?.dict?.items_processed, 7);
  } finally {
    owner.child.kill('SIGKILL');
    await drop();
  }
});

// Many hosts report into one database, and host names are not unique across them (cloned VMs,
// containers started with the same --hostname on two machines, `localhost`). An owner recorded
// under this host's name with another boot id may be a live process on another machine: taking
// it over at once as a "reboot" takes a live owner's shard away (fencing then stops it, but the
// two fight over the shard at every start). Only its lease can tell.
test('a live owner on another machine that shares this host name is not taken over as a reboot', async () => {
  const { store, drop } = await freshStore();
  const ref = { runName: 'twins', processName: 'sync', worker: 'shard-1' };
  try {
    const me = currentOwner();
    await store.acquire(ref, {
      owner: {
        host: hostname(),
        pid: 4242,
        bootId: 'boot-id-of-the-other-machine',
        pidNamespace: me.pidNamespace,
        pidStart: '12345',
      },
    });
    const status = await store.ownerStatus(ref);
    assert.is(status.state, 'alive', `judged ${status.state}: ${status.reason}`);
    try {
      const { previous } = await store.acquire(ref);
      assert.unreachable(`a live owner was taken over as ${previous?.reason}`);
    } catch (err) {
      assert.is(codeOf(err), 'E_CONCURRENT_RUN', String(err));
    }
  } finally {
    await drop();
  }
});

// Coalescing merges a waiting save's lease with a newer caller's: a caller whose lease is no
// longer current gets success for a write it did not make under its lease. The contract: with a
// lease, `E_LEASE_LOST` if it is no longer current.
test('a save with a lease no longer current, coalesced with one under the current lease, still fails with E_LEASE_LOST', async () => {
  const { store, drop } = await freshStore();
  const ref = { runName: 'coalesced', processName: 'collect' };
  try {
    const { lease: old } = await store.acquire(ref);
    await store.release(old);
    const { lease: current } = await store.acquire(ref);
    const summary = new ProcessSummary(ref);
    const running = store.save(summary, current);
    const stale = store.save(summary, old).then(
      () => 'resolved',
      (err) => codeOf(err),
    );
    const fresh = store.save(summary, current);
    await running;
    await fresh;
    assert.is(await stale, 'E_LEASE_LOST');
  } finally {
    await drop();
  }
});

test.run();
