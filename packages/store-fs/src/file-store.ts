import { dirname, join, resolve } from 'node:path';
import {
  assertValidName,
  type FromDictOptions,
  type LoadResult,
  type ProcessSummary,
  ProcessSummaryError,
  type StoreWarning,
  type SummaryEvent,
  type SummaryRef,
  type SummaryStore,
} from '@process-summary/core';
import {
  type FileIdentity,
  identityOf,
  removeDeadWritersTempFiles,
  removeQuietly,
  sameIdentity,
  summaryTempFileOwner,
  syncDirectory,
  tempPathFor,
  writeFileDurably,
} from './atomic-write.js';
import { ioError, type StoreWarningCode, storeError } from './errors.js';
import { errnoCode, type FileSystem, nodeFileSystem } from './fs-seam.js';
import { DEFAULT_MAX_FILE_BYTES } from './inspect.js';
import {
  isValidJournalLine,
  type JournalEntry,
  JournalWriter,
  journalLines,
  type ReadJournalOptions,
  readJournal,
} from './journal.js';
import { defaultLogger, type Logger } from './logger.js';
import {
  quarantineFile,
  quarantineStamp,
  readSummaryFile,
  type SummaryRead,
} from './quarantine.js';
import {
  appendJournalSync,
  claimTempFileSync,
  keepPreviousVersionSync,
  prepareDirectorySync,
  repairTornTailSync,
  writeFileDurablySync,
} from './sync-write.js';

export { DEFAULT_MAX_FILE_BYTES };

/** Options of `new FileSummaryStore(…)`; every one optional. */
export interface FileSummaryStoreOptions {
  /** The directory holding one directory per run. Default `runs` (relative to the working directory). */
  root?: string;
  /** Where warnings (a quarantined file, a dropped torn journal line) and debug lines go. Default: stderr for warnings and errors. */
  logger?: Logger;
  /** The file-system calls, for fault-injection tests. Default: `node:fs/promises`. */
  fs?: FileSystem;
  /**
   * A summary file larger than this is not read (it is quarantined as oversized), and a save
   * that would write one is refused with `E_TOO_LARGE`. Default 64 MiB.
   */
  maxFileBytes?: number;
  /** Options (clock, limits, threshold) given to every loaded summary unless `load` is given its own. */
  summaryOptions?: FromDictOptions;
}

/** The files of one (run, process). */
interface SummaryPaths {
  runName: string;
  processName: string;
  dir: string;
  summary: string;
  backup: string;
  journal: string;
}

/** Saves waiting for the write in flight: the next write serializes the latest state of each. */
interface PendingWrite {
  summaries: ProcessSummary[];
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface FileState {
  paths: SummaryPaths;
  /** Settles (never rejects) when the write in flight and the ones it chains to are done. */
  inFlight: Promise<void> | null;
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
  renaming: { tempPath: string; generation: number } | null;
}

// link(2) errors meaning "no hard links here" (FAT, some network and FUSE file systems).
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK', 'ENOSYS']);
const PATH_CACHE_SIZE = 10_000;
const SUMMARY_FILE = /^process_summary_(.+)\.json$/;
/** Thrown inside a write overtaken by a newer synchronous one: not an error for the caller. */
const SUPERSEDED = new ProcessSummaryError('E_SUPERSEDED', 'superseded by a newer write');

/**
 * A {@link SummaryStore} on the local file system:
 * `{root}/{run}/process_summary_{process}.json`, with the previous good version beside it
 * (`….json.bak`) and the append-only event journal (`….events.jsonl`).
 *
 * Saves are atomic and durable (temp file, fsync, rename, directory fsync) and coalesce:
 * any number of concurrent `save` calls for one summary make at most one write in flight and
 * one pending. A corrupt file is moved aside (`….corrupt-<timestamp>`) and the backup used.
 * One store should own a (run, process) at a time: the recovery package's lease ensures it.
 */
export class FileSummaryStore implements SummaryStore {
  readonly #root: string;
  readonly #fs: FileSystem;
  readonly #logger: Logger;
  readonly #maxFileBytes: number;
  readonly #summaryOptions: FromDictOptions | undefined;
  readonly #journal: JournalWriter;
  readonly #files = new Map<string, FileState>();
  readonly #pathCache = new Map<string, SummaryPaths>();
  /** Directories this store created or found, and cleaned of dead writers' temp files. */
  readonly #readyDirs = new Set<string>();

  constructor(options: FileSummaryStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw storeError('E_INVALID_ARGUMENT', 'FileSummaryStore options must be an object');
    }
    const root = options.root ?? 'runs';
    if (typeof root !== 'string' || root.length === 0 || root.includes('\0')) {
      throw storeError('E_INVALID_ARGUMENT', 'root must be a non-empty path without NUL');
    }
    const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    if (!Number.isSafeInteger(maxFileBytes) || maxFileBytes <= 0) {
      throw storeError(
        'E_INVALID_ARGUMENT',
        `maxFileBytes must be a positive integer, got ${String(maxFileBytes)}`,
      );
    }
    this.#root = root;
    this.#fs = options.fs ?? nodeFileSystem;
    this.#logger = options.logger ?? defaultLogger;
    this.#maxFileBytes = maxFileBytes;
    this.#summaryOptions = options.summaryOptions;
    this.#journal = new JournalWriter(this.#fs, this.#logger);
  }

  /** The root directory, as given. */
  get root(): string {
    return this.#root;
  }

  /**
   * The summary file of (run, process): `{root}/{run}/process_summary_{process}.json`.
   * Throws `E_INVALID_NAME` for a name that could escape the root.
   */
  pathFor(runName: string, processName: string): string {
    return this.#pathsFor(runName, processName).summary;
  }

  /** The previous good version kept beside the summary: `….json.bak`. */
  backupPathFor(runName: string, processName: string): string {
    return this.#pathsFor(runName, processName).backup;
  }

  /** The event journal of (run, process): `{root}/{run}/process_summary_{process}.events.jsonl`. */
  journalPathFor(runName: string, processName: string): string {
    return this.#pathsFor(runName, processName).journal;
  }

  /**
   * The summary of (run, process) with what was noticed on the way, or `null` when there is
   * none. A corrupt, empty, NUL-filled, truncated, schema-invalid or oversized file is moved
   * aside as `….corrupt-<timestamp>` and the backup is restored in its place (warnings
   * `W_QUARANTINED`, `W_RESTORED_FROM_BACKUP`, also logged). Throws `E_CORRUPT` when no good
   * version is left (the bad ones were moved aside, not deleted), `E_NAME_MISMATCH` for a
   * valid file of another run or process, `E_UNSUPPORTED_VERSION` for a file of a newer
   * version (left alone), `E_IO` when the file cannot be read, `E_INVALID_NAME` for a bad name.
   */
  async load(
    runName: string,
    processName: string,
    options: FromDictOptions | undefined = this.#summaryOptions,
  ): Promise<LoadResult | null> {
    const paths = this.#pathsFor(runName, processName);
    const state = this.#stateFor(paths);
    const read = (path: string) =>
      readSummaryFile(this.#fs, path, this.#maxFileBytes, { runName, processName }, options);

    const main = await read(paths.summary);
    if (main.kind === 'ok') {
      state.identity = main.identity;
      return { summary: main.summary, warnings: [] };
    }
    if (main.kind === 'misplaced') {
      throw storeError(
        'E_NAME_MISMATCH',
        `${paths.summary} ${main.reason}. Move it to the path of its run and process, or fix the names inside.`,
      );
    }
    const warnings: StoreWarning[] = [];
    const movedAside: string[] = [];
    if (main.kind === 'bad') {
      // A hard link, not a rename: the path keeps a file until a good version replaces it.
      const quarantined = await quarantineFile(this.#fs, paths.summary, true);
      movedAside.push(quarantined);
      this.#warn(
        warnings,
        'W_QUARANTINED',
        paths.summary,
        `${paths.summary} ${main.reason}; moved aside to ${quarantined}`,
      );
    }
    const backup = await read(paths.backup);
    if (backup.kind === 'ok') {
      // Put the previous good version back in place, so the next load finds it even if this
      // process never saves.
      state.identity = await writeFileDurably(this.#fs, paths.summary, backup.bytes, {
        logger: this.#logger,
      });
      const why = main.kind === 'absent' ? 'was missing' : 'was unusable';
      this.#warn(
        warnings,
        'W_RESTORED_FROM_BACKUP',
        paths.summary,
        `${paths.summary} ${why}; restored the previous good version from ${paths.backup}`,
      );
      return { summary: backup.summary, warnings };
    }
    if (main.kind === 'absent' && backup.kind === 'absent') return null;
    if (backup.kind !== 'absent') {
      const quarantined = await quarantineFile(this.#fs, paths.backup, false);
      movedAside.push(quarantined);
      this.#warn(
        warnings,
        'W_QUARANTINED',
        paths.backup,
        `${paths.backup} ${backup.reason}; moved aside to ${quarantined}`,
      );
    }
    if (main.kind === 'bad') {
      // Its bytes live on under the quarantine name.
      await this.#fs.unlink(paths.summary).catch((err: unknown) => {
        if (errnoCode(err) !== 'ENOENT') throw ioError('removing', paths.summary, err);
      });
    }
    await syncDirectory(this.#fs, paths.dir).catch(() => {});
    const what =
      main.kind === 'bad'
        ? `${paths.summary} ${main.reason}, and ${describeBackup(backup)}`
        : `${paths.summary} is missing and ${describeBackup(backup)}`;
    throw storeError(
      'E_CORRUPT',
      `${what}. Nothing was deleted: moved aside to ${movedAside.join(', ')}. Inspect or repair one and move it back, or leave them and start a new summary.`,
    );
  }

  /**
   * Writes the summary's current state atomically and durably, after appending its pending
   * journal events (durable too). Concurrent calls coalesce: at most one write in flight and
   * one pending per summary file; each promise resolves after a write that holds the state
   * at its call. Rejects with `E_IO` (errno error as `cause`; the previous version intact,
   * the events given back to the summary), `E_TOO_LARGE`, or `E_INVALID_NAME`.
   */
  save(summary: ProcessSummary): Promise<void> {
    let state: FileState;
    try {
      if (!isSummaryLike(summary)) {
        throw storeError('E_INVALID_ARGUMENT', 'save expects a ProcessSummary');
      }
      state = this.#stateFor(this.#pathsFor(summary.runName, summary.processName));
    } catch (err) {
      return Promise.reject(err);
    }
    if (state.inFlight === null) return this.#startWrite(state, [summary]);
    let pending = state.pending;
    if (pending === null) {
      pending = createPendingWrite();
      state.pending = pending;
    }
    // The last summary object saved is the one serialized; every one gives its events.
    const at = pending.summaries.indexOf(summary);
    if (at !== -1) pending.summaries.splice(at, 1);
    pending.summaries.push(summary);
    return pending.promise;
  }

  /**
   * Saves synchronously, with the same protocol and guarantees as {@link save} (journal
   * append, temp file, fsync, rename, directory fsync), for `exit` handlers and signal
   * handlers, where an asynchronous save would never finish. Blocks the event loop for a few
   * milliseconds: use {@link save} everywhere else. A save in flight that serialized an older
   * state does not rename over this one. Uses `node:fs` directly, not the `fs` option.
   * Throws `E_IO` (the events given back), `E_TOO_LARGE`, `E_INVALID_NAME`.
   */
  saveSync(summary: ProcessSummary): void {
    if (!isSummaryLike(summary)) {
      throw storeError('E_INVALID_ARGUMENT', 'saveSync expects a ProcessSummary');
    }
    const state = this.#stateFor(this.#pathsFor(summary.runName, summary.processName));
    const { paths } = state;
    const data = this.#serialize(summary, paths.summary);
    const events = summary.takeEvents();
    state.generation += 1;
    const generation = state.generation;
    let journalDurable = events.length === 0;
    try {
      try {
        prepareDirectorySync(paths.dir);
      } catch (err) {
        throw ioError('creating the directory', paths.dir, err);
      }
      if (!journalDurable) {
        // An async append in progress must not cut these lines back if it fails, and these
        // must not be cut back if they fail (see journal.ts).
        const asyncAppendInProgress = this.#journal.noteSyncAppend(paths.journal);
        if (!this.#journal.isChecked(paths.journal)) {
          repairTornTailSync(paths.journal, this.#logger, isValidJournalLine);
          this.#journal.markChecked(paths.journal);
        }
        appendJournalSync(paths.journal, journalLines(events), !asyncAppendInProgress);
        journalDurable = true;
      }
      const identity = writeFileDurablySync(paths.summary, data, () => {
        keepPreviousVersionSync(paths.summary, paths.backup, state.identity, this.#logger);
        this.#claimRenaming(state);
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

  /**
   * Moves the summary of (run, process) and its journal aside as `….archived-<timestamp>`
   * (for a fresh start of a run that exists) and deletes its backup, so nothing of the old
   * run is mistaken for the new one. Resolves the archived summary path, or `null` when there
   * was no summary.
   */
  async archive(runName: string, processName: string): Promise<string | null> {
    const paths = this.#pathsFor(runName, processName);
    const state = this.#files.get(paths.summary);
    while (state?.inFlight) await state.inFlight;
    const stamp = quarantineStamp();
    let archived: string | null = null;
    let changed = false;
    try {
      await this.#fs.unlink(paths.backup);
      changed = true;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw ioError('removing', paths.backup, err);
    }
    for (const path of [paths.journal, paths.summary]) {
      const target = `${path}.archived-${stamp}`;
      try {
        await this.#fs.rename(path, target);
        changed = true;
        if (path === paths.summary) archived = target;
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw ioError('archiving', path, err);
      }
    }
    this.#files.delete(paths.summary);
    this.#journal.forget(paths.journal);
    if (changed) {
      await syncDirectory(this.#fs, paths.dir).catch((err: unknown) => {
        throw ioError('fsync of the directory', paths.dir, err);
      });
    }
    return archived;
  }

  /**
   * Removes the summary of (run, process), its backup and its journal, after any save in
   * flight for it; quarantined `….corrupt-*` files are left for a person to look at. Resolves
   * `true` if there was a summary.
   */
  async remove(runName: string, processName: string): Promise<boolean> {
    const paths = this.#pathsFor(runName, processName);
    const state = this.#files.get(paths.summary);
    while (state?.inFlight) await state.inFlight;
    let existed = true;
    let removedAny = false;
    // The summary last: an interrupted remove leaves it, and can simply be repeated.
    for (const path of [paths.backup, paths.journal, paths.summary]) {
      try {
        await this.#fs.unlink(path);
        removedAny = true;
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw ioError('removing', path, err);
        if (path === paths.summary) existed = false;
      }
    }
    this.#files.delete(paths.summary);
    this.#journal.forget(paths.journal);
    if (removedAny) {
      await syncDirectory(this.#fs, paths.dir).catch((err: unknown) => {
        throw ioError('fsync of the directory', paths.dir, err);
      });
    }
    return existed;
  }

  /**
   * Every (run, process) with a summary file under the root, sorted by run then process.
   * Backups, quarantined files, journals, temp files and names that are not valid run or
   * process names are skipped.
   */
  async list(): Promise<SummaryRef[]> {
    const refs: SummaryRef[] = [];
    for (const run of await this.#readdir(this.#root)) {
      if (!run.isDirectory() || !isValidName('run', run.name)) continue;
      for (const file of await this.#readdir(join(this.#root, run.name))) {
        const match = SUMMARY_FILE.exec(file.name);
        const processName = match?.[1];
        if (!file.isFile() || processName === undefined) continue;
        if (!isValidName('process', processName)) continue;
        refs.push({ runName: run.name, processName });
      }
    }
    return refs.sort(
      (a, b) => compare(a.runName, b.runName) || compare(a.processName, b.processName),
    );
  }

  /**
   * Streams the journal of (run, process), oldest line first, in constant memory: each well
   * formed line as `{ kind: 'event', line, offset, nextOffset, event }`, a corrupt line as
   * `{ kind: 'corrupt', …, error }` (`error.code` `E_CORRUPT_EVENT`), a torn last line left by
   * a crash (or an append in progress) as `{ kind: 'torn', … }`. `options.startOffset` (an
   * entry's `nextOffset`) resumes where an earlier read stopped. An absent journal yields
   * nothing.
   */
  events(
    runName: string,
    processName: string,
    options?: ReadJournalOptions,
  ): AsyncGenerator<JournalEntry, void, undefined> {
    return readJournal(this.#fs, this.#pathsFor(runName, processName).journal, options);
  }

  // ---------------------------------------------------------------- internals

  #pathsFor(runName: string, processName: string): SummaryPaths {
    // Cached: a pipeline saving thousands of times must not re-validate and re-join each time.
    // NUL cannot be in a valid name, so the key is unambiguous; only validated names get in.
    const key =
      typeof runName === 'string' && typeof processName === 'string'
        ? `${runName}\0${processName}`
        : undefined;
    const cached = key === undefined ? undefined : this.#pathCache.get(key);
    if (cached !== undefined) return cached;
    assertValidName('run', runName);
    assertValidName('process', processName);
    const dir = join(this.#root, runName);
    const summary = join(dir, `process_summary_${processName}.json`);
    const paths = {
      runName,
      processName,
      dir,
      summary,
      backup: `${summary}.bak`,
      journal: join(dir, `process_summary_${processName}.events.jsonl`),
    };
    if (this.#pathCache.size >= PATH_CACHE_SIZE) this.#pathCache.clear();
    this.#pathCache.set(key as string, paths);
    return paths;
  }

  #stateFor(paths: SummaryPaths): FileState {
    let state = this.#files.get(paths.summary);
    if (state === undefined) {
      state = {
        paths,
        inFlight: null,
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
  #startWrite(state: FileState, summaries: ProcessSummary[]): Promise<void> {
    const write = this.#write(state, summaries);
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
    this.#startWrite(state, next.summaries).then(next.resolve, next.reject);
  }

  /**
   * One physical write. Everything before the first `await` runs at the call: the state is
   * serialized and the events are taken when the write starts, so it holds every state asked
   * for until then.
   */
  async #write(state: FileState, summaries: ProcessSummary[]): Promise<void> {
    const { paths } = state;
    const latest = summaries[summaries.length - 1] as ProcessSummary;
    const data = this.#serialize(latest, paths.summary);
    const taken: [ProcessSummary, SummaryEvent[]][] = summaries.map((s) => [s, s.takeEvents()]);
    const events = taken.length === 1 ? (taken[0]?.[1] ?? []) : taken.flatMap(([, e]) => e);
    state.generation += 1;
    const generation = state.generation;
    let journalDurable = false;
    try {
      await this.#prepareDirectory(paths.dir);
      // The journal append runs beside the temp file's write and fsync (one journal commit
      // can serve both); the rename waits for it, so the journal is never behind the file.
      const journalWrite =
        events.length === 0
          ? null
          : this.#journal.append(paths.journal, journalLines(events)).then(() => {
              journalDurable = true;
            });
      journalWrite?.catch(() => {});
      // The backup link runs beside them too: the file it links cannot change before this
      // write renames (writes of one file are sequential), and it never rejects.
      const backupStep = this.#keepPreviousVersion(state);
      try {
        const identity = await writeFileDurably(this.#fs, paths.summary, data, {
          logger: this.#logger,
          beforeRename: async (tempPath) => {
            // From here on a saveSync claims this temp file (see #claimRenaming).
            state.renaming = { tempPath, generation };
            if (journalWrite !== null) await journalWrite;
            await backupStep;
            // A saveSync (signal handler) wrote a newer state meanwhile: keep it.
            if (state.inPlaceGeneration > generation) throw SUPERSEDED;
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
      this.#logger.debug({ path: paths.summary, code: errnoCode(err) }, 'save failed');
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
  }

  /** The file's bytes: the summary dictionary as indented JSON (like the seed's files). */
  #serialize(summary: ProcessSummary, path: string): Buffer {
    const data = Buffer.from(`${JSON.stringify(summary.getSummaryDict(), null, 2)}\n`, 'utf8');
    if (data.length > this.#maxFileBytes) {
      throw storeError(
        'E_TOO_LARGE',
        `the summary for ${path} would be ${data.length} bytes, over maxFileBytes (${this.#maxFileBytes}); it was not written. Custom metrics are the usual cause.`,
      );
    }
    return data;
  }

  /**
   * Creates the run directory if needed and makes each new directory entry durable (fsync
   * of the parent of every directory created), then removes temp files of dead writers.
   * Once per directory per store; again after a save found the directory gone.
   */
  async #prepareDirectory(dir: string): Promise<void> {
    if (this.#readyDirs.has(dir)) return;
    let created: string | undefined;
    try {
      created = await this.#fs.mkdir(dir);
    } catch (err) {
      throw ioError('creating the directory', dir, err);
    }
    if (created !== undefined) {
      const firstCreated = resolve(created);
      let current = resolve(dir);
      for (;;) {
        const parent = dirname(current);
        try {
          await syncDirectory(this.#fs, parent);
        } catch (err) {
          throw ioError('fsync of the directory', parent, err);
        }
        if (current === firstCreated || parent === current) break;
        current = parent;
      }
    }
    await removeDeadWritersTempFiles(this.#fs, dir, summaryTempFileOwner, this.#logger);
    this.#readyDirs.add(dir);
  }

  /**
   * Makes the current summary file the backup, before the new version replaces it: a
   * hard link (no data copied; the directory fsync after the rename covers it), through a
   * temp name so the old backup is replaced in one rename. Only a known-good version becomes
   * the backup: one changed outside the store is read and validated first. Never fails the
   * save: a backup problem is logged.
   */
  async #keepPreviousVersion(state: FileState): Promise<void> {
    const { paths } = state;
    let current: FileIdentity;
    try {
      current = identityOf(await this.#fs.stat(paths.summary));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') {
        this.#logger.warn(
          { path: paths.summary, errno: errnoCode(err) },
          `could not stat ${paths.summary}; the backup is left as it was`,
        );
      }
      return;
    }
    if (state.identity === null || !sameIdentity(current, state.identity)) {
      let read: SummaryRead;
      try {
        read = await readSummaryFile(
          this.#fs,
          paths.summary,
          this.#maxFileBytes,
          paths,
          this.#summaryOptions,
        );
      } catch (err) {
        read = { kind: 'bad', reason: `could not be checked (${(err as Error).message})` };
      }
      if (read.kind === 'absent') return;
      if (read.kind !== 'ok') {
        this.#logger.warn(
          { path: paths.summary, reason: read.reason },
          `${paths.summary} ${read.reason}; it was changed outside the store, so it is replaced without becoming the backup`,
        );
        return;
      }
    }
    const backupTemp = tempPathFor(paths.summary, '.bak');
    try {
      try {
        await this.#fs.link(paths.summary, backupTemp);
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'ENOENT') return;
        if (code === undefined || !LINK_UNSUPPORTED.has(code)) throw err;
        await this.#fs.copyFile(paths.summary, backupTemp);
      }
      await this.#fs.rename(backupTemp, paths.backup);
      // rename(2) does nothing when both names already link the same file (a backup made just
      // before a crash, before the new version replaced the file): the temp name then stays.
      await this.#fs.unlink(backupTemp).catch(() => {});
    } catch (err) {
      this.#logger.warn(
        { path: paths.backup, errno: errnoCode(err) },
        `could not keep the previous version as ${paths.backup}: ${(err as Error).message}`,
      );
      await removeQuietly(this.#fs, backupTemp, this.#logger);
    }
  }

  async #readdir(dir: string) {
    try {
      return await this.#fs.readdir(dir);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw ioError('listing', dir, err);
    }
  }

  #warn(warnings: StoreWarning[], code: StoreWarningCode, path: string, message: string): void {
    warnings.push({ code, message, path });
    this.#logger.warn({ code, path }, message);
  }
}

function describeBackup(backup: SummaryRead): string {
  if (backup.kind === 'absent') return 'there is no backup';
  if (backup.kind === 'ok') return 'its backup is good';
  return `its backup ${backup.reason}`;
}

function createPendingWrite(): PendingWrite {
  let resolvePromise: () => void = () => {};
  let rejectPromise: (err: unknown) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolvePromise = res;
    rejectPromise = rej;
  });
  return { summaries: [], promise, resolve: resolvePromise, reject: rejectPromise };
}

function isSummaryLike(value: unknown): value is ProcessSummary {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<
    Record<'getSummaryDict' | 'takeEvents' | 'restoreEvents', unknown>
  >;
  return (
    typeof candidate.getSummaryDict === 'function' &&
    typeof candidate.takeEvents === 'function' &&
    typeof candidate.restoreEvents === 'function'
  );
}

function isValidName(kind: 'run' | 'process', name: string): boolean {
  try {
    assertValidName(kind, name);
    return true;
  } catch {
    return false;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
