import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createManualClock,
  type Lease,
  MemorySummaryStore,
  type ProcessSummary,
} from '@process-summary/core';
import type { Logger } from '@process-summary/store-fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createProcessSummary,
  ProcessSummaryManager,
  releaseProcessSummary,
  resumeInfo,
  saveProcessSummary,
} from '../src/index.js';
import { tempRoot } from './_helpers.js';
import { ownerState, takeOwnershipAway } from './_owner.js';

function recordingLogger(): Logger & {
  lines: { level: string; message: string; fields: Record<string, unknown> }[];
} {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, message, fields });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A store whose saves fail while `failing` is set, like a full disk. */
class FlakyStore extends MemorySummaryStore {
  failing = false;
  override async save(summary: ProcessSummary, lease?: Lease): Promise<void> {
    if (this.failing) {
      throw Object.assign(new Error('process-summary: cannot write: no space left on device'), {
        code: 'E_IO',
        cause: Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }),
      });
    }
    await super.save(summary, lease);
  }
}

const test = suite<{ root: string; cleanup: () => void }>(
  'createProcessSummary and saveProcessSummary',
);
test.before.each((ctx) => Object.assign(ctx, tempRoot()));
test.after.each((ctx) => ctx.cleanup());

const quiet = { handleSignals: false, heartbeatSeconds: 0 };

test('a new run: session 1 started and saved at once, ownership taken', async ({ root }) => {
  const summary = await createProcessSummary('harvard_2024', 'collect', { root, ...quiet });
  assert.is(summary.status, 'running');
  assert.is(summary.sessionCount, 1);
  assert.is(summary.currentSession?.pid, process.pid);
  assert.is(resumeInfo(summary), null);
  const dir = join(root, 'harvard_2024');
  assert.ok(existsSync(join(dir, 'process_summary_collect.json')));
  assert.ok(existsSync(join(dir, 'process_summary_collect.owner')));
  summary.endProcess();
  assert.is(await saveProcessSummary(summary), true);
  assert.is(await ownerState(root), 'none', 'released after the end');
});

test('the same run twice in one process: the second is refused while the first owns it', async ({
  root,
}) => {
  const first = await createProcessSummary('harvard_2024', 'collect', { root, ...quiet });
  try {
    await createProcessSummary('harvard_2024', 'collect', { root, ...quiet });
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_CONCURRENT_RUN');
  }
  await releaseProcessSummary(first);
  const second = await createProcessSummary('harvard_2024', 'collect', { root, ...quiet });
  assert.is(second.sessionCount, 2);
  await releaseProcessSummary(second);
});

test('invalid names are refused before anything is created', async ({ root }) => {
  for (const [run, proc] of [
    ['../escape', 'collect'],
    ['run', 'a/b'],
    ['', 'x'],
  ]) {
    try {
      await createProcessSummary(run as string, proc as string, { root, ...quiet });
      assert.unreachable();
    } catch (err) {
      assert.is((err as { code?: string }).code, 'E_INVALID_NAME');
    }
  }
  assert.equal(readdirSync(root), []);
});

test('saveProcessSummary never throws: a failed save logs, returns false, keeps the state', async ({
  root,
}) => {
  const store = new FlakyStore();
  const logger = recordingLogger();
  const summary = await createProcessSummary('harvard_2024', 'collect', {
    root,
    store,
    logger,
    ...quiet,
  });
  summary.incrementItems({ processed: 10, successful: 10 });
  store.failing = true;
  assert.is(await saveProcessSummary(summary), false);
  const error = logger.lines.find((l) => l.level === 'error');
  assert.ok(error);
  assert.is(error.fields.code, 'E_IO');
  assert.match(error.message, 'no space left on device');
  assert.is(summary.itemsProcessed, 10, 'the in-memory state is kept');
  store.failing = false;
  summary.incrementItems({ processed: 1 });
  assert.is(await saveProcessSummary(summary), true);
  const loaded = await store.load({ runName: 'harvard_2024', processName: 'collect' });
  assert.is(loaded?.summary.itemsProcessed, 11);
  await releaseProcessSummary(summary);
});

test('an owner whose record was taken over stops writing and says so, once', async ({ root }) => {
  const logger = recordingLogger();
  const summary = await createProcessSummary('harvard_2024', 'collect', { root, logger, ...quiet });
  summary.incrementItems({ processed: 1 });
  assert.is(await saveProcessSummary(summary), true);
  const file = join(root, 'harvard_2024', 'process_summary_collect.json');
  takeOwnershipAway(root);
  const before = readFileSync(file, 'utf8');
  summary.incrementItems({ processed: 100 });
  assert.is(await saveProcessSummary(summary), false);
  assert.is(await saveProcessSummary(summary), false);
  assert.is(await saveProcessSummary(summary), false);
  assert.is(readFileSync(file, 'utf8'), before, "the new owner's file is untouched");
  const errors = logger.lines.filter((l) => l.level === 'error');
  assert.is(errors.length, 1, 'one error for the lost lease, not one per save');
  const error = errors[0];
  assert.ok(error && error.fields.code === 'E_LEASE_LOST');
  assert.match(error.message, 'pid 1 on usurper');
  assert.not.match(error.message, 'harvard_2024/collect: harvard_2024/collect', 'said once');
  assert.is(await ownerState(root), 'alive', "the new owner's record is left alone");
});

test('the heartbeat checkpoints and saves without the pipeline asking', async ({ root }) => {
  const summary = await createProcessSummary('harvard_2024', 'collect', {
    root,
    handleSignals: false,
    heartbeatSeconds: 0.02,
  });
  summary.incrementItems({ processed: 3 });
  const file = join(root, 'harvard_2024', 'process_summary_collect.json');
  const first = JSON.parse(readFileSync(file, 'utf8'));
  let latest = first;
  // Wait for the heartbeat's save (bounded: a hang guard, not a timing assertion).
  for (let i = 0; i < 3000 && latest.items_processed !== 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    latest = JSON.parse(readFileSync(file, 'utf8'));
  }
  assert.is(latest.items_processed, 3, 'saved by the heartbeat');
  assert.ok(latest.last_checkpoint_time > first.last_checkpoint_time, 'checkpointed');
  await releaseProcessSummary(summary);
});

test('a completed run resumed is a new session, with no interruption', async ({ root }) => {
  const store = new MemorySummaryStore();
  const first = await createProcessSummary('r', 'p', { root, store, ...quiet });
  first.incrementItems({ processed: 5 });
  first.endProcess();
  await saveProcessSummary(first);
  const second = await createProcessSummary('r', 'p', { root, store, ...quiet });
  assert.is(resumeInfo(second)?.previousEnd, 'completed');
  assert.is(resumeInfo(second)?.interrupted, false);
  assert.is(second.interruptionCount, 0);
  assert.is(second.status, 'running');
  assert.is(second.itemsProcessed, 5);
  assert.is(second.sessionCount, 2);
  await releaseProcessSummary(second);
});

test("the seed's rule on resume: a checkpoint older than the threshold is an interruption", async ({
  root,
}) => {
  const store = new MemorySummaryStore();
  const clock = createManualClock();
  const first = await createProcessSummary('r', 'p', { root, store, clock, ...quiet });
  await saveProcessSummary(first);
  await releaseProcessSummary(first); // gone without a record, ownership released
  clock.advance(301);
  const second = await createProcessSummary('r', 'p', { root, store, clock, ...quiet });
  assert.is(resumeInfo(second)?.previousEnd, 'checkpoint_gap');
  assert.is(second.interruptionCount, 1);
  const messages = second.progressUpdates.map((u) => u.message);
  assert.match(
    messages.join('\n'),
    /Interruption detected: no checkpoint for 301\.0 seconds\nProcess resumed after interruption/,
  );
  assert.is(second.sessions[0]?.end_reason, 'checkpoint_gap');
  await releaseProcessSummary(second);
});

test('a running summary whose owner left no record, checkpointed recently: a crash', async ({
  root,
}) => {
  const store = new MemorySummaryStore();
  const clock = createManualClock();
  const first = await createProcessSummary('r', 'p', { root, store, clock, ...quiet });
  await releaseProcessSummary(first);
  clock.advance(10);
  const second = await createProcessSummary('r', 'p', { root, store, clock, ...quiet });
  assert.is(resumeInfo(second)?.previousEnd, 'crash');
  assert.is(second.sessions[0]?.end_reason, 'crash');
  await releaseProcessSummary(second);
});

test('rates and ETA of a resumed run count only the current session', async ({ root }) => {
  const store = new MemorySummaryStore();
  const clock = createManualClock();
  const first = await createProcessSummary('r', 'p', { root, store, clock, ...quiet });
  first.setItemsTotal(1000);
  first.incrementItems({ processed: 500 });
  clock.advance(10); // 50 items/s
  first.endProcess();
  await saveProcessSummary(first);
  clock.advance(3600);
  const second = await createProcessSummary('r', 'p', { root, store, clock, ...quiet });
  second.incrementItems({ processed: 10 });
  clock.advance(10); // 1 item/s now
  assert.is(second.currentRatePerSecond, 1);
  assert.is(second.etaSeconds, 490);
  await releaseProcessSummary(second);
});

test('the seed manager: loadOrCreateSummary, saveSummary, cleanupSummary', async ({ root }) => {
  const manager = new ProcessSummaryManager('harvard_2024', 'sync', { root, ...quiet });
  const summary = await manager.loadOrCreateSummary();
  summary.incrementItems({ processed: 1 });
  assert.is(await manager.saveSummary(summary), true);
  const file = join(root, 'harvard_2024', 'process_summary_sync.json');
  assert.ok(existsSync(file));
  assert.is(await manager.cleanupSummary(), true);
  assert.not.ok(existsSync(file));
  assert.is(await ownerState(root, 'harvard_2024', 'sync'), 'none');
});

test('the store option: a path or file:// URL is the file store there', async ({ root }) => {
  const byPath = await createProcessSummary('r', 'p', { store: join(root, 'a'), ...quiet });
  await releaseProcessSummary(byPath);
  assert.ok(existsSync(join(root, 'a', 'r', 'process_summary_p.json')));
  const byUrl = await createProcessSummary('r', 'p', {
    store: pathToFileURL(join(root, 'b')).href,
    worker: 'w1',
    ...quiet,
  });
  assert.is(byUrl.worker, 'w1');
  await releaseProcessSummary(byUrl);
  assert.ok(existsSync(join(root, 'b', 'r', 'process_summary_p@w1.json')));
});

test('a worker resumed after an interruption is named as run/process@worker in the warning', async ({
  root,
}) => {
  const first = await createProcessSummary('r', 'p', { root, worker: 'w1', ...quiet });
  first.incrementItems({ processed: 3 });
  await saveProcessSummary(first);
  await releaseProcessSummary(first); // no endProcess: the next session finds an interruption
  const logger = recordingLogger();
  const second = await createProcessSummary('r', 'p', { root, worker: 'w1', logger, ...quiet });
  assert.is(second.itemsProcessed, 3);
  const warning = logger.lines.find((line) => line.message.includes('resumes after'));
  assert.ok(warning, 'a resume warning is logged');
  assert.match(warning.message, /^r\/p@w1 resumes after an interruption/);
  assert.is(warning.fields.worker, 'w1');
  await releaseProcessSummary(second);
});

test('bad options are refused before anything is created', async ({ root }) => {
  const bad: [Record<string, unknown>, string][] = [
    [{ limits: { maxProgressUpdates: 0 } }, 'E_INVALID_LIMITS'],
    [{ clock: {} }, 'E_INVALID_ARGUMENT'],
    [{ store: {} }, 'E_INVALID_ARGUMENT'],
  ];
  for (const [options, code] of bad) {
    try {
      await createProcessSummary('r', 'p', { root, ...quiet, ...options });
      assert.unreachable();
    } catch (err) {
      assert.is((err as { code?: string }).code, code);
    }
  }
  assert.equal(readdirSync(root), []);
});

test('option values are checked', async ({ root }) => {
  for (const bad of [
    { heartbeatSeconds: -1 },
    { interruptionThresholdSeconds: 0 },
    { staleAfterSeconds: Number.NaN },
  ]) {
    try {
      await createProcessSummary('r', 'p', { root, ...bad });
      assert.unreachable();
    } catch (err) {
      assert.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT');
    }
  }
});

test('each load warning is logged once (the store logs it; createProcessSummary does not again)', async ({
  root,
}) => {
  const first = await createProcessSummary('harvard_2024', 'collect', { root, ...quiet });
  first.incrementItems({ processed: 1 });
  await saveProcessSummary(first);
  first.incrementItems({ processed: 1 });
  await saveProcessSummary(first);
  await releaseProcessSummary(first);
  writeFileSync(join(root, 'harvard_2024', 'process_summary_collect.json'), '{"torn": ');
  const logger = recordingLogger();
  const summary = await createProcessSummary('harvard_2024', 'collect', { root, logger, ...quiet });
  const warned = logger.lines.filter((l) => l.level === 'warn').map((l) => l.fields.code);
  assert.equal(
    warned.filter((c) => c === 'W_QUARANTINED' || c === 'W_RESTORED_FROM_BACKUP'),
    ['W_QUARANTINED', 'W_RESTORED_FROM_BACKUP'],
  );
  await releaseProcessSummary(summary);
});

test('a run whose history cannot be used is refused with E_CORRUPT, never started over from zero', async ({
  root,
}) => {
  const first = await createProcessSummary('harvard_2024', 'collect', { root, ...quiet });
  first.incrementItems({ processed: 500, successful: 500 });
  await saveProcessSummary(first);
  await releaseProcessSummary(first);
  const dir = join(root, 'harvard_2024');
  writeFileSync(join(dir, 'process_summary_collect.json'), '{"torn": ');
  writeFileSync(join(dir, 'process_summary_collect.json.bak'), '');
  writeFileSync(join(dir, 'process_summary_collect.events.jsonl'), 'not json\n');
  const logger = recordingLogger();
  try {
    await createProcessSummary('harvard_2024', 'collect', { root, logger, ...quiet });
    assert.unreachable('refused');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_CORRUPT');
  }
  assert.not.ok(
    existsSync(join(dir, 'process_summary_collect.json')),
    'no new summary written over the history',
  );
  assert.ok(
    readdirSync(dir).some((n) => n.includes('.corrupt-')),
    'the bad files are kept',
  );
  assert.is(await ownerState(root), 'none', 'ownership given back');
  // Archiving and starting afresh is the caller's explicit choice.
  const fresh = await createProcessSummary('harvard_2024', 'collect', {
    root,
    fresh: true,
    ...quiet,
  });
  assert.is(fresh.itemsProcessed, 0);
  await releaseProcessSummary(fresh);
});

test.run();

const fresh = suite<{ root: string; cleanup: () => void }>('fresh start');
fresh.before.each((ctx) => Object.assign(ctx, tempRoot()));
fresh.after.each((ctx) => ctx.cleanup());

fresh('fresh: true archives the old summary beside it and starts over', async ({ root }) => {
  const first = await createProcessSummary('harvard_2024', 'collect', { root, ...quiet });
  first.incrementItems({ processed: 9 });
  first.endProcess();
  await saveProcessSummary(first);
  const second = await createProcessSummary('harvard_2024', 'collect', {
    root,
    fresh: true,
    ...quiet,
  });
  assert.is(second.itemsProcessed, 0);
  assert.is(second.sessionCount, 1);
  assert.is(resumeInfo(second), null);
  const files = readdirSync(join(root, 'harvard_2024'));
  const archived = files.find((f) => f.startsWith('process_summary_collect.json.archived-'));
  assert.ok(archived, files.join(', '));
  const old = JSON.parse(readFileSync(join(root, 'harvard_2024', archived), 'utf8'));
  assert.is(old.items_processed, 9);
  await releaseProcessSummary(second);
});

fresh('a store that cannot archive is refused before anything changes', async ({ root }) => {
  const store = new MemorySummaryStore();
  const noArchive = Object.assign(Object.create(store), {
    archive: undefined,
  }) as MemorySummaryStore;
  try {
    await createProcessSummary('r', 'p', { root, store: noArchive, fresh: true, ...quiet });
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT');
  }
  assert.equal(readdirSync(root), [], 'nothing was created');
});

fresh.run();
