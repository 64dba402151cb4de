import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createManualClock, isRelativeTime, systemClock } from '../src/index.js';

const test = suite('clock');

test('the system clock gives epoch seconds close to Date.now', () => {
  const now = systemClock.now();
  assert.ok(Math.abs(now - Date.now() / 1000) < 5, `${now}`);
  assert.ok(!isRelativeTime(now));
});

test('the system clock never goes backward within the process', () => {
  let previous = systemClock.now();
  for (let i = 0; i < 10_000; i++) {
    const next = systemClock.now();
    assert.ok(next >= previous);
    previous = next;
  }
});

test('the system clock resolves below a millisecond', () => {
  const start = systemClock.now();
  let next = start;
  while (next === start) next = systemClock.now();
  assert.ok(next - start < 0.001, `step ${next - start}`);
});

test('a manual clock moves only when told, and never backward', () => {
  const clock = createManualClock(100);
  assert.is(clock.now(), 100);
  clock.advance(2.5);
  assert.is(clock.now(), 102.5);
  clock.set(200);
  assert.is(clock.now(), 200);
  assert.throws(() => clock.set(199), RangeError);
  assert.throws(() => clock.advance(-1), RangeError);
  assert.throws(() => clock.advance(Number.NaN), RangeError);
});

test('perf_counter values of the seed are relative times, epoch values are not', () => {
  assert.ok(isRelativeTime(322.294865619));
  assert.ok(isRelativeTime(1449311.978860791));
  assert.not.ok(isRelativeTime(1_764_000_000));
});

test.run();
