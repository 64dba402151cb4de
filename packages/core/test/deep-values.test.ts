import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  checkSummaryDict,
  MAX_CUSTOM_METRICS_BYTES,
  MAX_JSON_DEPTH,
  MAX_SUMMARY_DEPTH,
  ProcessSummary,
  replayEvents,
  validateSummaryDict,
} from '../src/index.js';
import { fresh, throwsCode } from './_helpers.js';

// Whatever is accepted can be saved and read back; whatever is too deep or too large gives a
// coded error, never "Maximum call stack size exceeded".
const deep = suite('deep and large values');

function nestedArray(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

function nestedObject(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

const HUGE = 100_000;

function roundTrip(summary: ProcessSummary): ProcessSummary {
  return ProcessSummary.fromDict(JSON.parse(JSON.stringify(summary.getSummaryDict())));
}

deep('setCustomMetric refuses a 100,000-deep array or object with a coded RangeError', () => {
  const { summary } = fresh();
  throwsCode(() => summary.setCustomMetric('a', nestedArray(HUGE)), 'E_INVALID_METRIC', RangeError);
  throwsCode(
    () => summary.setCustomMetric('o', nestedObject(HUGE)),
    'E_INVALID_METRIC',
    RangeError,
  );
  assert.equal(summary.customMetrics, {});
});

deep(
  'a metric nested exactly MAX_JSON_DEPTH deep is kept and read back; one more is refused',
  () => {
    const { summary } = fresh();
    summary.setCustomMetric('a', nestedArray(MAX_JSON_DEPTH));
    summary.setCustomMetric('o', nestedObject(MAX_JSON_DEPTH));
    assert.equal(roundTrip(summary).customMetrics, summary.customMetrics);
    throwsCode(
      () => summary.setCustomMetric('b', nestedArray(MAX_JSON_DEPTH + 1)),
      'E_INVALID_METRIC',
      RangeError,
    );
    try {
      summary.setCustomMetric('b', nestedObject(MAX_JSON_DEPTH + 1));
    } catch (err) {
      assert.match((err as Error).message, `nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
  },
);

deep('custom metrics together stay within MAX_CUSTOM_METRICS_BYTES; exact sizes decide', () => {
  const { summary } = fresh();
  throwsCode(
    () => summary.setCustomMetric('big', 'x'.repeat(MAX_CUSTOM_METRICS_BYTES)),
    'E_INVALID_METRIC',
    RangeError,
  );
  // 'é' is 2 bytes of UTF-8 but counted at 6 by the quick bound: three of 400 KB fit, not four.
  const part = 'é'.repeat(170_000);
  summary.setCustomMetric('m1', part);
  summary.setCustomMetric('m2', part);
  summary.setCustomMetric('m3', part);
  throwsCode(() => summary.setCustomMetric('m4', part), 'E_INVALID_METRIC', RangeError);
  assert.equal(Object.keys(summary.customMetrics), ['m1', 'm2', 'm3']);
  summary.setCustomMetric('m3', part); // replacing a metric by one of the same size
  summary.setCustomMetric('m2', 1);
  summary.setCustomMetric('m4', part);
  const bytes = new TextEncoder().encode(JSON.stringify(summary.customMetrics)).length;
  assert.ok(bytes <= MAX_CUSTOM_METRICS_BYTES, String(bytes));
  assert.equal(roundTrip(summary).customMetrics, summary.customMetrics);
});

deep('addProgressUpdate refuses a 100,000-deep field with a coded RangeError', () => {
  const { summary } = fresh();
  throwsCode(
    () => summary.addProgressUpdate('m', { deep: nestedArray(HUGE) }),
    'E_INVALID_ARGUMENT',
    RangeError,
  );
  summary.addProgressUpdate('m', { deep: nestedObject(MAX_JSON_DEPTH) });
  assert.is(summary.progressUpdatesCount, 1);
  assert.equal(roundTrip(summary).progressUpdates, summary.progressUpdates);
});

deep('fromDict, validateSummaryDict and checkSummaryDict refuse a 100,000-deep file', () => {
  const { summary } = fresh();
  for (const value of [nestedArray(HUGE), nestedObject(HUGE)]) {
    const dict = JSON.parse(JSON.stringify(summary.getSummaryDict()));
    dict.custom_metrics.deep = value;
    throwsCode(() => validateSummaryDict(dict), 'E_INVALID_SUMMARY');
    throwsCode(() => ProcessSummary.fromDict(dict), 'E_INVALID_SUMMARY');
    const check = checkSummaryDict(dict);
    assert.is(check.valid, false);
    assert.match(check.issues[0]?.message ?? '', `deeper than ${MAX_SUMMARY_DEPTH}`);
    assert.match(check.issues[0]?.path ?? '', /^\/custom_metrics\/deep\//);
  }
  throwsCode(() => validateSummaryDict(nestedArray(HUGE)), 'E_INVALID_SUMMARY');
  throwsCode(() => validateSummaryDict(nestedObject(HUGE)), 'E_INVALID_SUMMARY');
});

deep('a dict built in memory with a cycle is refused, not walked forever', () => {
  const { summary } = fresh();
  const dict = summary.getSummaryDict() as unknown as Record<string, unknown>;
  const loop: Record<string, unknown> = {};
  loop.self = loop;
  (dict.custom_metrics as Record<string, unknown>).loop = loop;
  throwsCode(() => validateSummaryDict(dict), 'E_INVALID_SUMMARY');
});

deep('replayEvents skips a progress event with a 100,000-deep field and replays the rest', () => {
  const { summary, clock } = fresh();
  summary.startProcess();
  summary.incrementItems({ processed: 5 });
  clock.advance(1);
  summary.addProgressUpdate('ok', { n: 1 });
  const events: unknown[] = JSON.parse(JSON.stringify(summary.takeEvents()));
  const hostile = { ...(events.at(-1) as object), message: 'hostile', deep: nestedArray(HUGE) };
  const tooBig = {
    ...(events.at(-1) as object),
    message: 'out of range',
    n: Number.POSITIVE_INFINITY,
  };
  const result = replayEvents('harvard_2024', 'collect', [...events, hostile, tooBig]);
  assert.is(result.skippedEvents, 2);
  assert.equal(
    result.summary.progressUpdates.map((u) => u.message),
    ['ok'],
  );
  assert.is(result.summary.itemsProcessed, 5);
  validateSummaryDict(JSON.parse(JSON.stringify(result.summary.getSummaryDict())));
});

deep.run();
