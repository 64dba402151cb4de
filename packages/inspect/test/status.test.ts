import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DISPLAY_STATUSES, judgeStatus, needsOwnerStatus, statusWords } from '../src/status.js';
import { humanizeSeconds } from '../src/time.js';
import { dictOf, ownerStatus, readOf, seedFixture, started, T0, throwsCode } from './_helpers.js';

test('a running summary whose owner is dead is crashed, with the reason, and not live', () => {
  const { summary } = started();
  const read = readOf(dictOf(summary));
  const j = judgeStatus(read, ownerStatus('dead', 'pid 4242 on host-a is gone'), { now: T0 + 5 });
  assert.is(j.status, 'crashed');
  assert.is(j.reason, 'pid 4242 on host-a is gone');
  assert.is(j.live, false);
  assert.is(j.owner?.pid, 4242);
});

test('a dead owner is crashed even when the last save is recent (not stale)', () => {
  const { summary } = started();
  const j = judgeStatus(readOf(dictOf(summary)), ownerStatus('dead'), { now: T0 });
  assert.is(j.status, 'crashed');
});

test('an alive owner is running however long the summary has been silent, the silence said', () => {
  const { summary } = started();
  const read = readOf(dictOf(summary));
  const j = judgeStatus(read, ownerStatus('alive', 'pid 4242 on host-a is running'), {
    now: T0 + 86_400,
  });
  assert.is(j.status, 'running');
  assert.is(j.live, true);
  assert.is(
    j.reason,
    'pid 4242 on host-a is running, but no save for 1d 00h (last update 2025-06-15 15:06:40Z)',
  );
  const recent = judgeStatus(read, ownerStatus('alive'), { now: T0 + 10 });
  assert.is(recent.reason, null);
});

test('no owner and a recent save is running; past the threshold it is stale', () => {
  const { summary } = started();
  const read = readOf(dictOf(summary));
  const recent = judgeStatus(read, ownerStatus('none'), { now: T0 + 299, staleAfterSeconds: 300 });
  assert.is(recent.status, 'running');
  const silent = judgeStatus(read, ownerStatus('none'), { now: T0 + 301, staleAfterSeconds: 300 });
  assert.is(silent.status, 'stale');
  assert.is(silent.live, false);
  assert.match(silent.reason ?? '', 'no owner');
});

test('an owner that cannot be judged and a silent summary is stale, naming why', () => {
  const { summary } = started();
  const j = judgeStatus(
    readOf(dictOf(summary)),
    ownerStatus('unknown', 'owner record unreadable'),
    {
      now: T0 + 3600,
    },
  );
  assert.is(j.status, 'stale');
  assert.match(j.reason ?? '', 'owner record unreadable');
});

test('without an owner status (not asked) a silent running summary is stale', () => {
  const { summary } = started();
  const j = judgeStatus(readOf(dictOf(summary)), null, { now: T0 + 3600 });
  assert.is(j.status, 'stale');
});

test('the silence in the reason agrees with the last update and is humanized', () => {
  const { summary, clock } = started();
  clock.advance(100);
  const read = readOf(dictOf(summary));
  const j = judgeStatus(read, ownerStatus('none'), { now: T0 + 100 + 725 });
  assert.is(j.lastUpdate, T0 + 100);
  assert.is(j.silentSeconds, 725);
  assert.ok(j.reason?.includes(`no save for ${humanizeSeconds(725)}`), j.reason ?? '');
  assert.ok(j.reason?.includes('12m 05s'), j.reason ?? '');
  assert.ok(j.reason?.includes('2025-06-15 15:08:20Z'), j.reason ?? '');
});

test('the last update falls back to the store write time when generated_at is unusable', () => {
  const { summary } = started();
  const dict = { ...dictOf(summary), generated_at: 'not a date' };
  const j = judgeStatus(readOf(dict, { writtenAt: T0 + 50 }), null, { now: T0 + 60 });
  assert.is(j.lastUpdate, T0 + 50);
  assert.is(j.silentSeconds, 10);
});

test('a save time ahead of now counts as no silence, never negative', () => {
  const { summary, clock } = started();
  clock.advance(30);
  const j = judgeStatus(readOf(dictOf(summary)), null, { now: T0 });
  assert.is(j.silentSeconds, 0);
  assert.is(j.status, 'running');
});

test('a save time further ahead than the threshold is not believed: the store write time judges the silence', () => {
  const { summary, clock } = started();
  clock.advance(365 * 86_400); // the writer's clock a year ahead
  const read = readOf(dictOf(summary), { writtenAt: T0 - 3600 });
  const j = judgeStatus(read, ownerStatus('none'), { now: T0, staleAfterSeconds: 300 });
  assert.is(j.status, 'stale', 'not running until next year');
  assert.is(j.lastUpdate, T0 - 3600);
  assert.is(j.silentSeconds, 3600);
  // Ahead by less than the threshold: believed (clocks a little apart), no silence.
  const other = started();
  other.clock.advance(100);
  const near = judgeStatus(
    readOf(dictOf(other.summary), { writtenAt: T0 - 3600 }),
    ownerStatus('none'),
    {
      now: T0,
      staleAfterSeconds: 300,
    },
  );
  assert.is(near.status, 'running');
  assert.is(near.silentSeconds, 0);
});

test('completed with failed items is completed_with_failures; without, completed', () => {
  const { summary } = started();
  summary.incrementItems({ processed: 2, successful: 1, failed: 1 });
  summary.endProcess();
  assert.is(
    judgeStatus(readOf(dictOf(summary)), null, { now: T0 }).status,
    'completed_with_failures',
  );
  const clean = started().summary;
  clean.incrementItems({ processed: 2, successful: 2 });
  clean.endProcess();
  assert.is(judgeStatus(readOf(dictOf(clean)), null, { now: T0 }).status, 'completed');
});

test('failed and interrupted summaries keep their status and ignore any owner', () => {
  const { summary } = started();
  summary.endProcess({ outcome: 'failed' });
  const j = judgeStatus(readOf(dictOf(summary)), ownerStatus('dead'), { now: T0 + 9999 });
  assert.is(j.status, 'failed');
  const interrupted = { ...dictOf(started().summary), status: 'interrupted' };
  assert.is(judgeStatus(readOf(interrupted), null, { now: T0 }).status, 'interrupted');
});

test('only a summary that says running needs its owner status', () => {
  const { summary } = started();
  assert.is(needsOwnerStatus(readOf(dictOf(summary))), true);
  summary.endProcess();
  assert.is(needsOwnerStatus(readOf(dictOf(summary))), false);
  assert.is(needsOwnerStatus(readOf(dictOf(summary), { dict: null })), false);
});

test('a seed-format file: status from is_completed, last update from its generated_at date', () => {
  const dict = seedFixture('collect');
  const j = judgeStatus(readOf(dict), null, {
    now: Date.parse(String(dict.generated_at)) / 1000 + 10,
  });
  assert.is(j.fileStatus, 'completed');
  assert.ok((j.lastUpdate ?? 0) > 1e9, 'a real date, not a perf_counter value');
  assert.is(j.silentSeconds, 10);
});

test('a read without a usable summary or a bad threshold is refused with a coded error', () => {
  const { summary } = started();
  throwsCode(
    () => judgeStatus(readOf(dictOf(summary), { dict: null }), null, { now: T0 }),
    'E_INVALID_ARGUMENT',
  );
  throwsCode(
    () => judgeStatus(readOf(dictOf(summary)), null, { now: T0, staleAfterSeconds: -1 }),
    'E_INVALID_ARGUMENT',
  );
});

test('every status has its words, with spaces rather than underscores', () => {
  assert.is(statusWords('completed_with_failures'), 'completed with failures');
  for (const status of DISPLAY_STATUSES) assert.not.match(statusWords(status), '_');
  assert.is(new Set(DISPLAY_STATUSES.map(statusWords)).size, DISPLAY_STATUSES.length);
});

test.run();
