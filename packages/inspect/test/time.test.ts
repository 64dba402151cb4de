import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { displayTime, epochOrNull, formatUtc, humanizeSeconds } from '../src/time.js';

test('an epoch time is a date; a seed perf_counter time is an offset from the start', () => {
  assert.equal(displayTime(1_750_000_000, 1_749_999_000), {
    kind: 'date',
    epochSeconds: 1_750_000_000,
  });
  assert.equal(displayTime(322.5, 320), { kind: 'relative', offsetSeconds: 2.5 });
  assert.is(displayTime(null, 320), null);
  assert.is(epochOrNull(322.5), null);
  assert.is(epochOrNull(1_750_000_000), 1_750_000_000);
});

test('durations are humanized in whole units', () => {
  assert.is(humanizeSeconds(0.4), '0s');
  assert.is(humanizeSeconds(45.9), '45s');
  assert.is(humanizeSeconds(185), '3m 05s');
  assert.is(humanizeSeconds(3725), '1h 02m');
  assert.is(humanizeSeconds(2 * 86_400 + 4 * 3600), '2d 04h');
});

test('a UTC date has no fractional seconds and a Z', () => {
  assert.is(formatUtc(1_750_000_000), '2025-06-15 15:06:40Z');
});

test.run();
