/**
 * What a run directory holds, by summary: its candidate files (the summary, its epoch copies)
 * and whether it has history, from one readdir. Cached per directory and revalidated by one
 * stat of the directory: a listing of 10,000 summaries then reads each run directory once,
 * and each `read` costs a stat of its directory instead of a readdir.
 *
 * A directory's mtime changes whenever an entry is created, removed or renamed in it (a save
 * renames its temp file in). It is kept with a coarse clock (a few milliseconds), so a change
 * in the same tick as the mtime seen would go unnoticed: as git does with its racily clean
 * index, a listing is trusted only when it was taken well after the mtime it carries.
 *
 * A run directory that is a symbolic link whose real path is outside the root's is refused
 * ({@link OutsideRootError}, which `list` and `read` report as `E_UNREADABLE`): a reader never follows a link out of
 * the root. The verdict is kept with the index: a link pointed elsewhere leads to another
 * directory (another device and inode), which is looked at afresh.
 */
import * as nodeFs from 'node:fs';
import { sep } from 'node:path';
import { ioError } from './errors.js';
import { type DirEntryLike, type FileSystem, isGone, nodeFileSystem } from './fs-seam.js';
import { type EntryKind, parseEntryName, type SummaryPaths } from './layout.js';

/**
 * A listing taken less than this after the directory's mtime is not reused: more than the
 * coarsest timestamp granularity in use (2 s on FAT, 1 s on HFS+ and some network file
 * systems, a few milliseconds elsewhere).
 */
const RACY_MARGIN_MS = 3000;
/** Directories remembered; past this the cache starts over. */
const MAX_DIRECTORIES = 4096;

/** A file that may hold a summary: the summary itself or an epoch copy. */
export interface IndexedCandidate {
  name: string;
  /** The epoch in an epoch copy's name; null for the summary itself. */
  nameEpoch: number | null;
  /** A symbolic link: reported, never followed. */
  symlink: boolean;
}

/** The files of one summary in a run directory. */
export interface IndexedSummary {
  processName: string;
  worker: string | null;
  candidates: IndexedCandidate[];
  /** A journal, a backup or a quarantined copy is there. */
  hasHistory: boolean;
}

/** One run directory, by summary (key: {@link summaryKey}). */
export interface DirectoryIndex {
  summaries: Map<string, IndexedSummary>;
  /**
   * Taken well after the directory last changed (see RACY_MARGIN_MS): while the stat matches,
   * the same index is handed out again. An untrusted one is listed afresh at every look.
   */
  trusted: boolean;
}

interface Cached extends DirectoryIndex {
  dev: number;
  ino: number;
  mtimeMs: number;
  /** A symbolic link leading out of the root: refused, its index never handed out. */
  outside: boolean;
}

type DirStats = { dev: number; ino: number; mtimeMs: number };

/**
 * A run directory that is a symbolic link out of the root. Internal: `list` and `read` report
 * it as an `E_UNREADABLE` problem with this message.
 */
export class OutsideRootError extends Error {
  constructor(readonly dir: string) {
    super(`${dir}: a symbolic link leading out of the root; not followed`);
  }
}

/**
 * Whether `dir` (an entry of `root`) is a symbolic link whose real path is outside the root's
 * real path. Looked at with node:fs directly (an lstat; realpath only for a link): this is a
 * question about where a path leads, not a file operation a fault test injects into.
 */
export function leadsOutOfRoot(root: string, dir: string): boolean {
  try {
    if (!nodeFs.lstatSync(dir).isSymbolicLink()) return false;
    const real = nodeFs.realpathSync(dir);
    const realRoot = nodeFs.realpathSync(root);
    return (
      real !== realRoot && !real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)
    );
  } catch {
    return false; // gone or broken: the stat that follows reports it
  }
}

/** The key of a summary in a {@link DirectoryIndex}. */
export function summaryKey(processName: string, worker: string | null): string {
  return worker === null ? processName : `${processName}@${worker}`;
}

/** The directory indexes of one store. */
export class DirectoryIndexes {
  readonly #fs: FileSystem;
  readonly #root: string;
  readonly #cache = new Map<string, Cached>();

  constructor(fs: FileSystem, root: string) {
    this.#fs = fs;
    this.#root = root;
  }

  /**
   * The index of `dir`, or `null` when it does not exist (or is not a directory). Throws the
   * errno error when it cannot be looked at (EACCES…), {@link OutsideRootError} for a link out
   * of the root. Through the `fs` seam.
   */
  async get(dir: string): Promise<DirectoryIndex | null> {
    if (this.#fs === nodeFileSystem) return this.getSync(dir);
    // Taken before the stat, which comes before the readdir: see RACY_MARGIN_MS.
    const now = Date.now();
    let stats: DirStats | null;
    try {
      const found = await this.#fs.stat(dir);
      stats = found.isDirectory() ? found : null;
    } catch (err) {
      if (!isGone(err)) throw err;
      stats = null;
    }
    const cached = this.#reuse(dir, stats);
    if (cached !== undefined) return refuseOutside(dir, cached);
    if (this.#refuseEarly(dir, stats as DirStats)) throw new OutsideRootError(dir);
    let entries: DirEntryLike[];
    try {
      entries = await this.#fs.readdir(dir);
    } catch (err) {
      if (!isGone(err)) throw err;
      return this.#forget(dir);
    }
    return this.#remember(dir, now, stats as DirStats, entries);
  }

  /** {@link get} with synchronous `node:fs` calls (the real file system only). */
  getSync(dir: string): DirectoryIndex | null {
    const now = Date.now();
    const found = nodeFs.statSync(dir, { throwIfNoEntry: false });
    const stats = found === undefined || !found.isDirectory() ? null : found;
    const cached = this.#reuse(dir, stats);
    if (cached !== undefined) return refuseOutside(dir, cached);
    if (this.#refuseEarly(dir, stats as DirStats)) throw new OutsideRootError(dir);
    let entries: DirEntryLike[];
    try {
      entries = nodeFs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (!isGone(err)) throw err;
      return this.#forget(dir);
    }
    return this.#remember(dir, now, stats as DirStats, entries);
  }

  /** The cached index if still valid, `null` for a directory gone, `undefined` to list it. */
  #reuse(dir: string, stats: DirStats | null): Cached | null | undefined {
    if (stats === null) return this.#forget(dir);
    const cached = this.#cache.get(dir);
    if (
      cached?.trusted &&
      cached.dev === stats.dev &&
      cached.ino === stats.ino &&
      cached.mtimeMs === stats.mtimeMs
    ) {
      return cached;
    }
    return undefined;
  }

  /**
   * Whether `dir` leads out of the root (never listed then: its names are not read). The
   * verdict is remembered as an empty index, so a listing asks once per directory.
   */
  #refuseEarly(dir: string, stats: DirStats): boolean {
    if (!leadsOutOfRoot(this.#root, dir)) return false;
    if (this.#cache.size >= MAX_DIRECTORIES) this.#cache.clear();
    this.#cache.set(dir, {
      summaries: new Map(),
      dev: stats.dev,
      ino: stats.ino,
      mtimeMs: stats.mtimeMs,
      trusted: true,
      outside: true,
    });
    return true;
  }

  #forget(dir: string): null {
    this.#cache.delete(dir);
    return null;
  }

  #remember(dir: string, now: number, stats: DirStats, entries: DirEntryLike[]): DirectoryIndex {
    const index: Cached = {
      summaries: indexEntries(entries),
      dev: stats.dev,
      ino: stats.ino,
      mtimeMs: stats.mtimeMs,
      trusted: now - stats.mtimeMs >= RACY_MARGIN_MS,
      outside: false,
    };
    if (this.#cache.size >= MAX_DIRECTORIES) this.#cache.clear();
    this.#cache.set(dir, index);
    return index;
  }
}

function refuseOutside(dir: string, index: Cached | null): DirectoryIndex | null {
  if (index?.outside) throw new OutsideRootError(dir);
  return index;
}

function indexEntries(entries: DirEntryLike[]): Map<string, IndexedSummary> {
  const summaries = new Map<string, IndexedSummary>();
  // An indexed loop: a listing of 10,000 summaries runs it for every entry, mostly before V8 has
  // optimized anything, and the interpreter pays for an iterator.
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as DirEntryLike;
    const parsed = parseEntryName(entry.name);
    if (parsed === null) continue;
    const { kind } = parsed;
    if (kind === 'owner' || kind === 'takeover' || kind === 'archived') continue;
    const key = summaryKey(parsed.processName, parsed.worker);
    let found = summaries.get(key);
    if (found === undefined) {
      found = {
        processName: parsed.processName,
        worker: parsed.worker,
        candidates: [],
        hasHistory: false,
      };
      summaries.set(key, found);
    }
    if (kind === 'summary' || kind === 'epoch') {
      found.candidates.push({
        name: entry.name,
        nameEpoch: parsed.epoch,
        symlink: entry.isSymbolicLink(),
      });
    } else {
      found.hasHistory = true;
    }
  }
  return summaries;
}

/**
 * The files of one summary in its run directory, by kind, as full paths sorted by name,
 * listed now through the seam (not cached): what the owner's load, archive and remove act on,
 * and what `setAsideFiles` shows. An absent directory has none. Throws `E_IO`.
 */
export async function filesOf(
  fs: FileSystem,
  paths: SummaryPaths,
): Promise<Map<EntryKind, string[]>> {
  const files = new Map<EntryKind, string[]>();
  let names: string[];
  try {
    names = (await fs.readdir(paths.dir)).map((entry) => entry.name);
  } catch (err) {
    if (isGone(err)) return files;
    throw ioError('listing', paths.dir, err);
  }
  for (const name of names.sort()) {
    const parsed = parseEntryName(name);
    if (parsed === null) continue;
    if (parsed.processName !== paths.ref.processName || parsed.worker !== paths.ref.worker) {
      continue;
    }
    const list = files.get(parsed.kind) ?? [];
    list.push(`${paths.dir}/${name}`);
    files.set(parsed.kind, list);
  }
  return files;
}
