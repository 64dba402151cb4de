/**
 * Single-flight for reads that are expensive and identical between clients (the listing of
 * the whole store, a timeline): a request arriving while the same read runs waits for it and
 * gets the same answer, judged at the same `now` (the answers carry it). A finished answer is
 * also reused for `reuseMs` (default 1 s) unless `forget` is called (the live hub calls it
 * for every change its watch reports): requests that a client sends "at once" reach a server
 * one after the other, each listing done before the next arrives, so sharing only what is in
 * flight would not bound a burst. Bounded: past `maxWaiting` requests on one read, or
 * `maxKeys` different reads in flight, a request is refused with 503 `E_INVALID_STATE` and
 * `Retry-After`, like a full live hub, instead of queueing without end.
 */
import { HttpError } from './json.js';

/** Requests that may wait for one read in flight. */
export const DEFAULT_MAX_WAITING = 256;
/** Different reads in flight at once (and finished answers kept for reuse). */
export const DEFAULT_MAX_KEYS = 16;
/** How long a finished answer is reused, milliseconds. */
export const DEFAULT_REUSE_MS = 1000;

interface Flight {
  promise: Promise<unknown>;
  waiting: number;
}

interface Done {
  value: unknown;
  at: number;
}

export interface CoalescerOptions {
  maxWaiting?: number;
  maxKeys?: number;
  reuseMs?: number;
  /** Milliseconds, monotonic; tests pass their own. */
  clock?: () => number;
}

export class Coalescer {
  readonly #inFlight = new Map<string, Flight>();
  readonly #done = new Map<string, Done>();
  readonly #maxWaiting: number;
  readonly #maxKeys: number;
  readonly #reuseMs: number;
  readonly #clock: () => number;
  /** Bumped by `forget`: a read that began before a change is not kept for reuse. */
  #generation = 0;

  constructor(options: CoalescerOptions = {}) {
    this.#maxWaiting = options.maxWaiting ?? DEFAULT_MAX_WAITING;
    this.#maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    this.#reuseMs = options.reuseMs ?? DEFAULT_REUSE_MS;
    this.#clock = options.clock ?? (() => performance.now());
  }

  /** Reads in flight now. */
  get size(): number {
    return this.#inFlight.size;
  }

  /** Drops every finished answer: the store changed. Reads in flight are still shared. */
  forget(): void {
    this.#generation += 1;
    this.#done.clear();
  }

  /**
   * `compute()`, or the answer of the same `key` in flight or finished less than `reuseMs`
   * ago. Throws an {@link HttpError} 503 when the bounds above are reached. The result is
   * shared: callers must not change it.
   */
  run<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const now = this.#clock();
    const done = this.#done.get(key);
    if (done !== undefined) {
      if (now - done.at < this.#reuseMs) return Promise.resolve(done.value as T);
      this.#done.delete(key);
    }
    const flight = this.#inFlight.get(key);
    if (flight !== undefined) {
      if (flight.waiting >= this.#maxWaiting) throw busy();
      flight.waiting += 1;
      return flight.promise as Promise<T>;
    }
    if (this.#inFlight.size >= this.#maxKeys) throw busy();
    const generation = this.#generation;
    const promise = (async () => {
      try {
        const value = await compute();
        if (generation === this.#generation && this.#reuseMs > 0) this.#keep(key, value);
        return value;
      } finally {
        this.#inFlight.delete(key);
      }
    })();
    this.#inFlight.set(key, { promise, waiting: 1 });
    return promise;
  }

  #keep(key: string, value: unknown): void {
    const now = this.#clock();
    for (const [k, d] of this.#done) {
      if (now - d.at >= this.#reuseMs) this.#done.delete(k);
    }
    if (this.#done.size >= this.#maxKeys) {
      const oldest = this.#done.keys().next();
      if (oldest.done !== true) this.#done.delete(oldest.value);
    }
    this.#done.set(key, { value, at: now });
  }
}

function busy(): HttpError {
  return new HttpError(
    503,
    'E_INVALID_STATE',
    'the server is busy reading the store for other requests; try again shortly',
    { 'Retry-After': '2' },
  );
}
