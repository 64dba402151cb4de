import { type Clock, systemClock } from './clock.js';
import { codedRangeError, codedTypeError, ProcessSummaryError } from './errors.js';
import type { JsonValue } from './json.js';
import { assertValidName, assertValidRef } from './names.js';
import { validateSummaryDict } from './schema.js';
import { assertValidStateKey, decodeStateValue, encodeStateWrite, stateConflict } from './state.js';
import {
  type Acquired,
  type AcquireOptions,
  compareRefs,
  type EventsOptions,
  type JournalRecord,
  type Lease,
  type ListedSummary,
  type Listing,
  type ListingPage,
  type ListOptions,
  type LoadResult,
  listingOf,
  type OwnerIdentity,
  type OwnerInfo,
  type OwnerStatus,
  type OwnershipOptions,
  type ReadResult,
  refName,
  type StateDocument,
  type SummaryRef,
  type SummaryStore,
  sameRef,
  type WatchOptions,
} from './store.js';
import { type FromDictOptions, ProcessSummary, summaryDictToWrite } from './summary.js';
import { assertOptionsObject } from './summary-input.js';
import type { SummaryEvent } from './types.js';

/** Options of `new MemorySummaryStore(…)`. */
export interface MemorySummaryStoreOptions {
  /** Stamps heartbeats, `since` and `writtenAt`. Default: {@link systemClock}. */
  clock?: Clock;
  /**
   * How old an owner's heartbeat may be before an unowned write or a reader takes it for gone,
   * when no `staleAfterSeconds` is given. Default 300 s.
   */
  staleAfterSeconds?: number;
}

/** Who owns a summary when `acquire` is not told: memory has no process to name. */
const DEFAULT_OWNER: OwnerIdentity = { host: 'memory', pid: 0 };
const DEFAULT_STALE_AFTER_SECONDS = 300;
const utf8 = new TextEncoder();
/** Summaries per page of `scanListings`. */
export const MEMORY_SCAN_PAGE = 500;

/** Everything held for one ref. Kept after `remove`, so epochs are never handed out twice. */
interface Slot {
  ref: SummaryRef;
  /** The summary as JSON text: a loaded summary shares nothing with the saved object. */
  text: string | null;
  writtenAt: number | null;
  /** The lease epoch of the last write, `null` for an unowned one. */
  writtenEpoch: number | null;
  journal: { seq: number; event: SummaryEvent }[];
  owner: OwnerInfo | null;
  /** The highest epoch ever granted for this ref. */
  lastEpoch: number;
}

/**
 * A {@link SummaryStore} in memory, for tests and for pipelines that persist elsewhere. It
 * implements the whole contract; an owner's liveness is judged by its heartbeat alone (memory
 * has no processes to look at), so a gone owner is always `stale`.
 */
export class MemorySummaryStore implements SummaryStore {
  readonly #clock: Clock;
  readonly #staleAfter: number;
  readonly #slots = new Map<string, Slot>();
  readonly #archived: [key: string, text: string][] = [];
  readonly #watchers = new Set<(ref: SummaryRef) => void>();
  /** Consumer state by key, as JSON text: a read value shares nothing with the written one. */
  readonly #state = new Map<string, { text: string; version: number }>();
  /** Journal sequence shared by every ref: a cursor stays valid across `remove`. */
  #seq = 0;

  constructor(options: MemorySummaryStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#staleAfter = staleAfter(options.staleAfterSeconds);
  }

  // ---- owner side -------------------------------------------------------------------------

  async acquire(ref: SummaryRef, options: AcquireOptions = {}): Promise<Acquired> {
    assertValidRef(ref);
    const threshold = staleAfter(options.staleAfterSeconds ?? this.#staleAfter);
    const identity = ownerIdentity(options.owner ?? DEFAULT_OWNER);
    const slot = this.#slot(ref);
    const status = this.#status(slot, threshold);
    if (status.state === 'alive') throw concurrentRun(slot.ref, status.owner as OwnerInfo);
    const now = this.#clock.now();
    const previous =
      status.owner === null
        ? null
        : { owner: { ...status.owner }, reason: 'stale' as const, detail: status.reason };
    slot.lastEpoch += 1;
    slot.owner = { ...identity, epoch: slot.lastEpoch, since: now, heartbeat: now };
    this.#changed(slot);
    const lease: Lease = {
      ref: { ...slot.ref },
      epoch: slot.lastEpoch,
      owner: identity,
      since: now,
    };
    return { lease, previous };
  }

  async renew(lease: Lease): Promise<void> {
    const slot = this.#fence(leaseRef(lease), lease);
    (slot.owner as OwnerInfo).heartbeat = this.#clock.now();
  }

  async release(lease: Lease): Promise<void> {
    const slot = this.#slot(leaseRef(lease));
    if (slot.owner === null || slot.owner.epoch !== lease.epoch) return;
    slot.owner = null;
    this.#changed(slot);
  }

  async load(ref: SummaryRef, options?: FromDictOptions): Promise<LoadResult | null> {
    assertValidRef(ref);
    const text = this.#slots.get(keyOf(ref))?.text ?? null;
    if (text === null) return null;
    return { summary: ProcessSummary.fromDict(JSON.parse(text), options), warnings: [] };
  }

  async save(summary: ProcessSummary, lease?: Lease): Promise<void> {
    this.saveSync(summary, lease);
  }

  saveSync(summary: ProcessSummary, lease?: Lease): void {
    // Duck-typed: `instanceof` fails across two installed copies of this package.
    if (typeof (summary as Partial<ProcessSummary> | null)?.getSummaryDict !== 'function') {
      throw codedTypeError('E_INVALID_ARGUMENT', 'save: expected a ProcessSummary');
    }
    const slot = this.#fence(summaryRef(summary), lease);
    // Serialized at once, custom metrics unchanged: no deep copy of them.
    const dict = summaryDictToWrite(summary);
    if (lease !== undefined) dict.owner_epoch = lease.epoch;
    slot.text = JSON.stringify(dict);
    slot.writtenAt = this.#clock.now();
    slot.writtenEpoch = lease?.epoch ?? null;
    for (const event of summary.takeEvents()) {
      this.#seq += 1;
      slot.journal.push({ seq: this.#seq, event: structuredClone(event) });
    }
    this.#changed(slot);
  }

  async archive(ref: SummaryRef, lease?: Lease): Promise<string | null> {
    const slot = this.#fence(ref, lease);
    if (slot.text === null) return null;
    const archivedAs = `${refName(slot.ref)}#archived-${this.#archived.length + 1}`;
    this.#archived.push([archivedAs, slot.text]);
    this.#clear(slot);
    return archivedAs;
  }

  async remove(ref: SummaryRef, lease?: Lease): Promise<boolean> {
    const slot = this.#fence(ref, lease);
    const existed = slot.text !== null;
    this.#clear(slot);
    return existed;
  }

  /** Summaries set aside by {@link archive}, oldest first, as the JSON text saved. */
  archived(): [key: string, text: string][] {
    return this.#archived.map(([key, text]) => [key, text]);
  }

  // ---- reader side ------------------------------------------------------------------------

  async read(ref: SummaryRef): Promise<ReadResult | null> {
    assertValidRef(ref);
    const slot = this.#slots.get(keyOf(ref));
    if (slot === undefined || (slot.text === null && slot.journal.length === 0)) return null;
    const result: ReadResult = {
      ref: { ...slot.ref },
      location: locationOf(slot.ref),
      dict: null,
      problem: null,
      seedFormat: false,
      writtenAt: slot.writtenAt,
      epoch: slot.writtenEpoch,
      hasHistory: slot.journal.length > 0,
      sizeBytes: slot.text === null ? null : utf8.encode(slot.text).length,
    };
    if (slot.text === null) {
      const reason = 'is missing (its journal remains)';
      const message = `${result.location}: ${reason}`;
      result.problem = { code: 'E_NOT_FOUND', reason, message, issues: [] };
      return result;
    }
    const dict = JSON.parse(slot.text) as Record<string, unknown>;
    result.dict = validateSummaryDict(dict);
    result.seedFormat = !('schema_version' in dict);
    return result;
  }

  /**
   * The listing projection of each ref (see {@link SummaryStore.readListing}): a `read`, whose
   * dict is cut down to the listing's fields. Memory saves nothing by it; it is here so that
   * the contract suite exercises the capability on this store as on the others.
   */
  async readListing(refs: readonly SummaryRef[]): Promise<(ReadResult | null)[]> {
    if (!Array.isArray(refs))
      throw codedTypeError('E_INVALID_ARGUMENT', 'readListing: refs must be an array');
    for (const ref of refs) assertValidRef(ref);
    const reads = await Promise.all(refs.map((ref) => this.read(ref)));
    return reads.map((read) =>
      read === null || read.dict === null
        ? read
        : { ...read, dict: listingOf(read.dict) as ReadResult['dict'] },
    );
  }

  /**
   * `list`, then `readListing` of what it lists, as pages of {@link MEMORY_SCAN_PAGE} (see
   * {@link SummaryStore.scanListings}): memory saves nothing by it; it is here so that the
   * contract suite and the listings' tests exercise the capability on this store.
   */
  scanListings(options: ListOptions = {}): AsyncIterable<ListingPage> {
    assertOptionsObject('scanListings', options);
    if (options.runName !== undefined) assertValidName('run', options.runName);
    const pages = async function* (store: MemorySummaryStore): AsyncIterable<ListingPage> {
      const { summaries, problems } = await store.list(options);
      for (let start = 0; start < summaries.length || start === 0; start += MEMORY_SCAN_PAGE) {
        const page = summaries.slice(start, start + MEMORY_SCAN_PAGE);
        const withSummary = page.filter((summary) => summary.hasSummary);
        const reads = await store.readListing(withSummary);
        let next = 0;
        yield {
          listed: page.map((summary) => ({
            summary,
            read: summary.hasSummary ? (reads[next++] ?? null) : null,
          })),
          problems: start === 0 ? problems : [],
        };
      }
    };
    return pages(this);
  }

  async list(options: ListOptions = {}): Promise<Listing> {
    if (options.runName !== undefined) assertValidName('run', options.runName);
    const summaries: ListedSummary[] = [];
    for (const slot of this.#slots.values()) {
      if (options.runName !== undefined && slot.ref.runName !== options.runName) continue;
      if (slot.text === null && slot.journal.length === 0) continue;
      summaries.push({
        ...slot.ref,
        location: locationOf(slot.ref),
        writtenAt: slot.writtenAt,
        hasSummary: slot.text !== null,
      });
    }
    return { summaries: summaries.sort(compareRefs), problems: [] };
  }

  async *events(ref: SummaryRef, options: EventsOptions = {}): AsyncIterable<JournalRecord> {
    assertValidRef(ref);
    const after = cursorSeq(options.after);
    // The journal as it is now: the stream ends at the current end.
    const journal = this.#slots.get(keyOf(ref))?.journal.slice() ?? [];
    for (const { seq, event } of journal) {
      if (options.signal?.aborted) return;
      if (seq <= after) continue;
      yield { cursor: String(seq), event: structuredClone(event), problem: null };
    }
  }

  async *watch(options: WatchOptions = {}): AsyncIterable<SummaryRef> {
    const { signal } = options;
    const queue: SummaryRef[] = [];
    let wake: (() => void) | null = null;
    const notify = (ref: SummaryRef) => {
      queue.push(ref);
      wake?.();
    };
    const onAbort = () => wake?.();
    this.#watchers.add(notify);
    signal?.addEventListener('abort', onAbort);
    try {
      while (signal?.aborted !== true) {
        const next = queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
      }
    } finally {
      this.#watchers.delete(notify);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async ownerStatus(ref: SummaryRef, options: OwnershipOptions = {}): Promise<OwnerStatus> {
    assertValidRef(ref);
    const threshold = staleAfter(options.staleAfterSeconds ?? this.#staleAfter);
    const slot = this.#slots.get(keyOf(ref));
    if (slot === undefined) return { state: 'none', reason: 'no owner', owner: null, gone: null };
    return this.#status(slot, threshold);
  }

  // ---- consumer state: apart from the summaries, never listed or watched ---------------

  async readState(key: string): Promise<StateDocument | null> {
    assertValidStateKey(key);
    const doc = this.#state.get(key);
    return doc === undefined ? null : { value: decodeStateValue(doc.text), version: doc.version };
  }

  async writeState(key: string, value: JsonValue, expectedVersion: number | null): Promise<number> {
    const text = encodeStateWrite(key, value, expectedVersion);
    // No await between the check and the set: concurrent writers see each other's versions.
    const found = this.#state.get(key)?.version ?? null;
    if (found !== expectedVersion) throw stateConflict(key, expectedVersion, found);
    const version = (found ?? 0) + 1;
    this.#state.set(key, { text, version });
    return version;
  }

  // ---- internals --------------------------------------------------------------------------

  #slot(ref: SummaryRef): Slot {
    const key = keyOf(ref);
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = {
        ref: { runName: ref.runName, processName: ref.processName, worker: ref.worker ?? null },
        text: null,
        writtenAt: null,
        writtenEpoch: null,
        journal: [],
        owner: null,
        lastEpoch: 0,
      };
      this.#slots.set(key, slot);
    }
    return slot;
  }

  #status(slot: Slot, threshold: number): OwnerStatus {
    const owner = slot.owner;
    if (owner === null) return { state: 'none', reason: 'no owner', owner: null, gone: null };
    const age = this.#clock.now() - owner.heartbeat;
    const who = `pid ${owner.pid} on ${owner.host}`;
    if (age <= threshold) {
      return {
        state: 'alive',
        reason: `${who}: heartbeat ${age.toFixed(0)} s old`,
        owner: { ...owner },
        gone: null,
      };
    }
    return {
      state: 'dead',
      reason: `owner ${who} is gone: heartbeat ${age.toFixed(0)} s old (threshold ${threshold} s)`,
      owner: { ...owner },
      gone: 'stale',
    };
  }

  /**
   * The slot of `ref`, once a write may go ahead: with a lease, only while its epoch is current
   * (`E_LEASE_LOST`); without one, only while no live owner holds the ref (`E_CONCURRENT_RUN`).
   */
  #fence(ref: SummaryRef, lease: Lease | undefined): Slot {
    assertValidRef(ref);
    if (lease !== undefined) {
      const held = leaseRef(lease);
      if (!sameRef(held, ref)) {
        throw codedRangeError(
          'E_INVALID_ARGUMENT',
          `the lease is for ${refName(held)}, not ${refName(ref)}`,
        );
      }
    }
    const slot = this.#slot(ref);
    const owner = slot.owner;
    if (lease === undefined) {
      const status = this.#status(slot, this.#staleAfter);
      if (status.state === 'alive') throw concurrentRun(slot.ref, owner as OwnerInfo);
    } else if (owner === null || owner.epoch !== lease.epoch) {
      throw new ProcessSummaryError(
        'E_LEASE_LOST',
        `process-summary: the lease on ${refName(ref)} (epoch ${lease.epoch}) is no longer current (${owner === null ? 'released' : `epoch ${owner.epoch} holds it`}); this process must stop writing`,
      );
    }
    return slot;
  }

  #clear(slot: Slot): void {
    slot.text = null;
    slot.writtenAt = null;
    slot.writtenEpoch = null;
    slot.journal = [];
    this.#changed(slot);
  }

  #changed(slot: Slot): void {
    for (const notify of this.#watchers) notify({ ...slot.ref });
  }
}

function keyOf(ref: SummaryRef): string {
  return JSON.stringify([ref.runName, ref.processName, ref.worker ?? null]);
}

function locationOf(ref: SummaryRef): string {
  return `memory:${refName(ref)}`;
}

function summaryRef(summary: ProcessSummary): SummaryRef {
  return { runName: summary.runName, processName: summary.processName, worker: summary.worker };
}

function leaseRef(lease: Lease): SummaryRef {
  if (typeof lease !== 'object' || lease === null || !Number.isSafeInteger(lease.epoch)) {
    throw codedTypeError('E_INVALID_ARGUMENT', 'expected a lease returned by acquire');
  }
  assertValidRef(lease.ref);
  return lease.ref;
}

function staleAfter(seconds: number | undefined): number {
  const value = seconds ?? DEFAULT_STALE_AFTER_SECONDS;
  if (!(value > 0) || !Number.isFinite(value)) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `staleAfterSeconds must be a positive number, got ${value}`,
    );
  }
  return value;
}

function ownerIdentity(owner: OwnerIdentity): OwnerIdentity {
  if (typeof owner !== 'object' || owner === null) {
    throw codedTypeError('E_INVALID_ARGUMENT', 'owner must be an object');
  }
  if (typeof owner.host !== 'string' || owner.host === '') {
    throw codedTypeError('E_INVALID_ARGUMENT', 'owner.host must be a non-empty string');
  }
  if (!Number.isSafeInteger(owner.pid) || owner.pid < 0) {
    throw codedRangeError('E_INVALID_ARGUMENT', 'owner.pid must be a non-negative integer');
  }
  return {
    host: owner.host,
    pid: owner.pid,
    bootId: owner.bootId ?? null,
    pidNamespace: owner.pidNamespace ?? null,
    pidStart: owner.pidStart ?? null,
  };
}

function concurrentRun(ref: SummaryRef, owner: OwnerInfo): ProcessSummaryError {
  const since = new Date(owner.since * 1000).toISOString();
  return new ProcessSummaryError(
    'E_CONCURRENT_RUN',
    `process-summary: ${refName(ref)} is owned by pid ${owner.pid} on ${owner.host} since ${since}; wait for it to finish or stop it first`,
  );
}

function cursorSeq(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  if (typeof cursor !== 'string' || !/^\d{1,15}$/.test(cursor)) {
    throw codedTypeError('E_INVALID_ARGUMENT', `not a cursor of this store: ${String(cursor)}`);
  }
  return Number(cursor);
}
