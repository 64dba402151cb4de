/**
 * The few file-system calls the store makes, behind one interface. The real implementation
 * is `node:fs/promises`; tests pass a faulty one (ENOSPC on write, EIO on fsync, a short
 * write, EROFS on rename…) through the `fs` option of `FileSummaryStore` to prove what a
 * failure leaves on disk.
 */
import * as fsp from 'node:fs/promises';

/** What the store reads of a `stat`. */
export interface StatsLike {
  size: number;
  ino: number;
  dev: number;
  mtimeMs: number;
  /** Hard links to the file (a seam that does not know leaves it out). */
  nlink?: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

/** What the store reads of a directory entry. */
export interface DirEntryLike {
  name: string;
  isFile(): boolean;
  isDirectory(): boolean;
  /** Whether the entry itself is a symbolic link (it is then neither file nor directory). */
  isSymbolicLink(): boolean;
}

/** An open file: the subset of `FileHandle` the store uses. */
export interface FileHandleLike {
  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<{ bytesWritten: number }>;
  read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<{ bytesRead: number }>;
  readFile(): Promise<Buffer>;
  /** fsync(2). */
  sync(): Promise<void>;
  /** fdatasync(2). */
  datasync(): Promise<void>;
  stat(): Promise<StatsLike>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
  /**
   * The file descriptor, when there is one (`node:fs/promises` handles have it). The journal
   * uses it to decide and truncate in one synchronous step, so that a `saveSync` cannot slip
   * between the two; without it the journal's truncations are asynchronous.
   */
  readonly fd?: number;
}

/** The file-system seam of {@link FileSummaryStore}; every method mirrors `node:fs/promises`. */
export interface FileSystem {
  /**
   * `flags` as for `fs.open`: a string (`'wx'`, `'r'`, `'r+'`, `'a'`), or a number of
   * `fs.constants` bits (`O_RDONLY | O_NONBLOCK` when a summary is read, so that a FIFO never
   * blocks); `mode` for a created file.
   */
  open(path: string, flags: string | number, mode?: number): Promise<FileHandleLike>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, newPath: string): Promise<void>;
  copyFile(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Recursive; resolves the first directory it created, `undefined` when all existed. */
  mkdir(path: string): Promise<string | undefined>;
  readdir(path: string): Promise<DirEntryLike[]>;
  stat(path: string): Promise<StatsLike>;
}

/** The real file system (`node:fs/promises`). */
export const nodeFileSystem: FileSystem = {
  open: (path, flags, mode) => fsp.open(path, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
  link: (existing, newPath) => fsp.link(existing, newPath),
  // COPYFILE_EXCL: a copy never replaces a file it did not expect to find.
  copyFile: (from, to) => fsp.copyFile(from, to, fsp.constants.COPYFILE_EXCL),
  unlink: (path) => fsp.unlink(path),
  mkdir: (path) => fsp.mkdir(path, { recursive: true }),
  readdir: (path) => fsp.readdir(path, { withFileTypes: true }),
  stat: (path) => fsp.stat(path),
};

/** The errno code of a Node.js system error (`ENOENT`, `ENOSPC`…), if it is one. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether `err` says the path is not there (`ENOENT`), or a parent is not a directory (`ENOTDIR`). */
export function isGone(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
