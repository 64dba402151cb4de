import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ProgressLog } from '../src/progress-log.js';
import type { ProgressUpdate } from '../src/types.js';

function update(n: number): ProgressUpdate {
  return {
    timestamp: n,
    elapsed_seconds: n,
    message: `u${n}`,
    items_processed: n,
    items_successful: n,
    items_failed: 0,
  };
}

const test = suite('ProgressLog');

test('keeps the first update and the most recent ones, oldest first, and counts all', () => {
  const log = new ProgressLog(4);
  for (let n = 1; n <= 10; n++) log.push(update(n));
  assert.is(log.count, 10);
  assert.is(log.first?.message, 'u1');
  assert.equal(
    log.kept().map((u) => u.message),
    ['u1', 'u8', 'u9', 'u10'],
  );
});

test('keeps everything until full', () => {
  const log = new ProgressLog(4);
  assert.equal(log.kept(), []);
  for (let n = 1; n <= 3; n++) log.push(update(n));
  assert.equal(
    log.kept().map((u) => u.message),
    ['u1', 'u2', 'u3'],
  );
});

test('restore keeps what a file holds within the limit, as copies, and the count', () => {
  const stored = Array.from({ length: 50 }, (_, i) => update(i + 1));
  const log = new ProgressLog(3);
  log.restore(stored, 70);
  assert.is(log.count, 70, 'the count the file says, not the kept length');
  assert.equal(
    log.kept().map((u) => u.message),
    ['u1', 'u49', 'u50'],
  );
  (stored[0] as ProgressUpdate).message = 'changed';
  assert.is(log.first?.message, 'u1', 'a copy');
  log.push(update(51));
  assert.equal(
    log.kept().map((u) => u.message),
    ['u1', 'u50', 'u51'],
  );
});

test.run();
