import type { SummaryRef, SummaryStore } from '@process-summary/core';

/**
 * Wakes a loop when the store reports a change to a summary it cares about (the store's
 * `watch`: file-system events with a polling fallback, a change feed elsewhere), after an
 * interval, or on abort. Changes between two waits are not lost: one pending change wakes the
 * next wait at once.
 */
export class ChangeWaker {
  #wake: (() => void) | null = null;
  #pending = false;
  readonly #controller = new AbortController();

  constructor(
    store: SummaryStore,
    matches: (ref: SummaryRef) => boolean,
    signal: AbortSignal,
    intervalMs: number,
  ) {
    const stop = () => this.#controller.abort();
    signal.addEventListener('abort', stop, { once: true });
    this.#controller.signal.addEventListener('abort', () => this.#wake?.(), { once: true });
    void (async () => {
      try {
        for await (const ref of store.watch({ signal: this.#controller.signal, intervalMs })) {
          if (!matches(ref)) continue;
          if (this.#wake === null) this.#pending = true;
          else this.#wake();
        }
      } catch {
        // The store cannot watch (or stopped): the interval alone drives the loop.
      }
    })();
  }

  /** Resolves on the next matching change (or one that came since the last wait), after `intervalMs`, or on abort. */
  wait(intervalMs: number): Promise<void> {
    if (this.#pending || this.#controller.signal.aborted) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, intervalMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.#wake = null;
        resolve();
      }
      this.#wake = done;
    });
  }

  close(): void {
    this.#controller.abort();
  }
}
