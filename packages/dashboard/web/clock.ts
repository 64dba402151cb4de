/**
 * The server's clock as seen from the page, and one shared one-second tick. "12 s ago" is
 * measured against the server's `now` (corrected for this machine's clock being off), and
 * every ticking label shares a single timer.
 */
import { useEffect, useState } from 'preact/hooks';

let offsetSeconds = 0;

/** Notes a `now` the server just sent: later times are corrected by the difference. */
export function noteServerNow(now: number): void {
  if (Number.isFinite(now)) offsetSeconds = now - Date.now() / 1000;
}

/** The server's time now, epoch seconds. */
export function serverNow(): number {
  return Date.now() / 1000 + offsetSeconds;
}

const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === null) {
    timer = setInterval(() => {
      for (const l of listeners) l();
    }, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/** Re-renders the calling component every second; returns the server's time. */
export function useTick(): number {
  const [, setCount] = useState(0);
  useEffect(() => subscribe(() => setCount((c) => c + 1)), []);
  return serverNow();
}
