/**
 * The page's stream (web/live.ts openStream) under Node, with a fake EventSource: what it
 * passes on, and that nothing passes once the page is paused, though the browser's stream is
 * closed only later (by an effect after the next paint).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { StreamEvent } from '../src/api.js';
import { openStream, type StreamEnvironment, type StreamState } from '../web/live.js';

class FakeEventSource {
  static readonly CLOSED = 2;
  static opened: FakeEventSource[] = [];
  readyState = 1;
  onerror: (() => void) | null = null;
  readonly listeners = new Map<string, ((message: { data: string }) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.opened.push(this);
  }
  addEventListener(type: string, listener: (message: { data: string }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.readyState = FakeEventSource.CLOSED;
  }
  /** What the browser does for an `event: type` frame of an open stream. */
  deliver(type: string, data: unknown): void {
    if (this.readyState === FakeEventSource.CLOSED) return;
    for (const listener of this.listeners.get(type) ?? []) listener({ data: JSON.stringify(data) });
  }
}

const env: StreamEnvironment = {
  connect: (url) => new FakeEventSource(url) as unknown as EventSource,
  closedState: FakeEventSource.CLOSED,
  setTimeout: () => 0,
  clearTimeout: () => {},
};

function open() {
  FakeEventSource.opened = [];
  const events: StreamEvent[] = [];
  let state: StreamState = 'connecting';
  let paused = false;
  const close = openStream(
    'api/stream',
    {
      onEvent: (event) => events.push(event),
      onState: (update) => {
        state = update(state);
      },
      paused: () => paused,
    },
    env,
  );
  const source = FakeEventSource.opened[0] as FakeEventSource;
  return {
    events,
    source,
    close,
    state: () => state,
    pause: () => {
      paused = true;
    },
  };
}

const row = { run_name: 'r', process_name: 'p', items_processed: 7 };

test('the stream passes hello, row and gone on, typed, and says it is live', () => {
  const s = open();
  assert.is(s.source.url, 'api/stream');
  s.source.deliver('hello', { now: 1 });
  s.source.deliver('row', { now: 2, row });
  s.source.deliver('gone', { now: 3, run_name: 'r', process_name: 'p' });
  assert.equal(
    s.events.map((e) => [e.type, e.now]),
    [
      ['hello', 1],
      ['row', 2],
      ['gone', 3],
    ],
  );
  assert.is(s.state(), 'live');
  s.close();
});

test('an event the still open stream delivers after the page was paused is ignored', () => {
  const s = open();
  s.source.deliver('hello', { now: 1 });
  // "Paused" was clicked; the effect that closes the EventSource has not run yet.
  s.pause();
  assert.is(s.source.readyState, 1);
  s.source.deliver('row', { now: 2, row });
  s.source.deliver('gone', { now: 3, run_name: 'r', process_name: 'p' });
  assert.equal(
    s.events.map((e) => e.type),
    ['hello'],
  );
  s.close();
  assert.is(s.source.readyState, FakeEventSource.CLOSED);
});

test.run();
