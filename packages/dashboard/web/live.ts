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

/** Listens to `url` while `enabled`; `onEvent` may change between renders without reconnecting. */
export function useStream(url: string, enabled: boolean, onEvent: StreamHandler): StreamState {
  const [state, setState] = useState<StreamState>(enabled ? 'connecting' : 'paused');
  const handler = useRef(onEvent);
  handler.current = onEvent;

  useEffect(() => {
    if (!enabled) {
      setState('paused');
      return;
    }
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let delay = FIRST_RETRY_MS;
    let closed = false;

    const dispatch = (type: StreamEvent['type']) => (message: MessageEvent<string>) => {
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
        setState('live');
      }
      handler.current(event);
    };

    const open = () => {
      retry = null;
      if (closed) return;
      setState((s) => (s === 'reconnecting' ? s : 'connecting'));
      const es = new EventSource(url);
      source = es;
      es.addEventListener('hello', dispatch('hello') as EventListener);
      es.addEventListener('row', dispatch('row') as EventListener);
      es.addEventListener('gone', dispatch('gone') as EventListener);
      es.onerror = () => {
        if (closed) return;
        setState('reconnecting');
        if (es.readyState === EventSource.CLOSED && retry === null) {
          es.close();
          retry = setTimeout(open, delay);
          delay = Math.min(delay * 2, LAST_RETRY_MS);
        }
      };
    };
    open();
    return () => {
      closed = true;
      if (retry !== null) clearTimeout(retry);
      source?.close();
    };
  }, [url, enabled]);

  return state;
}
