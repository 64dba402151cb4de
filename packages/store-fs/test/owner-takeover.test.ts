/**
 * Takeover under a forced interleaving: one taker is held in the middle of its takeover while
 * others arrive. `node:fs/promises` is wrapped (syncBuiltinESMExports updates the bindings the
 * lease module imported), so the order of file operations is the test's, not the scheduler's.
 */
import { mkdirSync, utimesSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { Lease } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSummaryStore } from '../src/index.js';
import { writeOwnerRecordSync } from '../src/owner.js';
import { recordingLogger, removeDir, tempDir } from './_helpers.js';

const fsp = createRequire(import.meta.url)('node:fs/promises') as typeof import('node:fs/promises');
const realRename = fsp.rename;

const REF = { runName: 'r', processName: 'p' };

function options(host: string, pid: number) {
  return { staleAfterSeconds: 60, owner: { host, pid } };
}

const test = suite('takeover under a forced interleaving');

test('takers arriving while one is mid-takeover wait, then find the new owner alive', async () => {
  const root = await tempDir('store-fs-takeover-');
  const store = new FileSummaryStore({ root, logger: recordingLogger() });
  const path = store.pathsFor(REF).owner;
  mkdirSync(store.pathsFor(REF).dir, { recursive: true });
  const old = Date.now() / 1000 - 3600;
  writeOwnerRecordSync(path, {
    version: 2,
    run_name: 'r',
    process_name: 'p',
    worker: null,
    host: 'gone-host',
    boot_id: null,
    pid_namespace: null,
    pid: 4242,
    pid_start: null,
    token: 'stale',
    epoch: 3,
    since: old,
    heartbeat: old,
    fenced: false,
    released: false,
  });
  utimesSync(path, old, old);

  // Hold the replacement of the stale record until the others have started.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let moves = 0;
  let firstMoveReached: () => void = () => {};
  const reached = new Promise<void>((resolve) => {
    firstMoveReached = resolve;
  });
  fsp.rename = async (from, to) => {
    // The lock holder's replacement of the gone record (a temp renamed over it).
    if (String(to) === path) {
      moves += 1;
      if (moves === 1) {
        firstMoveReached();
        await held;
      }
    }
    return realRename(from, to);
  };
  syncBuiltinESMExports();
  try {
    const settle = (p: Promise<{ lease: Lease }>) =>
      p.then(
        (r) => ({ lease: r.lease, code: undefined as string | undefined }),
        (e: { code?: string }) => ({ lease: undefined, code: e.code }),
      );
    const a = settle(store.acquire(REF, options('host-a', 1001)));
    await reached;
    const b = settle(store.acquire(REF, options('host-b', 1002)));
    const c = settle(store.acquire(REF, options('host-c', 1003)));
    await new Promise((resolve) => setTimeout(resolve, 50)); // let B and C run into the lock
    release();
    const results = await Promise.all([a, b, c]);
    const owners = results.filter((r) => r.lease !== undefined);
    assert.is(owners.length, 1, JSON.stringify(results.map((r) => r.code ?? 'owner')));
    const status = await store.ownerStatus(REF);
    assert.is(status.owner?.epoch, owners[0]?.lease?.epoch, 'the one owner still holds its record');
    assert.is(owners[0]?.lease?.epoch, 4, 'the epoch grew once');
    assert.equal(
      results.filter((r) => r.lease === undefined).map((r) => r.code),
      ['E_CONCURRENT_RUN', 'E_CONCURRENT_RUN'],
    );
    assert.is(moves, 1, 'the stale record was replaced once, by the lock holder');
    await store.release(owners[0]?.lease as Lease);
  } finally {
    fsp.rename = realRename;
    syncBuiltinESMExports();
    await removeDir(root);
  }
});

test('a newcomer arriving just after the gone record is dealt with never gets a lower epoch', async () => {
  const root = await tempDir('store-fs-takeover-');
  const store = new FileSummaryStore({ root, logger: recordingLogger() });
  const path = store.pathsFor(REF).owner;
  mkdirSync(store.pathsFor(REF).dir, { recursive: true });
  const old = Date.now() / 1000 - 3600;
  writeOwnerRecordSync(path, {
    version: 2,
    run_name: 'r',
    process_name: 'p',
    worker: null,
    host: 'gone-host',
    boot_id: null,
    pid_namespace: null,
    pid: 4242,
    pid_start: null,
    token: 'stale',
    epoch: 41,
    since: old,
    heartbeat: old,
    fenced: false,
    released: false,
  });
  utimesSync(path, old, old);
  // Right after the taker's first rename touching the record (moving it away, or replacing
  // it), a newcomer runs its whole acquire.
  let newcomer: Promise<{ lease?: Lease; code?: string }> | undefined;
  fsp.rename = async (from, to) => {
    const result = await realRename(from, to);
    if (newcomer === undefined && (String(from) === path || String(to) === path)) {
      newcomer = store.acquire(REF, options('host-b', 1002)).then(
        (r) => ({ lease: r.lease }),
        (e: { code?: string }) => ({ code: e.code }),
      );
      await newcomer;
    }
    return result;
  };
  syncBuiltinESMExports();
  try {
    const taker = await store.acquire(REF, options('host-a', 1001)).then(
      (r) => ({ lease: r.lease as Lease | undefined, code: undefined as string | undefined }),
      (e: { code?: string }) => ({ lease: undefined, code: e.code }),
    );
    const other = (await newcomer) ?? {};
    const owners = [taker, other].filter((r) => r.lease !== undefined);
    assert.is(owners.length, 1);
    assert.is(owners[0]?.lease?.epoch, 42, 'one above the gone owner, never back to 1');
    assert.is((await store.ownerStatus(REF)).owner?.epoch, 42);
    await store.release(owners[0]?.lease as Lease);
  } finally {
    fsp.rename = realRename;
    syncBuiltinESMExports();
    await removeDir(root);
  }
});

test('a newcomer acting while an owner releases never gets the epoch the owner had', async () => {
  const root = await tempDir('store-fs-takeover-');
  const store = new FileSummaryStore({ root, logger: recordingLogger() });
  const path = store.pathsFor(REF).owner;
  // The owner never saves: the summary's files know no epoch, only the record does.
  const { lease } = await store.acquire(REF, options('host-a', 1001));
  assert.is(lease.epoch, 1);
  // At the release's first rename touching the record, a newcomer runs its acquire. If the
  // rename moved the record away (a gap), the newcomer runs to its end inside that gap; if it
  // replaced the record in place, the newcomer runs alongside (it waits for the lock).
  let newcomer: Promise<{ lease?: Lease; code?: string }> | undefined;
  fsp.rename = async (from, to) => {
    const result = await realRename(from, to);
    if (newcomer === undefined && (String(from) === path || String(to) === path)) {
      newcomer = store.acquire(REF, options('host-b', 1002)).then(
        (r) => ({ lease: r.lease }),
        (e: { code?: string }) => ({ code: e.code }),
      );
      if (String(from) === path) await newcomer;
    }
    return result;
  };
  syncBuiltinESMExports();
  try {
    await store.release(lease);
    const other = (await newcomer) ?? {};
    assert.is(other.code, undefined, 'the released summary is free to take');
    assert.is(other.lease?.epoch, 2, 'one above the released owner, never its epoch again');
    const status = await store.ownerStatus(REF);
    assert.is(status.owner?.epoch, 2);
    assert.is(status.owner?.host, 'host-b');
    await store.release(other.lease as Lease);
    assert.is((await store.ownerStatus(REF)).state, 'none');
  } finally {
    fsp.rename = realRename;
    syncBuiltinESMExports();
    await removeDir(root);
  }
});

test.run();
