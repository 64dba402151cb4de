/**
 * One EventSource per page. The browser reconnects a dropped stream by itself; when it gives
 * up (the server answered an error, e.g. 503 while full) this reopens it with a backoff.
 * Every (re)connection starts with `hello`, on which the page re-fetches what it shows: that
 * is what makes a server restart resume without a reload.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { StreamEvent } from '../src/api.js';
import { noteServerNow } from './clock.js';

/** What the live label says. */
export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'paused';

export type StreamHandler = (event: StreamEvent) => void;

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 15_000;

/** What `openStream` needs of the browser (a fake under test). */
export interface StreamEnvironment {
  connect(url: string): EventSource;
  /** `EventSource.CLOSED`: the browser gave up on the stream. */
  closedState: number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

function browser(): StreamEnvironment {
  return {
    connect: (url) => new EventSource(url),
    closedState: EventSource.CLOSED,
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}

/**
 * Opens the stream of `url` and keeps it open (reopening it with a backoff when the browser
 * gives up) until the returned function is called. Events are dropped while `paused()` says
 * so: pausing takes effect at once, though the stream is only closed later (by an effect).
 */
export function openStream(
  url: string,
  handlers: {
    onEvent: StreamHandler;
    onState: (update: (state: StreamState) => StreamState) => void;
    paused: () => boolean;
  },
  env: StreamEnvironment = browser(),
): () => void {
  let source: EventSource | null = null;
  let retry: unknown = null;
  let delay = FIRST_RETRY_MS;
  let closed = false;

  const dispatch = (type: StreamEvent['type']) => (message: MessageEvent<string>) => {
    if (closed || handlers.paused()) return;
    let data: unknown;
    try {
      data = JSON.parse(message.data);
    } catch {
      return;
    }
    if (typeof data !== 'object' || data === null) return;
    const event = { ...(data as object), type } as StreamEvent;
    noteServerNow(event.now);
    if (type === 'hello') {
      delay = FIRST_RETRY_MS;
      handlers.onState(() => 'live');
    }
    handlers.onEvent(event);
  };

  const open = () => {
    retry = null;
    if (closed) return;
    handlers.onState((s) => (s === 'reconnecting' ? s : 'connecting'));
    const es = env.connect(url);
    source = es;
    es.addEventListener('hello', dispatch('hello') as EventListener);
    es.addEventListener('row', dispatch('row') as EventListener);
    es.addEventListener('gone', dispatch('gone') as EventListener);
    es.onerror = () => {
      if (closed) return;
      handlers.onState(() => 'reconnecting');
      if (es.readyState === env.closedState && retry === null) {
        es.close();
        retry = env.setTimeout(open, delay);
        delay = Math.min(delay * 2, LAST_RETRY_MS);
      }
    };
  };
  open();
  return () => {
    closed = true;
    if (retry !== null) env.clearTimeout(retry);
    source?.close();
  };
}

/** Listens to `url` while `enabled`; `onEvent` may change between renders without reconnecting. */
export function useStream(url: string, enabled: boolean, onEvent: StreamHandler): StreamState {
  const [state, setState] = useState<StreamState>(enabled ? 'connecting' : 'paused');
  const handler = useRef(onEvent);
  handler.current = onEvent;
  // Read by the stream's handler: the render that pauses sets it, while the effect that closes
  // the stream runs only after the next paint, and an event may arrive in between.
  const paused = useRef(!enabled);
  paused.current = !enabled;

  useEffect(() => {
    if (!enabled) {
      setState('paused');
      return;
    }
    return openStream(url, {
      onEvent: (event) => handler.current(event),
      onState: setState,
      paused: () => paused.current,
    });
  }, [url, enabled]);

  return state;
}
