/**
 * Takeover under a forced interleaving: one taker is held in the middle of its takeover while
 * others arrive. `node:fs/promises` is wrapped (syncBuiltinESMExports updates the bindings the
 * lease module imported), so the order of file operations is the test's, not the scheduler's.
 */
import { utimesSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { systemClock } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { acquireOwnership, type OwnerLease, writeOwnerRecordSync } from '../src/index.js';
import { tempRoot } from './_helpers.js';

const fsp = createRequire(import.meta.url)('node:fs/promises') as typeof import('node:fs/promises');
const realRename = fsp.rename;

function options(host: string, pid: number) {
  return {
    runName: 'r',
    processName: 'p',
    clock: systemClock,
    staleAfterSeconds: 60,
    identity: { host, bootId: null, pid, pidStart: null },
  };
}

const test = suite('takeover under a forced interleaving');

test('takers arriving while one is mid-takeover wait, then find the new owner alive', async () => {
  const { root, cleanup } = tempRoot();
  const path = join(root, 'process_summary_p.owner');
  const old = systemClock.now() - 3600;
  writeOwnerRecordSync(path, {
    version: 1,
    run_name: 'r',
    process_name: 'p',
    host: 'gone-host',
    boot_id: null,
    pid: 4242,
    pid_start: null,
    token: 'stale',
    since: old,
    heartbeat: old,
  });
  utimesSync(path, old, old);

  // Hold the first move of the stale record until the others have started.
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
    if (String(to).includes('.stale-') && String(from) === path) {
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
    const settle = (p: Promise<{ lease: OwnerLease }>) =>
      p.then(
        (r) => ({ lease: r.lease, code: undefined as string | undefined }),
        (e: { code?: string }) => ({ lease: undefined, code: e.code }),
      );
    const a = settle(acquireOwnership(path, options('host-a', 1001)));
    await reached;
    const b = settle(acquireOwnership(path, options('host-b', 1002)));
    const c = settle(acquireOwnership(path, options('host-c', 1003)));
    await new Promise((resolve) => setTimeout(resolve, 50)); // let B and C run into the lock
    release();
    const results = await Promise.all([a, b, c]);
    const owners = results.filter((r) => r.lease !== undefined);
    assert.is(owners.length, 1, JSON.stringify(results.map((r) => r.code ?? 'owner')));
    assert.is(await owners[0]?.lease?.isHeld(), true, 'the one owner still holds its record');
    assert.equal(
      results.filter((r) => r.lease === undefined).map((r) => r.code),
      ['E_CONCURRENT_RUN', 'E_CONCURRENT_RUN'],
    );
    assert.is(moves, 1, 'the stale record was moved once, by the lock holder');
    await owners[0]?.lease?.release();
  } finally {
    fsp.rename = realRename;
    syncBuiltinESMExports();
    cleanup();
  }
});

test.run();
