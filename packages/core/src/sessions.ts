import type { RunTotals, SessionEntry } from './types.js';

/**
 * The sessions a summary keeps: the first and the most recent (`maxSessions` in all), and how
 * many there were. Shared by a live summary and a replay of its journal.
 */
export class SessionLog {
  readonly #max: number;
  readonly #kept: SessionEntry[] = [];
  #count = 0;

  constructor(maxSessions: number) {
    this.#max = maxSessions;
  }

  /** How many sessions the run has had (more than are kept). */
  get count(): number {
    return this.#count;
  }

  /** The kept sessions, oldest first: the objects themselves, not copies. */
  get kept(): readonly SessionEntry[] {
    return this.#kept;
  }

  /** The most recent session, if any. */
  get last(): SessionEntry | null {
    return this.#kept[this.#kept.length - 1] ?? null;
  }

  /** Adds a session that has just started; its `number` may skip ahead (a cut journal). */
  add(entry: SessionEntry): void {
    this.#count = Math.max(this.#count + 1, entry.number);
    this.#keep(entry);
  }

  /** Takes the sessions a file holds (`count` there ever were). */
  restore(sessions: readonly SessionEntry[], count: number): void {
    this.#count = Math.max(count, sessions.length);
    for (const session of sessions) this.#keep({ ...session });
  }

  #keep(entry: SessionEntry): void {
    this.#kept.push(entry);
    if (this.#kept.length > this.#max) this.#kept.splice(1, 1);
  }
}

/** A session that has just started: nothing ended, nothing done yet. */
export function newSessionEntry(
  start: Pick<SessionEntry, 'number' | 'session_id' | 'host' | 'pid' | 'boot_id' | 'start_time'>,
): SessionEntry {
  return {
    ...start,
    end_time: null,
    duration_seconds: 0,
    end_reason: null,
    signal: null,
    items_processed: 0,
    items_successful: 0,
    items_failed: 0,
    items_retried: 0,
    bytes_processed: 0,
  };
}

/**
 * A running session as of `lastSeen`: its duration so far and what it did, the run's totals
 * now less those when it started.
 */
export function sessionSoFar(
  entry: SessionEntry,
  lastSeen: number,
  totals: RunTotals,
  atStart: RunTotals,
): SessionEntry {
  return {
    ...entry,
    duration_seconds: lastSeen - entry.start_time,
    items_processed: Math.max(0, totals.items_processed - atStart.items_processed),
    items_successful: Math.max(0, totals.items_successful - atStart.items_successful),
    items_failed: Math.max(0, totals.items_failed - atStart.items_failed),
    items_retried: Math.max(0, totals.items_retried - atStart.items_retried),
    bytes_processed: Math.max(0, totals.bytes_processed - atStart.bytes_processed),
  };
}
