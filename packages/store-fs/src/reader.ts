/**
 * The reader side of the file store, changing nothing: `read` (one summary as stored, the
 * highest lease epoch taken) and `events` (the journal from a cursor). `list` is in
 * `listing.ts`, `watch` in `watch.ts`.
 *
 * With the real file system the reads are synchronous `node:fs` calls: a summary is small,
 * and a listing of 10,000 of them spends its time in thread-pool round trips otherwise (see
 * `inspectSummaryFileSync`). Through another `fs` seam (tests) they go through the seam.
 */
import * as nodeFs from 'node:fs';
import {
  type EventsOptions,
  type JournalRecord,
  listingOf,
  type ReadOptions,
  type ReadResult,
  type SummaryProblem,
  type SummaryRef,
} from '@process-summary/core';
import {
  type DirectoryIndex,
  DirectoryIndexes,
  filesOf,
  type IndexedCandidate,
  type IndexedSummary,
  leadsOutOfRoot,
  OutsideRootError,
  summaryKey,
} from './dir-index.js';
import { storeError } from './errors.js';
import { type DirEntryLike, errnoCode, type FileSystem, nodeFileSystem } from './fs-seam.js';
import {
  inspectListedFields,
  inspectListedFieldsSync,
  inspectSummaryFile,
  inspectSummaryFileSync,
  type SummaryFileProblem,
  type SummaryInspection,
} from './inspect.js';
import { readJournal } from './journal.js';
import type { NormalizedRef, ReadPaths, SummaryPaths } from './layout.js';

/** What the reader needs of its store. */
export interface ReaderContext {
  root: string;
  fs: FileSystem;
  maxFileBytes: number;
}

/** Lists a directory with file types: synchronously on the real file system. */
export async function readDirectory(ctx: ReaderContext, dir: string): Promise<DirEntryLike[]> {
  if (ctx.fs === nodeFileSystem) return nodeFs.readdirSync(dir, { withFileTypes: true });
  return ctx.fs.readdir(dir);
}

/** The ref as a reader returns it: no `worker` key for a process run as one. */
export function publicRef(ref: NormalizedRef): SummaryRef {
  return ref.worker === null
    ? { runName: ref.runName, processName: ref.processName }
    : { runName: ref.runName, processName: ref.processName, worker: ref.worker };
}

const indexes = new WeakMap<ReaderContext, DirectoryIndexes>();

/** The directory indexes of a store (made on first use, kept as long as the store). */
export function indexesOf(ctx: ReaderContext): DirectoryIndexes {
  let found = indexes.get(ctx);
  if (found === undefined) {
    found = new DirectoryIndexes(ctx.fs, ctx.root);
    indexes.set(ctx, found);
  }
  return found;
}

/**
 * See `SummaryStore.read`. The run directory's index (one stat, a readdir when it changed)
 * finds the summary, its epoch copies and its history; then each candidate is opened once
 * (open, fstat, read, close). On the real file system every call is synchronous, with no
 * await in between: a listing reads thousands of small files.
 */
export async function readSummary(
  ctx: ReaderContext,
  paths: SummaryPaths,
  options: ReadOptions = {},
): Promise<ReadResult | null> {
  const how: ReadHow = (options.full ?? true) ? 'full' : 'light';
  if (ctx.fs === nodeFileSystem) return readSummarySync(ctx, paths, how);
  return readSummaryThroughSeam(ctx, paths, how);
}

/**
 * How a summary is read: validated in full, with the light check (`full: false`), or for a
 * listing (the light check of the listed fields alone, the dict cut to them).
 */
type ReadHow = 'full' | 'light' | 'listing';

/** {@link readSummary} with synchronous `node:fs` calls. */
function readSummarySync(ctx: ReaderContext, paths: ReadPaths, how: ReadHow): ReadResult | null {
  let index: DirectoryIndex | null;
  try {
    index = indexesOf(ctx).getSync(paths.dir);
  } catch (err) {
    return unlistable(paths, err);
  }
  return readIndexed(ctx, paths, index, how);
}

/** A summary read with its directory's index already in hand (the real file system). */
function readIndexed(
  ctx: ReaderContext,
  paths: ReadPaths,
  index: DirectoryIndex | null,
  how: ReadHow,
): ReadResult | null {
  const files = indexedFiles(index, paths);
  if (files === undefined) return null;
  const options = {
    maxFileBytes: ctx.maxFileBytes,
    fullValidation: how === 'full',
    followSymlinks: false,
  };
  // Indexed loops rather than map and entries() on this path and the ones it calls: a listing
  // runs it 10,000 times, mostly before V8 has optimized it, and the interpreter pays for each
  // closure and iterator.
  const { candidates } = files;
  const inspections: SummaryInspection[] = [];
  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[i] as IndexedCandidate;
    const path = candidatePath(paths, candidate);
    inspections.push(
      candidate.symlink
        ? symlinkProblem(path)
        : how === 'listing'
          ? inspectListedFieldsSync(path, options)
          : inspectSummaryFileSync(path, options),
    );
  }
  return chooseCandidate(paths, files, inspections, how === 'listing');
}

async function readSummaryThroughSeam(
  ctx: ReaderContext,
  paths: ReadPaths,
  how: ReadHow,
): Promise<ReadResult | null> {
  let index: DirectoryIndex | null;
  try {
    index = await indexesOf(ctx).get(paths.dir);
  } catch (err) {
    return unlistable(paths, err);
  }
  const files = indexedFiles(index, paths);
  if (files === undefined) return null;
  const inspections: SummaryInspection[] = [];
  const options = { maxFileBytes: ctx.maxFileBytes, fs: ctx.fs, followSymlinks: false };
  for (const candidate of files.candidates) {
    const path = candidatePath(paths, candidate);
    inspections.push(
      candidate.symlink
        ? symlinkProblem(path)
        : how === 'listing'
          ? await inspectListedFields(path, options)
          : await inspectSummaryFile(path, { ...options, fullValidation: how === 'full' }),
    );
  }
  return chooseCandidate(paths, files, inspections, how === 'listing');
}

/**
 * See `SummaryStore.readListing`: a light read of each summary (`full: false`), its dict cut to
 * the listing's fields as soon as it is parsed, so a batch keeps a few hundred bytes of each.
 *
 * On the real file system each run directory's index is looked at once before the batch and
 * once after it, instead of once per summary (a stat each: a tenth of a 10,000-summary
 * listing's system calls). A trusted index is handed out again only while its directory is
 * unchanged, so getting the same index back afterwards proves that no file came, went or was
 * renamed in the directory while its summaries were read: each read saw what a `read` of its
 * own would have seen. A directory that changed meanwhile, or changed too recently to be
 * trusted (a live run saving), has its summaries read again one by one, as `read` does.
 */
export async function readListings(
  ctx: ReaderContext,
  pathsList: readonly ReadPaths[],
): Promise<(ReadResult | null)[]> {
  if (ctx.fs !== nodeFileSystem) {
    const reads: (ReadResult | null)[] = [];
    for (const paths of pathsList) {
      reads.push(await readSummaryThroughSeam(ctx, paths, 'listing'));
    }
    return reads;
  }
  const results = new Array<ReadResult | null>(pathsList.length).fill(null);
  const byDir = new Map<string, { at: number[]; index: DirectoryIndex | null | undefined }>();
  for (let i = 0; i < pathsList.length; i++) {
    const { dir } = pathsList[i] as ReadPaths;
    const group = byDir.get(dir);
    if (group === undefined) byDir.set(dir, { at: [i], index: undefined });
    else group.at.push(i);
  }
  const indexes = indexesOf(ctx);
  const oneByOne: number[] = [];
  for (const [dir, group] of byDir) {
    let index: DirectoryIndex | null;
    try {
      index = indexes.getSync(dir);
    } catch (err) {
      for (const i of group.at) results[i] = unlistable(pathsList[i] as ReadPaths, err);
      continue;
    }
    if (index !== null && !index.trusted) {
      oneByOne.push(...group.at);
      continue;
    }
    group.index = index;
    const { at } = group;
    for (let k = 0; k < at.length; k++) {
      const i = at[k] as number;
      results[i] = readIndexed(ctx, pathsList[i] as ReadPaths, index, 'listing');
    }
  }
  for (const [dir, group] of byDir) {
    if (group.index === undefined) continue;
    let after: DirectoryIndex | null | undefined;
    try {
      after = indexes.getSync(dir);
    } catch {
      after = undefined;
    }
    if (after !== group.index) oneByOne.push(...group.at);
  }
  for (const i of oneByOne) {
    results[i] = readSummarySync(ctx, pathsList[i] as ReadPaths, 'listing');
  }
  return results;
}

function indexedFiles(index: DirectoryIndex | null, paths: ReadPaths): IndexedSummary | undefined {
  return index?.summaries.get(summaryKey(paths.ref.processName, paths.ref.worker));
}

function candidatePath(paths: ReadPaths, candidate: IndexedCandidate): string {
  return candidate.nameEpoch === null ? paths.summary : `${paths.dir}/${candidate.name}`;
}

/** A symbolic link is never followed: it could lead out of the root, or to a FIFO. */
function symlinkProblem(path: string): SummaryFileProblem {
  const reason = 'is a symbolic link (not followed)';
  return {
    ok: false,
    path,
    code: 'E_UNREADABLE',
    reason,
    message: `${path}: ${reason}`,
    issues: [],
  };
}

function unlistable(paths: ReadPaths, err: unknown): ReadResult {
  const reason =
    err instanceof OutsideRootError
      ? 'is a symbolic link leading out of the root; not followed'
      : `cannot be listed (${errnoCode(err) ?? String(err)})`;
  return {
    ...emptyResult(publicRef(paths.ref), paths.summary, false),
    problem: toProblem({
      ok: false,
      path: paths.dir,
      code: 'E_UNREADABLE',
      reason,
      message: `${paths.dir}: ${reason}`,
      issues: [],
    }),
  };
}

/** The result from the candidates' inspections: the usable one with the highest epoch. */
function chooseCandidate(
  paths: ReadPaths,
  files: IndexedSummary,
  inspections: SummaryInspection[],
  listing: boolean,
): ReadResult {
  const ref = publicRef(paths.ref);
  const { hasHistory } = files;
  if (files.candidates.length === 0) {
    const reason =
      'does not exist, but its history does (a journal, backup or quarantined copy): repair can rebuild it';
    return {
      ...emptyResult(ref, paths.summary, true),
      problem: toProblem({
        ok: false,
        path: paths.summary,
        code: 'E_NOT_FOUND',
        reason,
        message: `${paths.summary}: ${reason}`,
        issues: [],
      }),
    };
  }
  let best: { inspection: SummaryInspection & { ok: true }; epoch: number | null } | null = null;
  let firstProblem: SummaryFileProblem | null = null;
  for (let i = 0; i < files.candidates.length; i++) {
    const candidate = files.candidates[i] as IndexedCandidate;
    const inspection = inspections[i] as SummaryInspection;
    if (!inspection.ok) {
      // The summary's own problem is the one to report when no candidate is usable.
      if (firstProblem === null || candidate.nameEpoch === null) firstProblem = inspection;
      continue;
    }
    const stamped = inspection.dict.owner_epoch;
    const epoch =
      typeof stamped === 'number' && Number.isSafeInteger(stamped) && stamped >= 0
        ? stamped
        : candidate.nameEpoch;
    if (best === null || isNewer(epoch, inspection.mtimeSeconds, best)) {
      best = { inspection, epoch };
    }
  }
  if (best === null) {
    const problem = firstProblem as SummaryFileProblem;
    return { ...emptyResult(ref, problem.path, hasHistory), problem: toProblem(problem) };
  }
  const { inspection, epoch } = best;
  return {
    ref,
    location: inspection.path,
    dict: listing ? (listingOf(inspection.dict) as ReadResult['dict']) : inspection.dict,
    problem: null,
    seedFormat: inspection.seedFormat,
    writtenAt: inspection.mtimeSeconds,
    epoch,
    hasHistory,
    sizeBytes: inspection.sizeBytes,
  };
}

/**
 * Whether a candidate beats the best so far: the higher epoch (an unfenced write counts as
 * lowest), so an old owner's late write never wins over its successor's; between writes of one
 * epoch, the later one.
 */
function isNewer(
  epoch: number | null,
  mtimeSeconds: number,
  best: { inspection: { mtimeSeconds: number }; epoch: number | null },
): boolean {
  const a = epoch ?? -1;
  const b = best.epoch ?? -1;
  return a !== b ? a > b : mtimeSeconds > best.inspection.mtimeSeconds;
}

function emptyResult(ref: SummaryRef, location: string, hasHistory: boolean): ReadResult {
  return {
    ref,
    location,
    dict: null,
    problem: null,
    seedFormat: false,
    writtenAt: null,
    epoch: null,
    hasHistory,
    sizeBytes: null,
  };
}

function toProblem(problem: SummaryFileProblem): SummaryProblem {
  return {
    code: problem.code,
    reason: problem.reason,
    message: problem.message,
    issues: problem.issues.map((issue) => ({ path: issue.path, message: issue.message })),
  };
}

/** `<byte offset>:<line number>` of the next line: where a stream resumes. */
const CURSOR = /^(0|[1-9][0-9]{0,15}):([1-9][0-9]{0,15})$/;

function parseCursor(cursor: string | undefined): { offset: number; line: number } {
  if (cursor === undefined) return { offset: 0, line: 1 };
  const match = typeof cursor === 'string' ? CURSOR.exec(cursor) : null;
  if (match === null) {
    throw storeError(
      'E_INVALID_ARGUMENT',
      `events: the cursor ${JSON.stringify(cursor)} is not one this store gave (<offset>:<line>)`,
    );
  }
  return { offset: Number(match[1]), line: Number(match[2]) };
}

/**
 * See `SummaryStore.events`: the journal from a cursor, as records. A corrupt line is a record
 * with a `problem` (never skipped silently); a torn last line (an append in progress, or cut
 * short by a crash) ends the stream before it, so a later call resumes there. Throws
 * `E_INVALID_ARGUMENT` for a cursor this store did not give, `E_INVALID_OFFSET` when the
 * journal was truncated or replaced since.
 */
export async function* journalRecords(
  ctx: ReaderContext,
  paths: SummaryPaths,
  options: EventsOptions = {},
): AsyncGenerator<JournalRecord, void, undefined> {
  const { offset, line } = parseCursor(options.after);
  const signal = options.signal;
  if (signal?.aborted) return;
  // Like list and read: a run directory linked out of the root is not read through.
  if (leadsOutOfRoot(ctx.root, paths.dir)) {
    throw storeError('E_IO', new OutsideRootError(paths.dir).message);
  }
  for await (const entry of readJournal(ctx.fs, paths.journal, {
    startOffset: offset,
    startLine: line,
  })) {
    if (signal?.aborted) return;
    const cursor = `${entry.nextOffset}:${entry.line + 1}`;
    if (entry.kind === 'event') {
      yield { cursor, event: entry.event, problem: null };
    } else if (entry.kind === 'corrupt') {
      yield { cursor, event: null, problem: { message: entry.error.message, line: entry.text } };
    }
  }
}

/** A file set aside beside a summary: quarantined (damaged) or archived (a fresh start). */
export interface SetAsideFile {
  path: string;
  kind: 'quarantined' | 'archived';
  /** Its size, or null when it could not be looked at. */
  sizeBytes: number | null;
}

/**
 * The quarantined and archived copies of a summary (and of its backup, journal and epoch
 * copies), sorted by name: what `repair` shows a person. Changes nothing.
 */
export async function setAsideFiles(
  ctx: ReaderContext,
  paths: SummaryPaths,
): Promise<SetAsideFile[]> {
  const files = await filesOf(ctx.fs, paths);
  const found: SetAsideFile[] = [];
  for (const kind of ['quarantined', 'archived'] as const) {
    for (const path of files.get(kind) ?? []) {
      let sizeBytes: number | null = null;
      try {
        sizeBytes = (await ctx.fs.stat(path)).size;
      } catch {}
      found.push({ path, kind, sizeBytes });
    }
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A file of a summary that is not a regular file where one belongs (see {@link oddFilesOf}). */
export interface OddFile {
  path: string;
  /** Which of the summary's files belongs there. */
  role: 'journal' | 'backup' | 'owner record';
  kind: 'FIFO' | 'socket' | 'directory' | 'symbolic link' | 'device' | 'special file';
}

/**
 * The summary's journal, backup and owner record paths that hold something other than a
 * regular file: looked at with `lstat` only (a link is never followed, a FIFO never opened),
 * so a reader can say so at once. The summary itself is not among them: `read` reports it.
 * Changes nothing.
 */
export async function oddFilesOf(root: string, paths: SummaryPaths): Promise<OddFile[]> {
  // A run directory linked out of the root is refused by list and read: nothing under it is
  // looked at.
  if (leadsOutOfRoot(root, paths.dir)) return [];
  const slots = [
    [paths.journal, 'journal'],
    [paths.backup, 'backup'],
    [paths.owner, 'owner record'],
  ] as const;
  const found: OddFile[] = [];
  for (const [path, role] of slots) {
    let stats: nodeFs.Stats;
    try {
      stats = await nodeFs.promises.lstat(path);
    } catch {
      continue; // absent (or its directory is): nothing odd to report
    }
    if (stats.isFile()) continue;
    found.push({ path, role, kind: kindOf(stats) });
  }
  return found;
}

function kindOf(stats: nodeFs.Stats): OddFile['kind'] {
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isSocket()) return 'socket';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symbolic link';
  if (stats.isBlockDevice() || stats.isCharacterDevice()) return 'device';
  return 'special file';
}
