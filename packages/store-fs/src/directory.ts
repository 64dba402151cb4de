/**
 * Durable directories: creating a run directory so that its entry survives a power loss, and
 * fsync of a directory after an entry in it was created, renamed or removed. Each operation
 * with its synchronous twin (for `saveSync`) beside it.
 */
import * as fs from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ioError } from './errors.js';
import type { FileSystem } from './fs-seam.js';

/** fsync(2) on a directory: makes the creation, rename or removal of its entries durable. */
export async function syncDirectory(fsys: FileSystem, dir: string): Promise<void> {
  const handle = await fsys.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close().catch(() => {});
  }
}

/** {@link syncDirectory}, synchronously with `node:fs`. */
export function syncDirectorySync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Creates `dir` (and missing parents) and makes each new entry durable: fsync of the parent
 * of every directory created. Throws `E_IO`.
 */
export async function makeDirectoryDurably(fsys: FileSystem, dir: string): Promise<void> {
  let created: string | undefined;
  try {
    created = await fsys.mkdir(dir);
  } catch (err) {
    throw ioError('creating the directory', dir, err);
  }
  if (created === undefined) return;
  for (const parent of parentsToSync(created, dir)) {
    try {
      await syncDirectory(fsys, parent);
    } catch (err) {
      throw ioError('fsync of the directory', parent, err);
    }
  }
}

/** {@link makeDirectoryDurably}, synchronously with `node:fs`. */
export function makeDirectoryDurablySync(dir: string): void {
  let created: string | undefined;
  try {
    created = fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw ioError('creating the directory', dir, err);
  }
  if (created === undefined) return;
  for (const parent of parentsToSync(created, dir)) {
    try {
      syncDirectorySync(parent);
    } catch (err) {
      throw ioError('fsync of the directory', parent, err);
    }
  }
}

/** The parents whose entries changed when `mkdir -p dir` created `firstCreated` and below. */
function parentsToSync(firstCreated: string, dir: string): string[] {
  const first = resolve(firstCreated);
  const parents: string[] = [];
  let current = resolve(dir);
  for (;;) {
    const parent = dirname(current);
    parents.push(parent);
    if (current === first || parent === current) return parents;
    current = parent;
  }
}
