import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PendingEvents } from '../src/pending-events.js';
import type { SummaryEvent } from '../src/types.js';

function event(n: number): SummaryEvent {
  return { type: 'interruption', time: n, reason: 'crash', detail: `e${n}` };
}

function details(events: SummaryEvent[]): string[] {
  return events.map((e) => (e.type === 'interruption' ? e.detail : e.type));
}

const test = suite('PendingEvents');

test('hands over the events held once, oldest first', () => {
  const pending = new PendingEvents(10);
  for (let n = 1; n <= 3; n++) pending.push(event(n));
  assert.is(pending.count, 3);
  assert.equal(details(pending.take()), ['e1', 'e2', 'e3']);
  assert.equal(pending.take(), []);
});

test('past the limit the oldest are dropped and counted', () => {
  const pending = new PendingEvents(32, 5);
  for (let n = 1; n <= 40; n++) pending.push(event(n));
  assert.is(pending.count, 32);
  assert.is(pending.dropped, 5 + 8, 'the restored count plus the dropped');
  const taken = details(pending.take());
  assert.is(taken[0], 'e9');
  assert.is(taken[31], 'e40');
});

test('events given back go ahead of newer ones, within the limit', () => {
  const pending = new PendingEvents(3);
  pending.push(event(1));
  pending.push(event(2));
  const taken = pending.take();
  pending.push(event(3));
  pending.push(event(4));
  pending.restore(taken);
  assert.equal(details(pending.take()), ['e2', 'e3', 'e4']);
  assert.is(pending.dropped, 1);
});

test.run();
