/**
 * Writing a summary: the coalescing save queue and the synchronous save, side by side since
 * they share one protocol per summary file (generations, the temp file a `saveSync` claims).
 *
 * - `save`: any number of concurrent calls make at most one write in flight and one pending,
 *   and the calls of one turn of the event loop one write; each promise resolves after a write
 *   that holds the state at its call.
 * - `saveSync`: the same steps synchronously, for `exit` and signal handlers; a write in
 *   flight that serialized an older state never renames over it.
 */
import {
  type FromDictOptions,
  type ProcessSummary,
  ProcessSummaryError,
  type SummaryEvent,
} from '@process-summary/core';
import {
  claimTempFileSync,
  type FileIdentity,
  removeDeadWritersTempFiles,
  writeFileDurably,
  writeFileDurablySync,
} from './atomic-write.js';
import { type BackupWarnings, keepPreviousVersion, keepPreviousVersionSync } from './backup.js';
import { makeDirectoryDurably, makeDirectoryDurablySync } from './directory.js';
import { storeError } from './errors.js';
import { linkEpochCopy, linkEpochCopySync, stampEpoch, type WriteFence } from './fencing.js';
import { errnoCode, type FileSystem } from './fs-seam.js';
import {
  appendJournalSync,
  type JournalWriter,
  journalLines,
  repairTornTailSync,
} from './journal.js';
import { type SummaryPaths, summaryTempFileOwner } from './layout.js';
import type { Logger } from './logger.js';
import { readSummaryFile } from './quarantine.js';
import { summaryBytes } from './serialize.js';

/** What the writer needs of its store. */
export interface WriterContext {
  fs: FileSystem;
  logger: Logger;
  maxFileBytes: number;
  summaryOptions: FromDictOptions | undefined;
  journal: JournalWriter;
}

/** Saves waiting for the write in flight: the next write serializes the latest state of each. */
interface PendingWrite {
  summaries: ProcessSummary[];
  /** The fence of the latest call: the write asks it before it touches anything. */
  fence: WriteFence;
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * A write started but not yet serialized (until its first await): saves asked for meanwhile,
 * in the same turn of the event loop, join it instead of waiting for the next one.
 */
interface OpeningWrite {
  summaries: ProcessSummary[];
  /** The fence of the latest call, as for a pending write. */
  fence: WriteFence;
  promise: Promise<void> | null;
}

interface FileState {
  paths: SummaryPaths;
  /** Settles (never rejects) when the write in flight and the ones it chains to are done. */
  inFlight: Promise<void> | null;
  opening: OpeningWrite | null;
  pending: PendingWrite | null;
  /**
   * The version at `paths.summary` this store wrote or validated, so that only a known-good
   * version becomes the backup; null when unknown (the file is then read and checked first).
   */
  identity: FileIdentity | null;
  /** Numbers the writes of this file in the order they serialized the summary. */
  generation: number;
  /** The generation now in place (it only moves forward): an older write never renames over a newer one. */
  inPlaceGeneration: number;
  /**
   * The temp file of the async write in flight, from just before it checks whether it was
   * superseded until its rename settled: what a `saveSync` claims (see `#claimRenaming`).
   */
  renaming: { tempPath: string; generation: number; copyLink?: string } | null;
}

/**
 * Adds `summary` as the last of a write's summaries: the last object saved is the one
 * serialized; every one gives its events.
 */
function joinLast(summaries: ProcessSummary[], summary: ProcessSummary): void {
  const at = summaries.indexOf(summary);
  if (at !== -1) summaries.splice(at, 1);
  summaries.push(summary);
}

/** Thrown inside a write overtaken by a newer synchronous one: not an error for the caller. */
const SUPERSEDED = new ProcessSummaryError('E_SUPERSEDED', 'superseded by a newer write');

/** The writes of one store, per summary file. */
export class SummaryWriter {
  readonly #ctx: WriterContext;
  readonly #files = new Map<string, FileState>();
  /** Directories this store created or found, and cleaned of dead writers' temp files. */
  readonly #readyDirs = new Set<string>();
  /** Backups this store could not keep and said so (see `backup.ts`): kept across `forget`. */
  readonly #backupWarnings: BackupWarnings = new Set();

  constructor(ctx: WriterContext) {
    this.#ctx = ctx;
  }

  /** Records the version of the summary file a load validated: it may become the backup. */
  noteGoodVersion(paths: SummaryPaths, identity: FileIdentity): void {
    this.#stateFor(paths).identity = identity;
  }

  /** Resolves when no write of `paths` is in flight (those chained meanwhile included). */
  async settle(paths: SummaryPaths): Promise<void> {
    const state = this.#files.get(paths.summary);
    while (state?.inFlight) await state.inFlight;
  }

  /** Forgets what is known of the files of `paths` (after they were removed or set aside). */
  forget(paths: SummaryPaths): void {
    this.#files.delete(paths.summary);
    this.#ctx.journal.forget(paths.journal);
  }

  /** See `FileSummaryStore.save`. */
  save(paths: SummaryPaths, summary: ProcessSummary, fence: WriteFence): Promise<void> {
    const state = this.#stateFor(paths);
    const opening = state.opening;
    if (opening !== null && opening.promise !== null) {
      opening.fence = fence;
      joinLast(opening.summaries, summary);
      return opening.promise;
    }
    if (state.inFlight === null) return this.#startWrite(state, [summary], fence);
    let pending = state.pending;
    if (pending === null) {
      pending = createPendingWrite(fence);
      state.pending = pending;
    }
    pending.fence = fence;
    joinLast(pending.summaries, summary);
    return pending.promise;
  }

  /** See `FileSummaryStore.saveSync`. */
  saveSync(paths: SummaryPaths, summary: ProcessSummary, fence: WriteFence): void {
    const state = this.#stateFor(paths);
    // Asked first: a lease no longer current changes nothing, not even the journal.
    const decision = fence.checkSync();
    const data = stampEpoch(this.#serialize(summary, paths.summary), decision.epoch);
    const events = summary.takeEvents();
    state.generation += 1;
    const generation = state.generation;
    let journalDurable = events.length === 0;
    try {
      makeDirectoryDurablySync(paths.dir);
      if (!journalDurable) {
        // An async append in progress must not cut these lines back if it fails, and these
        // must not be cut back if they fail (see journal.ts).
        const journal = this.#ctx.journal;
        const asyncAppendInProgress = journal.noteSyncAppend(paths.journal);
        if (!journal.isChecked(paths.journal)) {
          repairTornTailSync(paths.journal, this.#ctx.logger);
          journal.markChecked(paths.journal);
        }
        appendJournalSync(paths.journal, journalLines(events), !asyncAppendInProgress);
        journalDurable = true;
      }
      const identity = writeFileDurablySync(paths.summary, data, (tempPath) => {
        decision.recheckSync();
        keepPreviousVersionSync(paths, state.identity, this.#ctx.logger, this.#backupWarnings);
        this.#claimRenaming(state);
        if (decision.copyPath !== null) linkEpochCopySync(tempPath, decision.copyPath);
      });
      // The newest generation: every other write serialized before this one.
      state.identity = identity;
      state.inPlaceGeneration = Math.max(state.inPlaceGeneration, generation);
    } catch (err) {
      state.identity = null;
      if (!journalDurable) summary.restoreEvents(events);
      throw err;
    }
  }

  #stateFor(paths: SummaryPaths): FileState {
    let state = this.#files.get(paths.summary);
    if (state === undefined) {
      state = {
        paths,
        inFlight: null,
        opening: null,
        pending: null,
        identity: null,
        generation: 0,
        inPlaceGeneration: 0,
        renaming: null,
      };
      this.#files.set(paths.summary, state);
    }
    return state;
  }

  /** Starts a write now and chains the pending one (if any) after it. */
  #startWrite(state: FileState, summaries: ProcessSummary[], fence: WriteFence): Promise<void> {
    const opening: OpeningWrite = { summaries, fence, promise: null };
    state.opening = opening;
    const write = this.#write(state, opening);
    opening.promise = write;
    state.inFlight = write.then(
      () => this.#next(state),
      () => this.#next(state),
    );
    return write;
  }

  #next(state: FileState): void {
    state.inFlight = null;
    const next = state.pending;
    if (next === null) return;
    state.pending = null;
    this.#startWrite(state, next.summaries, next.fence).then(next.resolve, next.reject);
  }

  /**
   * One physical write. It serializes the state and takes the events one microtask after it
   * starts, so that it holds every state asked for until then: the saves of one turn of the
   * event loop (1,000 issued in a loop) make one write, not one and then one more.
   */
  async #write(state: FileState, opening: OpeningWrite): Promise<void> {
    await undefined;
    state.opening = null;
    const { summaries, fence } = opening;
    const { paths } = state;
    const { fs, logger } = this.#ctx;
    const latest = summaries[summaries.length - 1] as ProcessSummary;
    const unstamped = this.#serialize(latest, paths.summary);
    const taken: [ProcessSummary, SummaryEvent[]][] = summaries.map((s) => [s, s.takeEvents()]);
    const events = taken.length === 1 ? (taken[0]?.[1] ?? []) : taken.flatMap(([, e]) => e);
    state.generation += 1;
    const generation = state.generation;
    let journalDurable = false;
    try {
      // Asked before anything is touched: a save queued when the lease was lost, or after it
      // was released, writes nothing (its events are given back).
      const decision = await fence.check();
      const data = stampEpoch(unstamped, decision.epoch);
      await this.#prepareDirectory(paths.dir);
      // The journal append runs beside the temp file's write and fsync (one journal commit
      // can serve both); the rename waits for it, so the journal is never behind the file.
      const journalWrite =
        events.length === 0
          ? null
          : this.#ctx.journal.append(paths.journal, journalLines(events)).then(() => {
              journalDurable = true;
            });
      journalWrite?.catch(() => {});
      // The backup link runs beside them too: the file it links cannot change before this
      // write renames (writes of one file are sequential), and it never rejects.
      const backupStep = keepPreviousVersion(
        fs,
        paths,
        state.identity,
        (path) =>
          readSummaryFile(fs, path, this.#ctx.maxFileBytes, paths.ref, this.#ctx.summaryOptions),
        logger,
        this.#backupWarnings,
      );
      try {
        const identity = await writeFileDurably(fs, paths.summary, data, {
          logger,
          beforeRename: async (tempPath) => {
            // From here on a saveSync claims this temp file (see #claimRenaming).
            state.renaming = { tempPath, generation };
            if (journalWrite !== null) await journalWrite;
            await backupStep;
            // A saveSync (signal handler) wrote a newer state meanwhile: keep it.
            if (state.inPlaceGeneration > generation) throw SUPERSEDED;
            // Asked again at the last moment: an owner that lost its lease stops writing. (A
            // process stopped right here renames late; the epoch copy makes that harmless.)
            await decision.recheck();
            if (decision.copyPath !== null) {
              // The copy's link is claimed by a saveSync too, like the temp file itself.
              await linkEpochCopy(fs, tempPath, decision.copyPath, (linkPath) => {
                if (state.renaming?.generation === generation) state.renaming.copyLink = linkPath;
                // A saveSync that ran during the link did not know the link: check again.
                if (state.inPlaceGeneration > generation) throw SUPERSEDED;
              });
            }
          },
        });
        // A saveSync that ran after this rename landed, but before this continuation, is in
        // place now: the generation only moves forward, and the identity stays the newer one's.
        if (generation > state.inPlaceGeneration) {
          state.inPlaceGeneration = generation;
          state.identity = identity;
        }
      } finally {
        if (state.renaming?.generation === generation) state.renaming = null;
        // Know whether the events are durable before deciding to give them back.
        if (journalWrite !== null) await journalWrite.catch(() => {});
        await backupStep;
      }
    } catch (err) {
      // Superseded: a saveSync serialized a newer state (which holds this write's, since it
      // was serialized later) and made it durable before this write could land; typically its
      // claim of the temp file made this rename fail with ENOENT. The callers' state is on
      // disk, so they resolve — if this write's events are durable too; otherwise they are
      // given back below and the save rejects.
      if (
        err === SUPERSEDED ||
        (state.inPlaceGeneration > generation && (events.length === 0 || journalDurable))
      ) {
        return;
      }
      state.identity = null;
      if (!journalDurable) {
        for (const [summary, ownEvents] of taken) {
          if (ownEvents.length > 0) summary.restoreEvents(ownEvents);
        }
      }
      if (errnoCode((err as { cause?: unknown }).cause) === 'ENOENT') {
        this.#readyDirs.delete(paths.dir);
      }
      logger.debug({ path: paths.summary, code: errnoCode(err) }, 'save failed');
      throw err;
    }
  }

  /**
   * Called by `saveSync` just before its rename: makes sure the async write in flight, which
   * serialized an older state, cannot rename over the one `saveSync` is about to put in place.
   * Its "superseded?" check in `beforeRename` is not atomic with its rename: once it passed,
   * the rename may sit queued in the thread pool while `saveSync` runs, and land after it.
   * So `saveSync` unlinks that write's temp file (its path is in `state.renaming` from just
   * before the check). The windows:
   * - the async write has not reached the check yet: the check sees the newer generation
   *   (`saveSync` is synchronous, so it finished before the check runs) and gives up;
   * - the check passed and the rename has not executed: the unlink wins, the rename fails
   *   with ENOENT, and `#write` treats a failure after a newer durable write as superseded;
   * - the rename executed already (ENOENT here): `saveSync`'s own rename comes after it and
   *   lands the newer state; the async write's continuation sees a newer `inPlaceGeneration`
   *   and leaves it and the identity alone.
   * If `saveSync` then fails before its state is durable, `inPlaceGeneration` did not move,
   * so the async write reports its ENOENT as an `E_IO` (its events given back), as for any
   * failed rename: the previous version is intact.
   */
  #claimRenaming(state: FileState): void {
    const renaming = state.renaming;
    if (renaming === null) return;
    claimTempFileSync(renaming.tempPath);
    if (renaming.copyLink !== undefined) claimTempFileSync(renaming.copyLink);
  }

  /** The file's bytes, refused over `maxFileBytes`. */
  #serialize(summary: ProcessSummary, path: string): Buffer {
    const data = summaryBytes(summary);
    if (data.length > this.#ctx.maxFileBytes) {
      throw storeError(
        'E_TOO_LARGE',
        `the summary for ${path} would be ${data.length} bytes, over maxFileBytes (${this.#ctx.maxFileBytes}); it was not written. Custom metrics are the usual cause.`,
      );
    }
    return data;
  }

  /**
   * Creates the run directory durably if needed, then removes temp files of dead writers.
   * Once per directory per store; again after a save found the directory gone.
   */
  async #prepareDirectory(dir: string): Promise<void> {
    if (this.#readyDirs.has(dir)) return;
    await makeDirectoryDurably(this.#ctx.fs, dir);
    await removeDeadWritersTempFiles(this.#ctx.fs, dir, summaryTempFileOwner, this.#ctx.logger);
    this.#readyDirs.add(dir);
  }
}

function createPendingWrite(fence: WriteFence): PendingWrite {
  let resolvePromise: () => void = () => {};
  let rejectPromise: (err: unknown) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolvePromise = res;
    rejectPromise = rej;
  });
  return { summaries: [], fence, promise, resolve: resolvePromise, reject: rejectPromise };
}
