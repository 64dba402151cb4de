import { type FSWatcher, watch } from 'node:fs';

/** Wakes the loop on a file-system event in `dir`, or after `intervalMs`, or on abort. */
export class Waker {
  #wake: (() => void) | null = null;
  #watcher: FSWatcher | null = null;

  constructor(dir: string, signal: AbortSignal) {
    try {
      this.#watcher = watch(dir, { persistent: false }, () => this.#wake?.());
      this.#watcher.on('error', () => this.close());
    } catch {
      // The directory does not exist yet (or cannot be watched): the interval alone drives.
    }
    signal.addEventListener('abort', () => this.#wake?.(), { once: true });
  }

  wait(intervalMs: number): Promise<void> {
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
    this.#watcher?.close();
    this.#watcher = null;
  }
}
