/**
 * Leases of the file store and the fencing of its writes.
 *
 * A lease is the owner record (`owner.ts`) plus what this process knows of it: its token, its
 * epoch, whether it was released or found lost. Every write of a summary asks its fence first:
 * a lease no longer current gets `E_LEASE_LOST` before anything is touched, and the lease is
 * asked again just before the rename (so an owner that lost its lease stops writing). A write
 * without a lease is refused with `E_CONCURRENT_RUN` while a live owner holds the summary.
 *
 * A check followed by a rename is not atomic: a process stopped between the two (SIGSTOP, a
 * stall in I/O on another host sharing the directory) renames late, over its successor's
 * file. The file system cannot refuse that rename, so every write carries its epoch
 * (`owner_epoch` in the dictionary) and readers take the highest. When the previous owner was
 * not proven dead (its heartbeat went stale on another host or pid namespace, its record was
 * unreadable) the lease is *fenced*: its writes also go to an epoch copy `….json.e<epoch>`
 * that no older owner ever writes, and readers take the highest epoch among the main file and
 * the copies. A late write of the old owner lands on the main file (or on its own, lower,
 * copy) and is never taken. The record keeps `fenced` for every later owner: an owner stalled
 * long ago may still wake. When the previous owner is proven dead (its process is gone on
 * this host, the host rebooted) nothing can write late, and saves cost nothing extra.
 */
import * as nodeFs from 'node:fs';
import {
  type Acquired,
  type AcquireOptions,
  codedRangeError,
  type Lease,
  type OwnerStatus,
  type OwnershipOptions,
  ProcessSummaryError,
  refName,
} from '@process-summary/core';
import { newTempPath, writeFileDurably } from './atomic-write.js';
import { makeDirectoryDurably } from './directory.js';
import { errnoCode, type FileSystem, type StatsLike } from './fs-seam.js';
import { epochPathFor, parseEntryName, type SummaryPaths, takeoverPathFor } from './layout.js';
import type { Logger } from './logger.js';
import {
  acquireOwner,
  concurrentRunError,
  currentOwner,
  type FoundRecord,
  holdsToken,
  judgeOwner,
  leaseLostError,
  ownerInfoOf,
  type ReleaseOwnerOptions,
  readOwnerFile,
  readOwnerFileSync,
  releaseOwner,
  releaseOwnerSync,
  shown,
  touchOwner,
} from './owner.js';

/** What this process knows of a lease it holds. */
interface LeaseState {
  paths: SummaryPaths;
  token: string;
  /** How the release judges a takeover lock it finds held (as the acquire judged owners). */
  judging: ReleaseOwnerOptions;
  epoch: number;
  fenced: boolean;
  /** Given up by `release` (set before the first await: a save queued after it never writes). */
  released: boolean;
  /** Found taken over: no write of this lease is attempted again. */
  lost: boolean;
}

// Module-wide, not per store: a lease keeps working with another store instance of one root.
const leases = new WeakMap<Lease, LeaseState>();

/** Default of `staleAfterSeconds`. */
export const DEFAULT_STALE_AFTER_SECONDS = 300;

/** What a write may do, decided by its fence just before the write starts. */
export interface FenceDecision {
  /** Stamped into the written dictionary as `owner_epoch`; null: not stamped. */
  epoch: number | null;
  /** The epoch copy to write beside the main file, or null: the main file only. */
  copyPath: string | null;
  /** Asks again just before the rename: throws `E_LEASE_LOST` if the lease was lost meanwhile. */
  recheck(): Promise<void>;
  recheckSync(): void;
}

/** The fence of one write: asked before anything is touched. */
export interface WriteFence {
  check(): Promise<FenceDecision>;
  checkSync(): FenceDecision;
}

/** The owner side of the file store: acquire, renew, release, ownerStatus, and write fences. */
export class Ownership {
  readonly #fs: FileSystem;
  readonly #logger: Logger;
  readonly #now: () => number;

  constructor(fs: FileSystem, logger: Logger, now: () => number) {
    this.#fs = fs;
    this.#logger = logger;
    this.#now = now;
  }

  /** See `SummaryStore.acquire`. */
  async acquire(paths: SummaryPaths, options: AcquireOptions = {}): Promise<Acquired> {
    const staleAfterSeconds = staleAfter(options);
    const me = options.owner ?? currentOwner();
    if (
      typeof me !== 'object' ||
      me === null ||
      typeof me.host !== 'string' ||
      me.host === '' ||
      !Number.isSafeInteger(me.pid)
    ) {
      throw codedRangeError(
        'E_INVALID_ARGUMENT',
        'process-summary/store-fs: owner must name a host (a non-empty string) and a pid (an integer)',
      );
    }
    await makeDirectoryDurably(this.#fs, paths.dir);
    const { record, previous } = await acquireOwner(paths.owner, takeoverPathFor(paths), {
      ref: paths.ref,
      me,
      now: this.#now,
      staleAfterSeconds,
      stored: () => this.#storedEpoch(paths),
    });
    const lease: Lease = Object.freeze({
      ref: Object.freeze({ ...paths.ref }),
      epoch: record.epoch,
      owner: Object.freeze({
        host: record.host,
        pid: record.pid,
        bootId: record.boot_id,
        pidNamespace: record.pid_namespace,
        pidStart: record.pid_start,
      }),
      since: record.since,
    });
    const state: LeaseState = {
      paths,
      token: record.token,
      judging: { me, now: this.#now, staleAfterSeconds },
      epoch: record.epoch,
      fenced: record.fenced,
      released: false,
      lost: false,
    };
    leases.set(lease, state);
    if (record.fenced) {
      try {
        await this.#copyCurrentState(paths, record.epoch);
      } catch (err) {
        await this.release(lease);
        throw err;
      }
    }
    return {
      lease,
      previous:
        previous === null
          ? null
          : {
              owner:
                previous.record === null
                  ? null
                  : ownerInfoOf(previous.record, previous.mtimeSeconds),
              reason: previous.gone,
              detail: previous.reason,
            },
    };
  }

  /** See `SummaryStore.renew`. */
  async renew(lease: Lease): Promise<void> {
    const state = stateOf(lease);
    if (state.released) throw leaseLostError(lease.ref, 'ownership was released', undefined);
    if (!state.lost && (await touchOwner(state.paths.owner, state.token, this.#now()))) return;
    state.lost = true;
    throw leaseLostError(
      lease.ref,
      'the owner record was taken over',
      await readOwnerFile(state.paths.owner),
    );
  }

  /** See `SummaryStore.release`. */
  async release(lease: Lease): Promise<void> {
    const state = stateOf(lease);
    if (state.released) return;
    state.released = true;
    if (state.lost) return;
    await releaseOwner(state.paths.owner, takeoverPathFor(state.paths), state.token, state.judging);
  }

  /** {@link release}, synchronously, for `exit` handlers. */
  releaseSync(lease: Lease): void {
    const state = stateOf(lease);
    if (state.released) return;
    state.released = true;
    if (state.lost) return;
    releaseOwnerSync(state.paths.owner, takeoverPathFor(state.paths), state.token, state.judging);
  }

  /** The files of the summary `lease` is for. */
  pathsOf(lease: Lease): SummaryPaths {
    return stateOf(lease).paths;
  }

  /** See `SummaryStore.ownerStatus`. */
  async status(paths: SummaryPaths, options: OwnershipOptions = {}): Promise<OwnerStatus> {
    const staleAfterSeconds = staleAfter(options);
    let found: Awaited<ReturnType<typeof readOwnerFile>>;
    try {
      found = await readOwnerFile(paths.owner);
    } catch (err) {
      // A reader's question: a record it cannot read (a FIFO, socket, directory or link where
      // the record belongs, refused unread) makes the owner unknown, said why, so a listing
      // goes on past one odd file. Taking ownership still refuses with E_IO.
      const cause = errnoCode((err as { cause?: unknown }).cause);
      return {
        state: 'unknown',
        reason:
          cause === 'ENOTREG' || cause === 'ELOOP' || cause === 'ENXIO' || cause === 'EISDIR'
            ? 'the owner record is not a regular file (a FIFO, socket, directory or symbolic link); not read'
            : `the owner record cannot be read (${cause ?? 'error'})`,
        owner: null,
        gone: null,
      };
    }
    if (found === undefined) {
      return { state: 'none', reason: 'no owner record', owner: null, gone: null };
    }
    const record = found.record;
    if (record === null) {
      return {
        state: 'unknown',
        reason: 'the owner record is unreadable',
        owner: null,
        gone: null,
      };
    }
    const owner = ownerInfoOf(record, found.mtimeSeconds);
    if (record.released) {
      return {
        state: 'none',
        reason: `released by pid ${record.pid} on ${shown(record.host)}`,
        owner,
        gone: null,
      };
    }
    const judged = judgeOwner(
      record,
      found.mtimeSeconds,
      this.#now(),
      staleAfterSeconds,
      currentOwner(),
      found.changeSeconds,
    );
    if (judged.alive) return { state: 'alive', reason: judged.reason, owner, gone: null };
    return { state: 'dead', reason: judged.reason, owner, gone: judged.gone };
  }

  /**
   * The fence of a write of `paths` with `lease` (or without one): what the writer asks before
   * it touches anything, and again before its rename.
   */
  fenceFor(paths: SummaryPaths, lease: Lease | undefined): WriteFence {
    if (lease === undefined) return this.#unleasedFence(paths);
    const state = stateOf(lease);
    if (state.paths.summary !== paths.summary) {
      throw codedRangeError(
        'E_INVALID_ARGUMENT',
        `process-summary/store-fs: the lease is for ${refName(lease.ref)}, not ${refName(paths.ref)}`,
      );
    }
    const decision: FenceDecision = {
      epoch: state.epoch,
      copyPath: state.fenced ? epochPathFor(paths, state.epoch) : null,
      // Synchronous on purpose, here and in the unowned fence below: the record is a few
      // hundred bytes, read in microseconds, while each await of the async read is a
      // thread-pool round trip (open, stat, read, close), in series before the write: it made
      // a save 1.13-1.16x the bare durable write. `recheck` stays a promise for the writer.
      recheck: async () => held(state, readOwnerFileSync(paths.owner)),
      recheckSync: () => held(state, readOwnerFileSync(paths.owner)),
    };
    return {
      check: async () => {
        await decision.recheck();
        return decision;
      },
      checkSync: () => {
        decision.recheckSync();
        return decision;
      },
    };
  }

  /** A write without a lease: allowed while no live owner holds the summary. */
  #unleasedFence(paths: SummaryPaths): WriteFence {
    const decide = (found: FoundRecord | undefined): FenceDecision => {
      const record = found?.record ?? null;
      if (record !== null && !record.released) {
        const judged = judgeOwner(
          record,
          found?.mtimeSeconds ?? 0,
          this.#now(),
          DEFAULT_STALE_AFTER_SECONDS,
          currentOwner(),
          found?.changeSeconds,
        );
        if (judged.alive) throw concurrentRunError(paths.ref, record);
      }
      // Under a fenced record, an unowned write is the newest state: it goes where readers
      // look (the copy of the record's epoch), like its owner's would.
      const fenced = record?.fenced === true;
      return {
        epoch: record === null ? null : record.epoch,
        copyPath: fenced && record !== null ? epochPathFor(paths, record.epoch) : null,
        recheck: async () => {},
        recheckSync: () => {},
      };
    };
    return {
      check: async () => decide(readOwnerFileSync(paths.owner)),
      checkSync: () => decide(readOwnerFileSync(paths.owner)),
    };
  }

  /**
   * The highest epoch the files of `paths` carry (the main file's `owner_epoch`, the epoch
   * copies' names) and whether any epoch copy exists.
   */
  async #storedEpoch(paths: SummaryPaths): Promise<{ epoch: number; copies: boolean }> {
    const copies = await epochCopies(this.#fs, paths);
    const main = await mainEpoch(this.#fs, paths.summary);
    const highestCopy = copies.reduce((max, c) => Math.max(max, c.epoch), 0);
    return { epoch: Math.max(main ?? 0, highestCopy), copies: copies.length > 0 };
  }

  /**
   * A fenced lease starts by writing the state it takes over (the highest epoch's file) to
   * its own epoch copy, so readers take it rather than any late write to the main file, and
   * removes the lower copies it supersedes.
   */
  async #copyCurrentState(paths: SummaryPaths, epoch: number): Promise<void> {
    const current = await currentFile(this.#fs, paths);
    const target = epochPathFor(paths, epoch);
    if (current !== null && current.path !== target) {
      // Stamped with the new epoch: the copy is this owner's write, above any late one.
      await writeFileDurably(this.#fs, target, restamp(current.bytes, epoch), {
        logger: this.#logger,
      });
    }
    await removeLowerCopies(this.#fs, paths, epoch);
  }
}

/** The JSON bytes with `owner_epoch` set to `epoch`; bytes that do not parse are kept as they are. */
function restamp(bytes: Buffer, epoch: number): Buffer {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return bytes;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bytes;
  return Buffer.from(`${JSON.stringify({ ...value, owner_epoch: epoch }, null, 2)}\n`, 'utf8');
}

function stateOf(lease: Lease): LeaseState {
  const state = typeof lease === 'object' && lease !== null ? leases.get(lease) : undefined;
  if (state === undefined) {
    throw new ProcessSummaryError(
      'E_INVALID_ARGUMENT',
      'process-summary/store-fs: not a lease this store issued (pass the lease acquire returned)',
    );
  }
  return state;
}

function held(state: LeaseState, found: FoundRecord | undefined): void {
  const ref = state.paths.ref;
  if (state.released) throw leaseLostError(ref, 'ownership was released', undefined);
  if (state.lost) throw leaseLostError(ref, 'ownership was lost', found);
  if (holdsToken(found, state.token)) return;
  state.lost = true;
  throw leaseLostError(ref, 'the owner record was taken over', found);
}

function staleAfter(options: OwnershipOptions): number {
  const value = options.staleAfterSeconds ?? DEFAULT_STALE_AFTER_SECONDS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `process-summary/store-fs: staleAfterSeconds must be a positive number, got ${String(value)}`,
    );
  }
  return value;
}

/** The epoch copies of `paths` in its run directory, any order. */
export async function epochCopies(
  fs: FileSystem,
  paths: SummaryPaths,
): Promise<{ path: string; epoch: number }[]> {
  let entries: { name: string }[];
  try {
    entries = await fs.readdir(paths.dir);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
  const copies: { path: string; epoch: number }[] = [];
  for (const entry of entries) {
    const parsed = parseEntryName(entry.name);
    if (
      parsed?.kind === 'epoch' &&
      parsed.epoch !== null &&
      parsed.processName === paths.ref.processName &&
      parsed.worker === paths.ref.worker
    ) {
      copies.push({ path: epochPathFor(paths, parsed.epoch), epoch: parsed.epoch });
    }
  }
  return copies;
}

const SAFE_READ =
  nodeFs.constants.O_RDONLY | nodeFs.constants.O_NOFOLLOW | nodeFs.constants.O_NONBLOCK;
/** The file store's default `maxFileBytes`: a larger file is not a summary it wrote. */
const MAX_COPY_BYTES = 64 * 1024 * 1024;

/** The `owner_epoch` a file carries, its bytes and mtime; null when absent or unreadable. */
async function stampedFile(
  fs: FileSystem,
  path: string,
): Promise<{ bytes: Buffer; epoch: number | null; mtimeMs: number } | null> {
  try {
    // Through the seam, never following a link nor waiting on a FIFO; only regular files.
    const handle = await fs.open(path, SAFE_READ);
    let bytes: Buffer;
    let stats: StatsLike;
    try {
      stats = await handle.stat();
      if (!stats.isFile() || stats.size > MAX_COPY_BYTES) return null;
      bytes = await handle.readFile();
    } finally {
      await handle.close().catch(() => {});
    }
    let epoch: number | null = null;
    try {
      const value = JSON.parse(bytes.toString('utf8')) as { owner_epoch?: unknown };
      if (typeof value?.owner_epoch === 'number') epoch = value.owner_epoch;
    } catch {}
    return { bytes, epoch, mtimeMs: stats.mtimeMs };
  } catch {
    return null;
  }
}

/** The `owner_epoch` of the main summary file; null when absent, unreadable or unstamped. */
async function mainEpoch(fs: FileSystem, path: string): Promise<number | null> {
  return (await stampedFile(fs, path))?.epoch ?? null;
}

/**
 * The file holding the state of `paths`, as readers choose it: the highest epoch among the
 * main file and the epoch copies (a file's `owner_epoch`, else the epoch in a copy's name, an
 * unstamped main file lowest), the later write between equals. `null` when there is none.
 */
export async function currentFile(
  fs: FileSystem,
  paths: SummaryPaths,
): Promise<{ path: string; bytes: Buffer; epoch: number | null } | null> {
  const candidates = [
    { path: paths.summary, nameEpoch: null as number | null },
    ...(await epochCopies(fs, paths)).map((c) => ({ path: c.path, nameEpoch: c.epoch })),
  ];
  let best: { path: string; bytes: Buffer; epoch: number | null; mtimeMs: number } | null = null;
  for (const candidate of candidates) {
    const file = await stampedFile(fs, candidate.path);
    if (file === null) continue;
    const epoch = file.epoch ?? candidate.nameEpoch;
    const rank = epoch ?? -1;
    const bestRank = best?.epoch ?? -1;
    if (best === null || rank > bestRank || (rank === bestRank && file.mtimeMs > best.mtimeMs)) {
      best = { path: candidate.path, bytes: file.bytes, epoch, mtimeMs: file.mtimeMs };
    }
  }
  return best;
}

/** Removes the epoch copies below `epoch` (superseded: readers take the highest anyway). */
export async function removeLowerCopies(
  fs: FileSystem,
  paths: SummaryPaths,
  epoch: number,
): Promise<void> {
  for (const copy of await epochCopies(fs, paths)) {
    if (copy.epoch >= epoch) continue;
    await fs.unlink(copy.path).catch(() => {});
  }
}

/** The dictionary bytes with `owner_epoch` set: the serialized summary ends with `\n}\n`. */
export function stampEpoch(data: Buffer, epoch: number | null): Buffer {
  if (epoch === null) return data;
  const end = data.lastIndexOf('\n}');
  if (end === -1) return data;
  return Buffer.concat([
    data.subarray(0, end),
    Buffer.from(`,\n  "owner_epoch": ${epoch}`),
    data.subarray(end),
  ]);
}

/**
 * Puts the durable temp file of a fenced save in place as the epoch copy too, before the main
 * file's rename: a hard link under a temp name, renamed over the copy (the copy is never
 * missing). The main file's rename and its directory fsync follow and cover this rename too.
 * `onLinked` gets the link's name, so a `saveSync` overtaking this write can claim it (see
 * the writer's `#claimRenaming`): the older state then never lands on the copy either.
 */
export async function linkEpochCopy(
  fs: FileSystem,
  tempPath: string,
  copyPath: string,
  onLinked: (linkPath: string) => void = () => {},
): Promise<void> {
  const linkPath = newTempPath(copyPath);
  try {
    await fs.link(tempPath, linkPath);
    onLinked(linkPath);
    await fs.rename(linkPath, copyPath);
  } finally {
    await fs.unlink(linkPath).catch(() => {});
  }
}

/** {@link linkEpochCopy}, synchronously with `node:fs`, for `saveSync`. */
export function linkEpochCopySync(tempPath: string, copyPath: string): void {
  const linkPath = newTempPath(copyPath);
  try {
    nodeFs.linkSync(tempPath, linkPath);
    nodeFs.renameSync(linkPath, copyPath);
  } finally {
    try {
      nodeFs.unlinkSync(linkPath);
    } catch {}
  }
}
