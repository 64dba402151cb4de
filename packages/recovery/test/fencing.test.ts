/**
 * An owner that lost its lease never writes again, and its late writes are never taken for the
 * run's state: each case with real processes. The pipelines run in another pid namespace (and,
 * for the stalled owner, under another host name) through `unshare`, so this process judges
 * them by their heartbeat, as it would an owner on another host sharing the directory.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessSummary, type SummaryDict, type SummaryRef } from '@process-summary/core';
import { FileSummaryStore } from '@process-summary/store-fs';
import {
  canUnshare,
  inNamespace,
  namespacedPid,
  startChild,
  waitUntil,
} from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessSummaryManager } from '../src/index.js';
import { endsWithin, pipelineScript, startPipeline, tempRoot } from './_helpers.js';

const REF: SummaryRef = { runName: 'harvard_2024', processName: 'collect' };
const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

type Ctx = { root: string; cleanup: () => void };
const test = suite<Ctx>('fencing: a lost owner never writes again');
test.before.each((ctx) => Object.assign(ctx, tempRoot()));
test.after.each((ctx) => ctx.cleanup());

/** A pipeline in its own pid namespace (optionally under another host name). */
function namespacedPipeline(root: string, mode: string, options: object, hostName?: string) {
  // Not the namespace's init: the stalled owner stops itself with SIGSTOP.
  return startChild(
    inNamespace(
      [
        process.execPath,
        pipelineScript,
        root,
        REF.runName,
        REF.processName,
        mode,
        JSON.stringify({ handleSignals: false, heartbeatSeconds: 0, ...options }),
      ],
      hostName === undefined ? { asInit: false } : { hostName, asInit: false },
    ),
  );
}

/** Takes the run over from a silent owner, as another process would once its heartbeat is old. */
async function takeOver(store: FileSummaryStore) {
  await waitUntil(
    async () => (await store.ownerStatus(REF, { staleAfterSeconds: 1 })).state === 'dead',
  );
  return store.acquire(REF, { staleAfterSeconds: 1 });
}

/** Every file of the run holding a summary, with its items count. */
function itemsOnDisk(root: string): Record<string, number> {
  const dir = join(root, REF.runName);
  const found: Record<string, number> = {};
  for (const name of readdirSync(dir)) {
    if (!/^process_summary_collect\.json(\.e\d+)?$/.test(name)) continue;
    found[name] = (
      JSON.parse(readFileSync(join(dir, name), 'utf8')) as SummaryDict
    ).items_processed;
  }
  return found;
}

function journalText(root: string): string {
  return readFileSync(join(root, REF.runName, 'process_summary_collect.events.jsonl'), 'utf8');
}

test('a save queued when the lease is lost never lands', async ({ root }) => {
  if (!canUnshare)
    return void process.stdout.write('\n  note: needs unshare (root, Linux); skipped\n');
  const old = namespacedPipeline(root, 'queued-save', { stall: 'file' });
  const store = new FileSummaryStore({ root, logger: quietLogger });
  try {
    await old.waitFor('paused'); // its first save: checked, stalled before the rename
    await old.waitFor('queued'); // its second save: queued behind the first
    const { lease } = await takeOver(store);
    const loaded = await store.load(REF);
    assert.ok(loaded);
    loaded.summary.incrementItems({ processed: 5000 });
    await store.save(loaded.summary, lease);
    writeFileSync(join(root, 'go'), ''); // the stalled rename lands now, late
    const saves = await old.waitFor('saves');
    assert.is(saves.second, false, 'the queued save was refused');
    const items = Object.values(itemsOnDisk(root));
    assert.not.ok(
      items.includes(10 + 989),
      `the queued state is nowhere: ${JSON.stringify(itemsOnDisk(root))}`,
    );
    assert.not.match(journalText(root), 'queued save', 'not even its journal lines');
    const read = await store.read(REF);
    assert.is(read?.dict?.items_processed, 5000, 'readers take the new owner state');
    assert.is(read?.epoch, lease.epoch);
    assert.is((await store.load(REF))?.summary.itemsProcessed, 5000);
    await store.release(lease);
  } finally {
    old.child.kill('SIGKILL');
    await old.exited;
  }
});

test('a takeover while the old owner is stopped (SIGSTOP) on another host: its late write is never taken', async ({
  root,
}) => {
  if (!canUnshare)
    return void process.stdout.write('\n  note: needs unshare (root, Linux); skipped\n');
  const old = namespacedPipeline(root, 'late-write', { stall: 'sigstop' }, 'stalled-host');
  const store = new FileSummaryStore({ root, logger: quietLogger });
  try {
    await old.waitFor('paused'); // it stops itself between its lease check and its rename
    const oldPid = namespacedPid(old.child.pid as number);
    const { lease, previous } = await takeOver(store);
    assert.is(previous?.reason, 'stale');
    assert.is(previous?.owner?.host, 'stalled-host');
    const loaded = await store.load(REF);
    assert.ok(loaded);
    const next = loaded.summary;
    next.startProcess({ host: 'new-owner', pid: process.pid });
    next.incrementItems({ processed: 7000 });
    await store.save(next, lease);
    process.kill(oldPid, 'SIGCONT'); // its rename lands now, over the summary file
    const first = await old.waitFor('first-save');
    assert.is(first.ok, true, 'the old owner believes its write landed');
    const onDisk = itemsOnDisk(root);
    assert.is(onDisk['process_summary_collect.json'], 10, 'the late write did land on the file');
    const read = await store.read(REF);
    assert.is(
      read?.dict?.items_processed,
      7000,
      'read takes the highest epoch, not the late write',
    );
    assert.is(read?.epoch, lease.epoch);
    assert.is((await store.load(REF))?.summary.itemsProcessed, 7000, 'so does load');
    const second = await old.waitFor('second-save');
    assert.is(second.ok, false, 'its next save is refused');
    next.incrementItems({ processed: 1 });
    await store.save(next, lease);
    assert.is((await new FileSummaryStore({ root }).read(REF))?.dict?.items_processed, 7001);
    await store.release(lease);
  } finally {
    old.child.kill('SIGKILL');
    await old.exited;
  }
});

test('the heartbeat renews the lease: an owner in another pid namespace is judged alive by it', async ({
  root,
}) => {
  if (!canUnshare)
    return void process.stdout.write('\n  note: needs unshare (root, Linux); skipped\n');
  const owner = namespacedPipeline(root, 'hold', { heartbeatSeconds: 0.05 });
  const store = new FileSummaryStore({ root, logger: quietLogger });
  try {
    await owner.waitFor('holding');
    const first = (await store.ownerStatus(REF)).owner?.heartbeat ?? 0;
    await waitUntil(
      async () => ((await store.ownerStatus(REF)).owner?.heartbeat ?? 0) > first + 0.1,
    );
    const status = await store.ownerStatus(REF);
    assert.is(status.state, 'alive');
    assert.match(status.reason, 'last heartbeat');
  } finally {
    owner.child.kill('SIGKILL');
    await owner.exited;
  }
});

test('a save after endProcess released the lease never lands', async ({ root }) => {
  const p = startPipeline(root, 'save-after-end', { handleSignals: false, heartbeatSeconds: 0 });
  const saved = await p.waitFor('saved');
  await endsWithin(p, 20_000);
  assert.is(saved.ended, true);
  assert.is(saved.after, false, 'refused: the lease was given up with the end');
  const d = JSON.parse(
    readFileSync(join(root, REF.runName, 'process_summary_collect.json'), 'utf8'),
  ) as SummaryDict;
  assert.is(d.items_processed, 3);
  assert.is(d.status, 'completed');
  assert.not.match(journalText(root), 'after the end');
  assert.match(p.stderr(), 'E_LEASE_LOST');
});

test('remove and cleanupSummary by a non-owner of a live run are refused', async ({ root }) => {
  const holder = startPipeline(root, 'hold', { handleSignals: false, heartbeatSeconds: 0 });
  try {
    await holder.waitFor('holding');
    const store = new FileSummaryStore({ root, logger: quietLogger });
    const before = await store.read(REF);
    for (const attempt of [
      () => store.remove(REF),
      () => store.archive(REF),
      () => new ProcessSummaryManager(REF.runName, REF.processName, { root }).cleanupSummary(),
      () => store.save(new ProcessSummary({ runName: REF.runName, processName: REF.processName })),
    ]) {
      try {
        await attempt();
        assert.unreachable('refused');
      } catch (err) {
        assert.is((err as { code?: string }).code, 'E_CONCURRENT_RUN');
        assert.match((err as Error).message, `pid ${holder.messages[0]?.pid}`);
      }
    }
    assert.equal(await store.read(REF), before, 'nothing changed');
  } finally {
    holder.child.kill('SIGKILL');
    await holder.exited;
  }
});

test.run();
