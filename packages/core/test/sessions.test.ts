import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { newSessionEntry, SessionLog, sessionSoFar } from '../src/sessions.js';

function session(number: number, start = number * 100) {
  return newSessionEntry({
    number,
    session_id: start,
    host: 'h',
    pid: number,
    boot_id: null,
    start_time: start,
  });
}

const totals = (n: number) => ({
  items_processed: n,
  items_successful: n,
  items_failed: 0,
  items_retried: 0,
  bytes_processed: n * 10,
});

const test = suite('sessions');

test('SessionLog keeps the first and the most recent sessions and counts all', () => {
  const log = new SessionLog(3);
  for (let n = 1; n <= 6; n++) log.add(session(n));
  assert.is(log.count, 6);
  assert.equal(
    log.kept.map((s) => s.number),
    [1, 5, 6],
  );
  assert.is(log.last?.number, 6);
});

test('a session numbered past the count (a cut journal) moves the count on', () => {
  const log = new SessionLog(3);
  log.add(session(1));
  log.add(session(7));
  assert.is(log.count, 7);
});

test('restore takes the stored sessions as copies and the stored count', () => {
  const stored = [session(1), session(2)];
  const log = new SessionLog(5);
  log.restore(stored, 9);
  assert.is(log.count, 9);
  (stored[1] as ReturnType<typeof session>).pid = 999;
  assert.is(log.last?.pid, 2);
});

test('sessionSoFar: the duration so far and what the session did, never negative', () => {
  const entry = session(2, 1000);
  const now = sessionSoFar(entry, 1060, totals(50), totals(20));
  assert.is(now.duration_seconds, 60);
  assert.is(now.items_processed, 30);
  assert.is(now.bytes_processed, 300);
  assert.is(entry.duration_seconds, 0, 'the entry itself is unchanged');
  assert.is(sessionSoFar(entry, 1000, totals(10), totals(20)).items_processed, 0);
});

test.run();
