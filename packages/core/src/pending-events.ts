import type { SummaryEvent } from './types.js';

/**
 * The journal events a summary holds until a store takes them. Bounded: past `max` the oldest
 * are dropped and counted (the file says how many in `events_dropped`), so a pipeline whose
 * saves keep failing cannot run out of memory.
 */
export class PendingEvents {
  readonly #max: number;
  /** Trimmed in blocks: dropping one event per new one would shift the whole buffer each time. */
  readonly #block: number;
  #events: SummaryEvent[] = [];
  #dropped = 0;

  constructor(max: number, dropped = 0) {
    this.#max = max;
    this.#block = Math.min(4096, max >> 4);
    this.#dropped = dropped;
  }

  /** Events dropped since the run began (the count a file restores included). */
  get dropped(): number {
    this.#trim();
    return this.#dropped;
  }

  set dropped(count: number) {
    this.#dropped = count;
  }

  get count(): number {
    this.#trim();
    return this.#events.length;
  }

  push(event: SummaryEvent): void {
    this.#events.push(event);
    // Readers trim the rest before they look.
    if (this.#events.length > this.#max + this.#block) this.#trim();
  }

  /** Hands over the events held and forgets them. */
  take(): SummaryEvent[] {
    this.#trim();
    const events = this.#events;
    this.#events = [];
    return events;
  }

  /** Puts back events taken but not written, ahead of the newer ones. */
  restore(events: readonly SummaryEvent[]): void {
    this.#events = [...events, ...this.#events];
    this.#trim();
  }

  #trim(): void {
    const excess = this.#events.length - this.#max;
    if (excess <= 0) return;
    this.#events.splice(0, excess);
    this.#dropped += excess;
  }
}
