/**
 * The durable replace protocol: write a complete new version beside the file, make it
 * durable, then swap it in with one rename and make the rename durable.
 *
 * Hand-written rather than taken from write-file-atomic, atomically or steno: none of them
 * fsyncs the directory after the rename (so a resolved save can vanish in a power loss), and
 * write-file-atomic and atomically have truncated users' files when a write came back short
 * (see their issue trackers). Here a short write is an error and the old file is untouched.
 */
import * as nodeFs from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { ProcessSummaryError } from '@process-summary/core';
import { randomHex, sha256Hex } from './crypto.js';
import { syncDirectory, syncDirectorySync } from './directory.js';
import { ioError, shortWriteError } from './errors.js';
import { errnoCode, type FileHandleLike, type FileSystem, type StatsLike } from './fs-seam.js';
import { type TempFileOwner, type TempKind, tempPathFor } from './layout.js';
import type { Logger } from './logger.js';
import { isProcessAlive, readBootId } from './owner.js';

/** What identifies one version of a file: a replaced or rewritten file differs in one of these. */
export interface FileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
}

export function identityOf(stats: StatsLike): FileIdentity {
  return { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
}

export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

// A per-process prefix plus a counter: unique without a random draw per save; 'wx' (O_EXCL)
// still refuses a name that exists, and the caller then draws again. Drawn at the first write:
// a process that only reads never loads node:crypto (see crypto.ts).
let processTag: string | undefined;
let counter = 0;

/**
 * This host, as 8 hex characters: a hash of the host name and, where it can be read, the
 * boot id (`/proc/sys/kernel/random/boot_id`, random at every boot). A pid means something
 * only on the host (and the boot) that issued it, and several hosts may share a run
 * directory, so a temp file's pid is judged only when its tag is this one. A leftover of an
 * earlier boot of this host carries another tag and is left alone too: safe, if untidy.
 */
export function thisHostTag(): string {
  cachedHostTag ??= computeHostTag(hostname(), readBootId());
  return cachedHostTag;
}
let cachedHostTag: string | undefined;

/** The tag {@link thisHostTag} would be for this host name and boot id (exported for tests). */
export function computeHostTag(host: string, bootId: string | null): string {
  return sha256Hex(`${host}\0${bootId ?? ''}`).slice(0, 8);
}

/**
 * A fresh temp file name for `path` (see the layout's `tempPathFor`), unique in this process
 * without a random draw per save.
 */
export function newTempPath(path: string, kind: TempKind = 'replace'): string {
  counter = (counter + 1) % 0x7fffffff;
  processTag ??= randomHex(4);
  thisWriter ??= { pid: process.pid, hostTag: thisHostTag() };
  return tempPathFor(path, thisWriter, `${processTag}${counter.toString(16)}`, kind);
}

let thisWriter: TempFileOwner | undefined;

/** Hooks of {@link writeFileDurably}. */
export interface DurableWriteOptions {
  /**
   * Runs after the temp file is durable and before the rename, given the temp file's path; a
   * rejection aborts the write (the temp file is removed, the target untouched). The store
   * waits here for the journal, links the current version to `.bak`, and records the temp
   * path so that a `saveSync` overtaking this write can claim it.
   */
  beforeRename?: ((tempPath: string) => Promise<void>) | undefined;
  logger: Logger;
}

/**
 * Replaces `path` with `data`, atomically and durably:
 * 1. create a uniquely named temp file in the same directory, exclusively (`wx`);
 * 2. write the whole buffer and check the length written (a short write is an error);
 * 3. fsync the temp file; if that fails the temp file is dropped, never fsynced again and
 *    trusted: the page cache may have lost the data while the error was reported once;
 * 4. rename it over `path` (atomic: readers see the old or the new version, never a mix);
 * 5. fsync the directory, so the rename itself survives a power loss;
 * and resolves only then, with the identity of the new version.
 *
 * Any failure rejects with `E_IO` (the errno error as `cause`) and leaves no temp file; before
 * step 4 the old file is byte-identical. A failure of step 5 means the new version is in place
 * but may not survive a power loss; the error says so.
 */
export async function writeFileDurably(
  fs: FileSystem,
  path: string,
  data: Uint8Array,
  options: DurableWriteOptions,
): Promise<FileIdentity> {
  const { tempPath, handle } = await createTemp(fs, path);
  let renamed = false;
  let closed = false;
  try {
    let step = 'write';
    try {
      const { bytesWritten } = await handle.write(data, 0, data.length, 0);
      if (bytesWritten !== data.length) throw shortWriteError(bytesWritten, data.length);
      // fstat beside the fsync: the write is complete, so size and mtime are final.
      step = 'fsync';
      const [, stats] = await Promise.all([handle.sync(), handle.stat()]);
      const identity = identityOf(stats);
      step = 'close';
      closed = true;
      await handle.close();
      step = 'preparation of the rename of';
      if (options.beforeRename !== undefined) await options.beforeRename(tempPath);
      step = 'rename';
      await fs.rename(tempPath, path);
      renamed = true;
      await syncDirectory(fs, dirname(path)).catch((err: unknown) => {
        throw ioError(
          'fsync of the directory of',
          path,
          err,
          'The new version is in place but may not survive a power loss; the next save writes it again.',
        );
      });
      return identity;
    } catch (err) {
      if (err instanceof ProcessSummaryError) throw err;
      throw ioError(
        step.endsWith(' of') ? step : `${step} of the temp file for`,
        path,
        err,
        'The previous version is intact; the next save rewrites from memory.',
      );
    }
  } finally {
    if (!closed) await handle.close().catch(() => {});
    if (!renamed) await removeQuietly(fs, tempPath, options.logger);
  }
}

async function createTemp(
  fs: FileSystem,
  path: string,
): Promise<{ tempPath: string; handle: FileHandleLike }> {
  for (let attempt = 0; ; attempt++) {
    const tempPath = newTempPath(path);
    try {
      return { tempPath, handle: await fs.open(tempPath, 'wx', 0o666) };
    } catch (err) {
      // EEXIST: a name collision (a leftover with our pid from an earlier process); draw again.
      if (errnoCode(err) === 'EEXIST' && attempt < 5) continue;
      throw ioError(
        'creating a temp file for',
        path,
        err,
        'The previous version is intact; the next save retries.',
      );
    }
  }
}

/**
 * Synchronous twin of {@link writeFileDurably}, with `node:fs` directly, for `saveSync`:
 * exclusive temp file, whole buffer written and checked, fsync, `beforeRename`, rename,
 * directory fsync. Throws `E_IO`; no temp file left.
 */
export function writeFileDurablySync(
  path: string,
  data: Uint8Array,
  beforeRename: (tempPath: string) => void = () => {},
): FileIdentity {
  const tempPath = newTempPath(path);
  let fd: number | undefined;
  let renamed = false;
  let step = 'creating the temp file for';
  try {
    fd = nodeFs.openSync(tempPath, 'wx', 0o666);
    step = 'write of the temp file for';
    const written = nodeFs.writeSync(fd, data, 0, data.length, 0);
    if (written !== data.length) throw shortWriteError(written, data.length);
    step = 'fsync of the temp file for';
    nodeFs.fsyncSync(fd);
    const identity = identityOf(nodeFs.fstatSync(fd));
    nodeFs.closeSync(fd);
    fd = undefined;
    step = 'preparation of the rename of';
    beforeRename(tempPath);
    step = 'rename of the temp file for';
    nodeFs.renameSync(tempPath, path);
    renamed = true;
    step = 'fsync of the directory of';
    syncDirectorySync(dirname(path));
    return identity;
  } catch (err) {
    if (errnoCode(err)?.startsWith('E_')) throw err;
    throw ioError(step, path, err);
  } finally {
    if (fd !== undefined) {
      try {
        nodeFs.closeSync(fd);
      } catch {}
    }
    if (!renamed) {
      try {
        nodeFs.unlinkSync(tempPath);
      } catch {}
    }
  }
}

/**
 * Claims the temp file of an asynchronous write about to rename it: unlinks it, so that its
 * rename, wherever it is queued, fails with ENOENT instead of landing later. Returns whether
 * it was there to claim (`false`: it was renamed already, or removed). Throws `E_IO` when it
 * cannot be removed: the older state could then land over the caller's.
 */
export function claimTempFileSync(tempPath: string): boolean {
  try {
    nodeFs.unlinkSync(tempPath);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw ioError('claiming the temp file of the save in flight for', tempPath, err);
  }
}

/** Unlinks `path`, ignoring a missing file; logs any other failure (a leftover, not a loss). */
export async function removeQuietly(fs: FileSystem, path: string, logger: Logger): Promise<void> {
  try {
    await fs.unlink(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    logger.warn({ path, errno: errnoCode(err) }, `could not remove temp file ${path}`);
  }
}

/**
 * Removes the temp files that dead writers of this host left in `dir` for the files named by
 * `ownerOf`. Left alone: a temp file of a live writer (this process included), and every
 * temp file whose host tag is not this host's — its pid means nothing here (several hosts
 * may share the directory); it is removed by its own host, or by a person.
 * Returns the paths removed.
 */
export async function removeDeadWritersTempFiles(
  fs: FileSystem,
  dir: string,
  ownerOf: (entryName: string) => TempFileOwner | undefined,
  logger: Logger,
): Promise<string[]> {
  let entries: { name: string; isFile(): boolean }[];
  try {
    entries = await fs.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const owner = ownerOf(entry.name);
    if (owner === undefined || owner.hostTag !== thisHostTag() || isProcessAlive(owner.pid))
      continue;
    const { pid } = owner;
    const path = join(dir, entry.name);
    try {
      await fs.unlink(path);
      removed.push(path);
      logger.debug({ path, pid }, `removed temp file of dead writer ${pid}`);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') {
        logger.warn({ path, errno: errnoCode(err) }, `could not remove stale temp file ${path}`);
      }
    }
  }
  return removed;
}

/** Re-exported for callers that found it here before `directory.ts` held it. */
export { syncDirectory } from './directory.js';
