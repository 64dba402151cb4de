/**
 * The durable replace protocol and the journal append, synchronously, for the one place an
 * asynchronous save cannot run: `exit` handlers and a signal handler about to re-raise the
 * signal. Same steps and guarantees as {@link writeFileDurably} and `JournalWriter.append`;
 * it uses `node:fs` directly (the injectable seam is asynchronous).
 */
import * as fs from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type FileIdentity, identityOf, tempPathFor } from './atomic-write.js';
import { ioError, shortWriteError } from './errors.js';
import { errnoCode } from './fs-seam.js';
import type { Logger } from './logger.js';

const NEWLINE = 0x0a;
const CHUNK = 64 * 1024;

function fsyncDirectorySync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Creates `dir` if needed and fsyncs the parent of each directory created. */
export function prepareDirectorySync(dir: string): void {
  const created = fs.mkdirSync(dir, { recursive: true });
  if (created === undefined) return;
  const firstCreated = resolve(created);
  let current = resolve(dir);
  for (;;) {
    const parent = dirname(current);
    fsyncDirectorySync(parent);
    if (current === firstCreated || parent === current) return;
    current = parent;
  }
}

/**
 * Synchronous twin of `writeFileDurably`: exclusive temp file, whole buffer written and
 * checked, fsync, `beforeRename`, rename, directory fsync. Throws `E_IO`; no temp file left.
 */
export function writeFileDurablySync(
  path: string,
  data: Uint8Array,
  beforeRename: () => void = () => {},
): FileIdentity {
  const tempPath = tempPathFor(path);
  let fd: number | undefined;
  let renamed = false;
  let step = 'creating the temp file for';
  try {
    fd = fs.openSync(tempPath, 'wx', 0o666);
    step = 'write of the temp file for';
    const written = fs.writeSync(fd, data, 0, data.length, 0);
    if (written !== data.length) throw shortWriteError(written, data.length);
    step = 'fsync of the temp file for';
    fs.fsyncSync(fd);
    const identity = identityOf(fs.fstatSync(fd));
    fs.closeSync(fd);
    fd = undefined;
    step = 'preparation of the rename of';
    beforeRename();
    step = 'rename of the temp file for';
    fs.renameSync(tempPath, path);
    renamed = true;
    step = 'fsync of the directory of';
    fsyncDirectorySync(dirname(path));
    return identity;
  } catch (err) {
    if (errnoCode(err)?.startsWith('E_')) throw err;
    throw ioError(step, path, err);
  } finally {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {}
    }
    if (!renamed) {
      try {
        fs.unlinkSync(tempPath);
      } catch {}
    }
  }
}

/** Synchronous twin of `repairTornTail` (bytes after the last newline, or an invalid last line). */
export function repairTornTailSync(
  path: string,
  logger: Logger,
  isValidLine: (b: Buffer) => boolean,
): void {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r+');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw ioError('opening the journal', path, err);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return;
    const read = (start: number, end: number) => {
      const buffer = Buffer.alloc(end - start);
      const n = fs.readSync(fd, buffer, 0, buffer.length, start);
      return buffer.subarray(0, n);
    };
    const lastNewlineBefore = (end: number): number => {
      for (let chunkEnd = end; chunkEnd > 0; ) {
        const chunkStart = Math.max(0, chunkEnd - CHUNK);
        const at = read(chunkStart, chunkEnd).lastIndexOf(NEWLINE);
        if (at !== -1) return chunkStart + at;
        chunkEnd = chunkStart;
      }
      return -1;
    };
    let keep: number;
    if (read(size - 1, size)[0] === NEWLINE) {
      keep = lastNewlineBefore(size - 1) + 1;
      if (isValidLine(read(keep, size - 1))) return;
    } else {
      keep = lastNewlineBefore(size) + 1;
    }
    fs.ftruncateSync(fd, keep);
    fs.fdatasyncSync(fd);
    logger.warn(
      { path, droppedBytes: size - keep, offset: keep },
      `journal ${path}: dropped a torn last line (${size - keep} bytes at offset ${keep})`,
    );
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Synchronous twin of `JournalWriter.append`: one write, fdatasync, cut back on failure —
 * except with `cutBack` false (an asynchronous append is in progress on this journal: its
 * lines may follow `sizeBefore` and must not be cut; the next append checks the tail).
 */
export function appendJournalSync(path: string, data: Uint8Array, cutBack = true): void {
  let fd: number;
  try {
    fd = fs.openSync(path, 'a', 0o666);
  } catch (err) {
    throw ioError('opening the journal', path, err);
  }
  let sizeBefore: number | undefined;
  try {
    sizeBefore = fs.fstatSync(fd).size;
    const written = fs.writeSync(fd, data, 0, data.length, null);
    if (written !== data.length) throw shortWriteError(written, data.length);
    fs.fdatasyncSync(fd);
  } catch (err) {
    if (sizeBefore !== undefined && cutBack) {
      try {
        fs.ftruncateSync(fd, sizeBefore);
      } catch {}
    }
    throw ioError('appending to the journal', path, err, 'The events are kept in memory.');
  } finally {
    fs.closeSync(fd);
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
    fs.unlinkSync(tempPath);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw ioError('claiming the temp file of the save in flight for', tempPath, err);
  }
}

/** Makes the current file the backup (hard link through a temp name), if it is `expected`. */
export function keepPreviousVersionSync(
  path: string,
  backupPath: string,
  expected: FileIdentity | null,
  logger: Logger,
): void {
  try {
    const current = identityOf(fs.statSync(path));
    if (
      expected === null ||
      current.ino !== expected.ino ||
      current.size !== expected.size ||
      current.mtimeMs !== expected.mtimeMs
    ) {
      // Not known to be good, and there is no time to check it here: leave the backup alone.
      return;
    }
    const backupTemp = tempPathFor(path, '.bak');
    try {
      fs.linkSync(path, backupTemp);
      fs.renameSync(backupTemp, backupPath);
    } finally {
      try {
        fs.unlinkSync(backupTemp);
      } catch {}
    }
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    logger.warn({ path: backupPath, errno: errnoCode(err) }, `could not keep ${backupPath}`);
  }
}
