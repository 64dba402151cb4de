import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_LIMITS, OVERFLOW_ERROR_TYPE, resolveLimits, truncateText } from '../src/index.js';
import { fresh, throwsCode } from './_helpers.js';

const retention = suite('retention of progress updates');

retention('keeps the first update and the most recent ones; the count counts all', () => {
  const { summary, clock } = fresh({ limits: { maxProgressUpdates: 4 } });
  for (let i = 0; i < 10; i++) {
    clock.advance(1);
    summary.addProgressUpdate(`u${i}`);
  }
  assert.equal(
    summary.progressUpdates.map((u) => u.message),
    ['u0', 'u7', 'u8', 'u9'],
  );
  const d = summary.getSummaryDict();
  assert.is(d.progress_updates_count, 10);
  assert.is(d.progress_updates.length, 4);
  const p = summary.getProgressSummary();
  assert.ok('first_update' in p);
  assert.is(p.first_update.message, 'u0');
  assert.is(p.latest_update.message, 'u9');
  assert.is(p.total_updates, 10);
});

retention('property: kept updates are the first plus the last N-1, in order', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 20 }), fc.integer({ min: 0, max: 120 }), (max, n) => {
      const { summary } = fresh({ limits: { maxProgressUpdates: max } });
      for (let i = 0; i < n; i++) summary.addProgressUpdate(String(i));
      const kept = summary.progressUpdates.map((u) => Number(u.message));
      const expected =
        n === 0 ? [] : [0, ...Array.from({ length: n - 1 }, (_, i) => i + 1).slice(-(max - 1))];
      assert.equal(kept, expected);
      assert.is(summary.progressUpdatesCount, n);
      const p = summary.getProgressSummary();
      if (n > 0 && 'recent_updates' in p) {
        assert.equal(
          p.recent_updates.map((u) => Number(u.message)),
          expected.slice(-5),
        );
      }
    }),
  );
});

retention('an update whose extra fields are too large keeps them only in the journal', () => {
  const { summary } = fresh({ limits: { maxProgressFieldsBytes: 64 } });
  summary.addProgressUpdate('small', { n: 1 });
  summary.addProgressUpdate('big', { blob: 'x'.repeat(100) });
  const [small, big] = summary.progressUpdates;
  assert.is(small?.n, 1);
  assert.is(big?.blob, undefined);
  assert.is(big?.extra_fields_omitted, JSON.stringify({ blob: 'x'.repeat(100) }).length);
  const journaled = summary.takeEvents().filter((e) => e.type === 'progress');
  assert.is((journaled[1] as { blob?: string }).blob, 'x'.repeat(100));
});

retention.run();

const errors = suite('bounded error types and messages');

errors('past maxErrorTypes new types are counted under the overflow key', () => {
  const { summary } = fresh({ limits: { maxErrorTypes: 2 } });
  summary.addError('A', 'a');
  summary.addError('B', 'b');
  summary.addError('C', 'c1');
  summary.addError('D', 'd');
  summary.addError('A', 'a2');
  summary.addError('C', 'c2');
  assert.equal(summary.errorTypes, { A: 2, B: 1, [OVERFLOW_ERROR_TYPE]: 3 });
  assert.is(summary.errorCount, 6);
  assert.equal(summary.errorDetails[OVERFLOW_ERROR_TYPE]?.samples, ['C: c1', 'D: d', 'C: c2']);
});

errors(
  '2,000 failures of 3 distinct errors read as 3 types with samples and first/last seen',
  () => {
    const { summary, clock } = fresh();
    for (let i = 0; i < 2000; i++) {
      clock.advance(1);
      const type = ['NetworkError', 'ValidationError', 'S3UploadError'][i % 3] as string;
      summary.addError(type, `${type} on item ${i % 7}`);
    }
    const details = summary.errorDetails;
    assert.equal(Object.keys(details), ['NetworkError', 'ValidationError', 'S3UploadError']);
    const network = details.NetworkError;
    assert.is(network?.count, 667);
    assert.is(network?.samples.length, DEFAULT_LIMITS.maxErrorSamples);
    assert.equal(network?.samples, [
      'NetworkError on item 0',
      'NetworkError on item 3',
      'NetworkError on item 6',
    ]);
    assert.is(network?.first_seen, 1_750_000_001);
    assert.is(network?.last_seen, 1_750_000_000 + 1999);
  },
);

errors('messages and type names are cut to the documented length', () => {
  const { summary } = fresh({ limits: { maxMessageLength: 20, maxErrorTypeLength: 16 } });
  summary.addError('T'.repeat(40), 'm'.repeat(100));
  summary.addProgressUpdate('p'.repeat(100));
  const type = Object.keys(summary.errorTypes)[0] as string;
  assert.is(type, `${'T'.repeat(15)}…`);
  assert.is(summary.lastErrorMessage, `${'m'.repeat(19)}…`);
  assert.is(summary.progressUpdates[0]?.message, `${'p'.repeat(19)}…`);
});

errors('truncation never splits a surrogate pair', () => {
  const text = `${'a'.repeat(18)}😀😀`;
  const cut = truncateText(text, 20);
  assert.is(cut, `${'a'.repeat(18)}…`);
  assert.is(truncateText('short', 20), 'short');
});

errors.run();

const bound = suite('bounded file size');

bound('with defaults, a worst-case long run stays under 512 KB', () => {
  const { summary, clock } = fresh();
  const long = 'x'.repeat(10_000);
  const fields: Record<string, string> = {};
  for (let i = 10; i < 54; i++) fields[`field_${i}`] = 'y'.repeat(30); // 1,936 bytes: kept in the file
  summary.startProcess({ host: 'h'.repeat(200), pid: 1, bootId: 'b'.repeat(36) });
  for (let s = 0; s < 300; s++) {
    clock.advance(1);
    summary.endProcess();
    summary.startProcess({ host: 'h'.repeat(200), pid: s, bootId: 'b'.repeat(36) });
  }
  for (let i = 0; i < 5_000; i++) {
    clock.advance(1);
    summary.addError(`${'T'.repeat(190)}${i}`, `${long}${i}`);
    summary.addError(`${'T'.repeat(190)}${i % 50}`, `${long}-${i}`);
    summary.addProgressUpdate(long, fields);
  }
  assert.is(summary.progressUpdates[1]?.field_10, 'y'.repeat(30), 'the fields are kept');
  const size = Buffer.byteLength(JSON.stringify(summary.getSummaryDict()));
  assert.ok(size < 512 * 1024, `size ${size}`);
  assert.ok(size > 100 * 1024, `the worst case really is large: ${size}`);
});

bound.run();

const resolve = suite('resolveLimits');

resolve('merges overrides over the defaults', () => {
  assert.equal(resolveLimits({ maxErrorTypes: 5 }), { ...DEFAULT_LIMITS, maxErrorTypes: 5 });
  assert.equal(resolveLimits(undefined), { ...DEFAULT_LIMITS });
});

resolve('refuses unknown keys, fractions and values under the minimum', () => {
  throwsCode(() => resolveLimits({ maxErrorTypes: 1.5 }), 'E_INVALID_LIMITS', RangeError);
  throwsCode(() => resolveLimits({ maxSessions: 1 }), 'E_INVALID_LIMITS', RangeError);
  throwsCode(() => resolveLimits({ maxFoo: 1 } as object), 'E_INVALID_LIMITS', RangeError);
});

resolve.run();
