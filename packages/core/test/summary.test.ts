import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  INTERRUPTION_DETECTED_MESSAGE,
  ProcessSummary,
  type ProgressUpdate,
  SCHEMA_VERSION,
} from '../src/index.js';
import { fresh, SEED_KEYS, T0, throwsCode } from './_helpers.js';

// The behaviours the seed's own unit tests check, written anew.
const seed = suite('seed behaviour');

seed('a new summary has the seed defaults', () => {
  const { summary } = fresh({ sessionId: 1751920822 });
  const d = summary.getSummaryDict();
  assert.is(d.process_name, 'collect');
  assert.is(d.run_name, 'harvard_2024');
  assert.is(d.session_id, 1751920822);
  assert.is(d.start_time, T0);
  assert.is(d.end_time, null);
  assert.is(d.duration_seconds, null);
  assert.is(d.is_completed, false);
  for (const key of [
    'items_processed',
    'items_successful',
    'items_failed',
    'items_retried',
    'bytes_processed',
    'error_count',
    'interruption_count',
    'progress_updates_count',
  ] as const) {
    assert.is(d[key], 0, key);
  }
  assert.equal(d.error_types, {});
  assert.is(d.last_error_message, null);
  assert.is(d.last_error_time, null);
  assert.equal(d.progress_updates, []);
  assert.equal(d.custom_metrics, {});
  assert.is(d.success_rate_percent, 0);
  assert.is(d.processing_rate_per_second, 0);
  assert.is(summary.lastCheckpointTime, null);
});

seed('the session id defaults to the Unix seconds of creation', () => {
  const { summary } = fresh();
  assert.is(summary.sessionId, T0);
});

seed('startProcess sets the start time and a checkpoint; endProcess the end and duration', () => {
  const { summary, clock } = fresh();
  clock.advance(3);
  summary.startProcess();
  assert.is(summary.startTime, T0 + 3);
  assert.is(summary.lastCheckpointTime, T0 + 3);
  assert.is(summary.status, 'running');
  clock.advance(49.25);
  summary.endProcess();
  assert.is(summary.endTime, T0 + 52.25);
  assert.is(summary.durationSeconds, 49.25);
  assert.is(summary.isCompleted, true);
  assert.is(summary.status, 'completed');
});

seed('a progress update carries time, elapsed, message, counters and extra fields', () => {
  const { summary, clock } = fresh();
  summary.startProcess();
  summary.incrementItems({ processed: 50, successful: 48, failed: 2 });
  clock.advance(3.25);
  summary.addProgressUpdate('Processing batch 1', { batch_size: 50, storage: { kind: 'minio' } });
  assert.equal(summary.progressUpdates, [
    {
      timestamp: T0 + 3.25,
      elapsed_seconds: 3.25,
      message: 'Processing batch 1',
      items_processed: 50,
      items_successful: 48,
      items_failed: 2,
      batch_size: 50,
      storage: { kind: 'minio' },
    },
  ]);
  assert.is(summary.progressUpdatesCount, 1);
});

seed('increments accumulate', () => {
  const { summary } = fresh();
  summary.incrementItems({ processed: 10, successful: 9, failed: 1 });
  summary.incrementItems({ processed: 5, successful: 5, retried: 2, bytes: 1024 });
  summary.incrementItems({});
  assert.is(summary.itemsProcessed, 15);
  assert.is(summary.itemsSuccessful, 14);
  assert.is(summary.itemsFailed, 1);
  assert.is(summary.itemsRetried, 2);
  assert.is(summary.bytesProcessed, 1024);
});

seed('errors accumulate per type with the last message and time', () => {
  const { summary, clock } = fresh();
  summary.addError('NetworkError', 'Connection timeout');
  clock.advance(1);
  summary.addError('NetworkError', 'Connection reset');
  clock.advance(1);
  summary.addError('ValidationError', 'Invalid barcode');
  assert.is(summary.errorCount, 3);
  assert.equal(summary.errorTypes, { NetworkError: 2, ValidationError: 1 });
  assert.is(summary.lastErrorMessage, 'Invalid barcode');
  assert.is(summary.lastErrorTime, T0 + 2);
});

seed('an interruption is detected only past the threshold and adds a progress update', () => {
  const { summary, clock } = fresh();
  summary.startProcess();
  clock.advance(300);
  assert.is(summary.detectInterruption(), false, 'exactly the threshold is not past it');
  assert.is(summary.interruptionCount, 0);
  assert.is(summary.progressUpdatesCount, 0);
  clock.advance(0.5);
  assert.is(summary.detectInterruption(), true);
  assert.is(summary.interruptionCount, 1);
  const [update] = summary.progressUpdates;
  assert.ok(update?.message.startsWith(`${INTERRUPTION_DETECTED_MESSAGE}: `), update?.message);
  assert.match(update?.message ?? '', /300\.5 seconds/);
});

seed('no checkpoint yet means no interruption', () => {
  const { summary, clock } = fresh();
  clock.advance(10_000);
  assert.is(summary.detectInterruption(), false);
});

seed('the interruption threshold is configurable, per summary and per call', () => {
  const { summary, clock } = fresh({ interruptionThresholdSeconds: 60 });
  summary.startProcess();
  clock.advance(61);
  assert.is(summary.detectInterruption(120), false);
  assert.is(summary.detectInterruption(), true);
});

seed('checkpoint moves the checkpoint time', () => {
  const { summary, clock } = fresh();
  summary.startProcess();
  clock.advance(250);
  summary.checkpoint();
  assert.is(summary.lastCheckpointTime, T0 + 250);
  clock.advance(250);
  assert.is(summary.detectInterruption(), false);
});

seed('custom metrics are set and overwritten', () => {
  const { summary } = fresh();
  summary.setCustomMetric('storage_type', 'minio');
  summary.setCustomMetric('bucket_name', 'grin-raw');
  summary.setCustomMetric('books_collected', 10);
  summary.setCustomMetric('books_collected', 1000);
  assert.equal(summary.customMetrics, {
    storage_type: 'minio',
    bucket_name: 'grin-raw',
    books_collected: 1000,
  });
});

seed('the summary dict of a running process uses the elapsed time so far', () => {
  const { summary, clock } = fresh();
  summary.startProcess();
  summary.incrementItems({ processed: 50, successful: 45, failed: 5 });
  clock.advance(20);
  const d = summary.getSummaryDict();
  assert.is(d.is_completed, false);
  assert.is(d.end_time, null);
  assert.is(d.duration_seconds, null);
  assert.is(d.success_rate_percent, 90);
  assert.is(d.processing_rate_per_second, 2.5);
  assert.is(d.status, 'running');
});

seed('the summary dict of a completed process: 45 of 50 is 90.0 %', () => {
  const { summary, clock } = fresh();
  summary.startProcess();
  summary.incrementItems({ processed: 50, successful: 45, failed: 5 });
  clock.advance(3);
  summary.endProcess();
  clock.advance(100);
  const d = summary.getSummaryDict();
  assert.is(d.is_completed, true);
  assert.is(d.duration_seconds, 3);
  assert.is(d.success_rate_percent, 90.0);
  assert.is(d.processing_rate_per_second, 16.67, 'rate uses the duration, not the time since');
});

seed('the progress summary of 10 updates: the recent ones are updates 5 to 9', () => {
  const { summary, clock } = fresh();
  summary.startProcess();
  for (let i = 0; i < 10; i++) {
    clock.advance(1);
    summary.addProgressUpdate(`update ${i}`);
  }
  const p = summary.getProgressSummary();
  assert.ok('total_updates' in p);
  assert.is(p.total_updates, 10);
  assert.equal(
    p.recent_updates.map((u) => u.message),
    ['update 5', 'update 6', 'update 7', 'update 8', 'update 9'],
  );
  assert.is(p.first_update.message, 'update 0');
  assert.is(p.latest_update.message, 'update 9');
});

seed('the progress summary of no update is an empty object', () => {
  assert.equal(fresh().summary.getProgressSummary(), {});
});

seed.run();

const dict = suite('summary dict');

dict('has every seed key in the seed order, then the additions', () => {
  const keys = Object.keys(fresh().summary.getSummaryDict());
  assert.equal(keys.slice(0, 23), SEED_KEYS);
  assert.ok(keys.includes('schema_version'));
});

dict('says its schema version and when it was generated, from the clock', () => {
  const d = fresh().summary.getSummaryDict();
  assert.is(d.schema_version, SCHEMA_VERSION);
  assert.is(d.generated_at, new Date(T0 * 1000).toISOString());
});

dict('rates round like Python: half to even on exact ties', () => {
  const { summary, clock } = fresh();
  summary.startProcess();
  summary.incrementItems({ processed: 1, successful: 1 });
  clock.advance(8); // 1 / 8 = 0.125 exactly: Python's round(0.125, 2) is 0.12
  summary.endProcess();
  assert.is(summary.getSummaryDict().processing_rate_per_second, 0.12);
});

dict('is a fresh copy: changing it changes nothing in the summary', () => {
  const { summary } = fresh();
  summary.addProgressUpdate('one', { tags: ['a'] });
  summary.setCustomMetric('nested', { list: [1] });
  const d = summary.getSummaryDict();
  (d.progress_updates[0] as ProgressUpdate).message = 'changed';
  ((d.progress_updates[0] as ProgressUpdate).tags as string[]).push('b');
  (d.custom_metrics.nested as { list: number[] }).list.push(2);
  d.error_types.X = 1;
  assert.is(summary.progressUpdates[0]?.message, 'one');
  assert.equal(summary.progressUpdates[0]?.tags, ['a']);
  assert.equal(summary.customMetrics, { nested: { list: [1] } });
  assert.equal(summary.errorTypes, {});
});

dict('success rate is 0 when nothing was attempted and 100 when all succeeded', () => {
  const { summary } = fresh();
  summary.incrementItems({ processed: 3 });
  assert.is(summary.successRatePercent, 0);
  summary.incrementItems({ successful: 3 });
  assert.is(summary.successRatePercent, 100);
});

dict.run();

const outcome = suite('outcomes and sessions');

outcome('endProcess with outcome failed is ended but not completed', () => {
  const { summary, clock } = fresh();
  summary.startProcess();
  clock.advance(5);
  summary.endProcess({ outcome: 'failed' });
  const d = summary.getSummaryDict();
  assert.is(d.status, 'failed');
  assert.is(d.is_completed, false);
  assert.is(d.end_time, T0 + 5);
  assert.is(d.duration_seconds, 5);
  assert.is(d.sessions[0]?.end_reason, 'failed');
});

outcome('an unknown outcome is refused and nothing changes', () => {
  const { summary } = fresh();
  summary.startProcess();
  throwsCode(() => summary.endProcess({ outcome: 'done' as 'completed' }), 'E_INVALID_ARGUMENT');
  assert.is(summary.status, 'running');
  assert.is(summary.endTime, null);
});

outcome('a session records host, pid, times, how it ended and what it processed', () => {
  const { summary, clock } = fresh();
  summary.incrementItems({ processed: 7 });
  summary.startProcess({ host: 'worker-1', pid: 321, bootId: 'boot-a' });
  summary.incrementItems({ processed: 10, successful: 8, failed: 2, retried: 1, bytes: 99 });
  clock.advance(4);
  summary.endProcess();
  assert.equal(summary.sessions, [
    {
      number: 1,
      session_id: T0,
      host: 'worker-1',
      pid: 321,
      boot_id: 'boot-a',
      start_time: T0,
      end_time: T0 + 4,
      duration_seconds: 4,
      end_reason: 'completed',
      signal: null,
      items_processed: 10,
      items_successful: 8,
      items_failed: 2,
      items_retried: 1,
      bytes_processed: 99,
    },
  ]);
  assert.is(summary.activeSeconds, 4);
});

outcome('markInterrupted records the signal and closes the session', () => {
  const { summary, clock } = fresh();
  summary.startProcess();
  clock.advance(2);
  summary.markInterrupted({ reason: 'signal', signal: 'SIGTERM' });
  const d = summary.getSummaryDict();
  assert.is(d.status, 'interrupted');
  assert.is(d.is_completed, false);
  assert.is(d.sessions[0]?.end_reason, 'signal');
  assert.is(d.sessions[0]?.signal, 'SIGTERM');
  assert.is(d.last_checkpoint_time, T0 + 2);
  assert.is(d.interruption_count, 0, 'counted when the resume classifies it');
});

outcome('starting again after the end opens a new session and keeps the run start', () => {
  const { summary, clock } = fresh();
  summary.startProcess();
  summary.incrementItems({ processed: 10 });
  clock.advance(10);
  summary.endProcess();
  clock.advance(100);
  summary.startProcess();
  assert.is(summary.status, 'running');
  assert.is(summary.endTime, null);
  assert.is(summary.startTime, T0);
  assert.is(summary.sessionCount, 2);
  assert.is(summary.sessionId, T0 + 110);
  summary.incrementItems({ processed: 4 });
  clock.advance(2);
  const d = summary.getSummaryDict();
  assert.is(d.current_rate_per_second, 2, 'the current rate counts only this session');
  assert.is(d.active_seconds, 12, 'downtime between sessions is not active time');
});

outcome('startProcess twice in one process opens one session', () => {
  const { summary } = fresh();
  summary.startProcess();
  summary.startProcess();
  assert.is(summary.sessionCount, 1);
});

outcome('ETA comes from the current session rate and the remaining items', () => {
  const { summary, clock } = fresh();
  summary.setItemsTotal(1000);
  summary.startProcess();
  assert.is(summary.etaSeconds, null, 'no rate yet');
  summary.incrementItems({ processed: 100 });
  clock.advance(10);
  assert.is(summary.etaSeconds, 90);
  summary.incrementItems({ processed: 900 });
  assert.is(summary.etaSeconds, 0);
  summary.setItemsTotal(null);
  assert.is(summary.etaSeconds, null);
});

outcome('setItemsTotal refuses a negative or fractional total', () => {
  const { summary } = fresh();
  throwsCode(() => summary.setItemsTotal(-1), 'E_INVALID_ARGUMENT', RangeError);
  throwsCode(() => summary.setItemsTotal(1.5), 'E_INVALID_ARGUMENT', RangeError);
  assert.is(summary.itemsTotal, null);
});

outcome('recordInterruption counts, adds the seed message and emits an event', () => {
  const { summary } = fresh();
  summary.takeEvents();
  summary.recordInterruption({ reason: 'crash', detail: 'owner pid 12 is gone' });
  assert.is(summary.interruptionCount, 1);
  assert.is(summary.progressUpdates[0]?.message, 'Interruption detected: owner pid 12 is gone');
  const types = summary.takeEvents().map((e) => e.type);
  assert.equal(types, ['interruption', 'progress']);
});

outcome.run();

const input = suite('bad input is refused before anything changes');

input('negative, fractional, NaN and infinite increments', () => {
  const { summary } = fresh();
  summary.incrementItems({ processed: 1, successful: 1 });
  for (const bad of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
    throwsCode(
      () => summary.incrementItems({ processed: 1, successful: 1, failed: bad }),
      'E_INVALID_INCREMENT',
      RangeError,
    );
  }
  throwsCode(
    () => summary.incrementItems({ processed: '1' as unknown as number }),
    'E_INVALID_INCREMENT',
    TypeError,
  );
  throwsCode(
    () => summary.incrementItems(null as unknown as object),
    'E_INVALID_INCREMENT',
    TypeError,
  );
  assert.is(summary.itemsProcessed, 1);
  assert.is(summary.itemsSuccessful, 1);
  assert.is(summary.itemsFailed, 0);
});

input('a non-string or empty error type', () => {
  const { summary } = fresh();
  throwsCode(
    () => summary.addError(42 as unknown as string, 'x'),
    'E_INVALID_ERROR_TYPE',
    TypeError,
  );
  throwsCode(() => summary.addError('', 'x'), 'E_INVALID_ERROR_TYPE', TypeError);
  throwsCode(
    () => summary.addError('NetworkError', undefined as unknown as string),
    'E_INVALID_ARGUMENT',
    TypeError,
  );
  assert.is(summary.errorCount, 0);
  assert.is(summary.pendingEventCount, 0);
});

input('custom metrics that JSON cannot represent', () => {
  const { summary } = fresh();
  summary.setCustomMetric('ok', 1);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const bad: unknown[] = [
    10n,
    () => 1,
    Symbol('s'),
    undefined,
    Number.NaN,
    Number.NEGATIVE_INFINITY,
    cyclic,
    { nested: [1, { deep: 2n }] },
    new Date(0),
    new Map(),
    { flat: 1, missing: undefined },
    { flat: 'ok', nan: Number.NaN },
  ];
  for (const value of bad) {
    throwsCode(() => summary.setCustomMetric('ok', value), 'E_INVALID_METRIC', TypeError);
  }
  throwsCode(() => summary.setCustomMetric('', 1), 'E_INVALID_METRIC', TypeError);
  assert.equal(summary.customMetrics, { ok: 1 });
  const bare = Object.create(null) as Record<string, unknown>;
  bare.nested = { list: [1, 'two', null, true] };
  summary.setCustomMetric('bare', bare);
  assert.equal(summary.customMetrics.bare, { nested: { list: [1, 'two', null, true] } });
});

input('the message of a refused custom metric names the path', () => {
  const { summary } = fresh();
  try {
    summary.setCustomMetric('config', { retries: [1, 2n] });
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, 'custom metric "config".retries[1]');
  }
});

input('progress fields that are not JSON or reuse a reserved key', () => {
  const { summary } = fresh();
  throwsCode(() => summary.addProgressUpdate('x', { n: 1n }), 'E_INVALID_ARGUMENT', TypeError);
  throwsCode(() => summary.addProgressUpdate('x', { message: 'y' }), 'E_INVALID_ARGUMENT');
  throwsCode(() => summary.addProgressUpdate(5 as unknown as string), 'E_INVALID_ARGUMENT');
  assert.is(summary.progressUpdatesCount, 0);
  assert.is(summary.pendingEventCount, 0);
});

input('invalid names, limits and thresholds at construction', () => {
  for (const runName of ['', '..', 'a/b', 'x\u0000', 'é'.repeat(65)]) {
    throwsCode(() => new ProcessSummary({ runName, processName: 'collect' }), 'E_INVALID_NAME');
  }
  throwsCode(
    () => new ProcessSummary({ runName: 'r', processName: 'p', limits: { maxProgressUpdates: 1 } }),
    'E_INVALID_LIMITS',
  );
  throwsCode(
    () => new ProcessSummary({ runName: 'r', processName: 'p', limits: { nope: 3 } as object }),
    'E_INVALID_LIMITS',
  );
  throwsCode(
    () => new ProcessSummary({ runName: 'r', processName: 'p', interruptionThresholdSeconds: 0 }),
    'E_INVALID_ARGUMENT',
  );
});

input('options that are not objects, and a clock without now(), get a coded error', () => {
  const { summary } = fresh();
  summary.startProcess();
  throwsCode(() => summary.endProcess(null as never), 'E_INVALID_ARGUMENT', TypeError);
  throwsCode(() => summary.markInterrupted(undefined as never), 'E_INVALID_ARGUMENT', TypeError);
  throwsCode(() => summary.recordInterruption(null as never), 'E_INVALID_ARGUMENT', TypeError);
  assert.is(summary.status, 'running');
  assert.is(summary.interruptionCount, 0);
  for (const limits of [null, 5, 'x']) {
    throwsCode(() => fresh({ limits: limits as never }), 'E_INVALID_LIMITS', TypeError);
  }
  for (const clock of [{}, { now: 5 }, null]) {
    throwsCode(() => fresh({ clock: clock as never }), 'E_INVALID_ARGUMENT', TypeError);
  }
});

input('a clock reading the file cannot hold is refused, never written as null', () => {
  let reading: unknown = T0;
  const clock = { now: () => reading as number };
  const summary = new ProcessSummary({ runName: 'r', processName: 'p', clock });
  summary.startProcess();
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 1e300, '1750000000']) {
    reading = bad;
    throwsCode(() => summary.addProgressUpdate('m'), 'E_INVALID_ARGUMENT', RangeError);
    throwsCode(() => summary.getSummaryDict(), 'E_INVALID_ARGUMENT', RangeError);
  }
  reading = T0 + 1;
  summary.addProgressUpdate('m');
  ProcessSummary.fromDict(JSON.parse(JSON.stringify(summary.getSummaryDict())));
});

input.run();

const journal = suite('journal events');

journal('every progress update, error and session change becomes one event, in order', () => {
  const { summary, clock } = fresh();
  summary.startProcess({ pid: 1 });
  summary.addProgressUpdate('p1', { n: 1 });
  summary.addError('E', 'm');
  clock.advance(1);
  summary.endProcess();
  const events = summary.takeEvents();
  assert.equal(
    events.map((e) => e.type),
    ['session_start', 'progress', 'error', 'session_end'],
  );
  assert.equal(events[1], {
    type: 'progress',
    timestamp: T0,
    elapsed_seconds: 0,
    message: 'p1',
    items_processed: 0,
    items_successful: 0,
    items_failed: 0,
    n: 1,
    items_retried: 0,
    bytes_processed: 0,
  });
  assert.equal(summary.takeEvents(), [], 'taken events are forgotten');
});

journal('progress and session events carry the run totals, so the journal can rebuild them', () => {
  const { summary } = fresh();
  summary.startProcess();
  summary.incrementItems({ processed: 5, successful: 4, failed: 1, retried: 2, bytes: 300 });
  // A caller's field of a reserved total's name stays in the file; the journal holds the total.
  summary.addProgressUpdate('p', { bytes_processed: 'per batch' });
  summary.incrementItems({ processed: 1, successful: 1, bytes: 10 });
  summary.endProcess();
  const [start, progress, end] = summary.takeEvents();
  const totals = (e: unknown) => {
    const { items_processed, items_successful, items_failed, items_retried, bytes_processed } =
      e as Record<string, unknown>;
    return { items_processed, items_successful, items_failed, items_retried, bytes_processed };
  };
  assert.equal(totals(start), {
    items_processed: 0,
    items_successful: 0,
    items_failed: 0,
    items_retried: 0,
    bytes_processed: 0,
  });
  assert.equal(totals(progress), {
    items_processed: 5,
    items_successful: 4,
    items_failed: 1,
    items_retried: 2,
    bytes_processed: 300,
  });
  assert.equal(totals(end), {
    items_processed: 6,
    items_successful: 5,
    items_failed: 1,
    items_retried: 2,
    bytes_processed: 310,
  });
  assert.is(summary.progressUpdates[0]?.bytes_processed, 'per batch');
});

journal('restoreEvents puts failed events back ahead of newer ones', () => {
  const { summary } = fresh();
  summary.addError('A', 'first');
  const taken = summary.takeEvents();
  summary.addError('B', 'second');
  summary.restoreEvents(taken);
  const events = summary.takeEvents();
  assert.equal(
    events.map((e) => (e.type === 'error' ? e.error_type : e.type)),
    ['A', 'B'],
  );
});

journal('past maxPendingEvents the oldest are dropped and counted', () => {
  const { summary } = fresh({ limits: { maxPendingEvents: 3 } });
  for (let i = 0; i < 5; i++) summary.addError('E', `m${i}`);
  const events = summary.takeEvents();
  assert.equal(
    events.map((e) => (e.type === 'error' ? e.message : '')),
    ['m2', 'm3', 'm4'],
  );
  assert.is(summary.getSummaryDict().events_dropped, 2);
});

journal.run();

const pending = suite('pending journal events');

pending('a full buffer stays bounded and cheap: a million events without a save', () => {
  const { summary } = fresh({ limits: { maxPendingEvents: 1000 } });
  for (let i = 0; i < 1_000_000; i++) summary.addError('E', 'm');
  assert.is(summary.pendingEventCount, 1000);
  assert.is(summary.getSummaryDict().events_dropped, 999_000);
  const events = summary.takeEvents();
  assert.is(events.length, 1000);
});

pending.run();
