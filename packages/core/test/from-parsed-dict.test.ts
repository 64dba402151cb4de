import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_CUSTOM_METRICS_BYTES, ProcessSummary } from '../src/index.js';
import { fresh, throwsCode } from './_helpers.js';

// fromParsedDict takes a dictionary handed over for good (a store's freshly parsed file) and
// keeps its custom metrics instead of copying them; fromDict still copies what it is given.
const parsed = suite('fromParsedDict');

function savedDict(metrics: Record<string, unknown>): Record<string, unknown> {
  const { summary, clock } = fresh();
  summary.startProcess();
  clock.advance(5);
  summary.incrementItems({ processed: 10, successful: 9, failed: 1 });
  for (const [key, value] of Object.entries(metrics)) summary.setCustomMetric(key, value);
  return JSON.parse(JSON.stringify(summary.getSummaryDict()));
}

parsed('reads the same summary as fromDict', () => {
  const dict = savedDict({
    histogram: [
      [1, 2],
      [3, 4],
    ],
    storage: 'minio',
  });
  const a = ProcessSummary.fromDict(structuredClone(dict));
  const b = ProcessSummary.fromParsedDict(structuredClone(dict));
  assert.equal(b.getSummaryDict(), a.getSummaryDict());
  assert.equal(b.customMetrics, {
    histogram: [
      [1, 2],
      [3, 4],
    ],
    storage: 'minio',
  });
});

parsed('validates as fromDict does', () => {
  const dict = savedDict({});
  dict.items_failed = 'x';
  throwsCode(() => ProcessSummary.fromParsedDict(dict), 'E_INVALID_SUMMARY');
});

parsed(
  'fromDict copies the metrics it is given: changing the dictionary later changes nothing',
  () => {
    const dict = savedDict({ histogram: [[1, 2]] });
    const summary = ProcessSummary.fromDict(dict);
    ((dict.custom_metrics as { histogram: number[][] }).histogram[0] as number[])[0] = 99;
    assert.equal(summary.customMetrics, { histogram: [[1, 2]] });
  },
);

parsed(
  'loaded metrics still count toward MAX_CUSTOM_METRICS_BYTES when a metric is next set',
  () => {
    // Counted lazily after a load: a metric that would cross the limit with the loaded ones is
    // refused, as it is when they were set in this process.
    const part = 'x'.repeat(400_000);
    const dict = savedDict({ m1: part, m2: part });
    for (const load of [ProcessSummary.fromDict, ProcessSummary.fromParsedDict]) {
      const summary = load(structuredClone(dict));
      throwsCode(() => summary.setCustomMetric('m3', part), 'E_INVALID_METRIC', RangeError);
      summary.setCustomMetric('m3', 'x'.repeat(MAX_CUSTOM_METRICS_BYTES - 2 * 400_000 - 100));
      summary.setCustomMetric('m2', 1); // replacing a loaded metric frees its bytes
      summary.setCustomMetric('m4', part);
      assert.equal(Object.keys(summary.customMetrics), ['m1', 'm2', 'm3', 'm4']);
    }
  },
);

parsed.run();
