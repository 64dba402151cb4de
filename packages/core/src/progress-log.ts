import type { JsonValue } from './json.js';
import type { ProgressUpdate } from './types.js';

/**
 * The progress updates a summary keeps: the first one and a ring of the most recent, so a
 * run of millions of updates keeps a bounded file (every update still goes to the journal).
 * Shared by a live summary and a replay of its journal, so both keep the same ones.
 */
export class ProgressLog {
  readonly #capacity: number;
  #count = 0;
  #first: ProgressUpdate | null = null;
  /** The most recent updates after the first; `#head` is the oldest once the ring is full. */
  readonly #recent: ProgressUpdate[] = [];
  #head = 0;

  /** `maxKept` counts the first update (at least 2, as the limits require). */
  constructor(maxKept: number) {
    this.#capacity = maxKept - 1;
  }

  /** How many updates were ever added (more than are kept). */
  get count(): number {
    return this.#count;
  }

  get first(): ProgressUpdate | null {
    return this.#first;
  }

  push(update: ProgressUpdate): void {
    this.#count += 1;
    if (this.#first === null) {
      this.#first = update;
    } else if (this.#recent.length < this.#capacity) {
      this.#recent.push(update);
    } else {
      this.#recent[this.#head] = update;
      this.#head = (this.#head + 1) % this.#capacity;
    }
  }

  /** The kept updates, oldest first: the objects themselves, not copies. */
  kept(): ProgressUpdate[] {
    if (this.#first === null) return [];
    const head = this.#head;
    return [this.#first, ...this.#recent.slice(head), ...this.#recent.slice(0, head)];
  }

  /**
   * Takes the updates a file holds (`count` ever added). Copies only what is kept: a seed file
   * may hold tens of thousands of updates.
   */
  restore(updates: readonly ProgressUpdate[], count: number): void {
    this.#count = Math.max(count, updates.length);
    if (updates.length === 0) return;
    this.#first = structuredClone(updates[0] as ProgressUpdate);
    for (const update of updates.slice(Math.max(1, updates.length - this.#capacity))) {
      this.#recent.push(structuredClone(update));
    }
  }
}

/** A deep copy of a kept update for a caller: a loop, because V8 spreads objects slowly. */
export function copyUpdate(update: ProgressUpdate): ProgressUpdate {
  const copy = {} as ProgressUpdate;
  for (const key in update) {
    const value = update[key] as JsonValue;
    copy[key] = typeof value === 'object' && value !== null ? structuredClone(value) : value;
  }
  return copy;
}
