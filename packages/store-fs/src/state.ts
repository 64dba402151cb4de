/**
 * Consumer state (`readState`, `writeState`): small versioned documents other tools (the
 * alerter) keep in the root, beside the runs; see `layout.ts` for where, and
 * `docs/file-format.md` for the format.
 *
 * A write is compare-and-swap on the document's version. The swap itself is the store's
 * durable replace (`atomic-write.ts`: temp file, fsync, rename, directory fsync), so a reader
 * sees a complete old or new document, never a torn one, and needs no lock. The compare is
 * made under a lock file, because a rename cannot be refused: two processes that both read
 * version 3 would both rename a version 4 in, and the second would silently undo the first.
 *
 * Why a lock file, and not the lock-free alternative of one exclusively created file per
 * version (`link()` of `….v4` fails for the second writer)? Old versions must be deleted, and
 * a writer that read version 3 long ago would then find the name `….v4` free again and "win"
 * over version 9; telling that apart from a real win needs the history that was deleted. The
 * lock is the owner records' protocol (`owner.ts`), short-lived: created complete with
 * `link()` of a fsynced temp file (atomic, fails if the name exists), holding this process's
 * host tag, pid namespace, pid and pid start time. A lock whose holder is proven gone (its
 * process died on this host, the pid now belongs to another process, the host rebooted) is
 * broken at once, so a writer killed while holding it (SIGKILL) delays nobody; a lock of
 * another host, or one that cannot be read, is broken once older than
 * {@link LOCK_STALE_SECONDS} (a write holds it for milliseconds). Breaking renames the lock to
 * a name of the breaker's and puts it back if it was not the one judged; release does the
 * same, so nobody deletes a lock another process created meanwhile. The holder checks the
 * lock is still its own just before the rename: only a holder stalled for longer than
 * {@link LOCK_STALE_SECONDS} on another host, between that check and the rename, could
 * overwrite a newer version (the same window the owner records accept).
 *
 * A document that is not one (empty, torn by a copy, not JSON, another key's) is refused with
 * `E_CORRUPT` by both methods, never read as "no document": a consumer would start over and,
 * for the alerter, send every alert again. A non-regular file there is `E_UNREADABLE`.
 */
import { constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import {
  assertValidStateKey,
  encodeStateWrite,
  type JsonValue,
  MAX_STATE_BYTES,
  ProcessSummaryError,
  type StateDocument,
  stateConflict,
} from '@process-summary/core';
import {
  newTempPath,
  removeDeadWritersTempFiles,
  removeQuietly,
  thisHostTag,
  writeFileDurably,
} from './atomic-write.js';
import { randomHex } from './crypto.js';
import { makeDirectoryDurably } from './directory.js';
import { ioError, storeError } from './errors.js';
import { errnoCode, type FileSystem } from './fs-seam.js';
import {
  isStaleStateLockName,
  type StatePaths,
  stalePathFor,
  statePathsFor,
  stateTempFileOwner,
} from './layout.js';
import type { Logger } from './logger.js';
import { currentOwner, isProcessAlive, readProcessStartTime } from './owner.js';

/** The `format` of a state document. */
export const STATE_FORMAT = 'process-summary-state';
/** The newest document format this library writes and reads. */
export const STATE_FORMAT_VERSION = 1;
/** A lock that cannot be judged by its process (another host, unreadable) is broken after this. */
export const LOCK_STALE_SECONDS = 30;
/** How long a writer waits for a live holder of the lock before it gives up (`E_CONFLICT`). */
const LOCK_WAIT_MS = 30_000;
/** The value (1 MiB at most) plus the envelope: anything larger is not a document of ours. */
const MAX_DOCUMENT_BYTES = MAX_STATE_BYTES + 64 * 1024;
const MAX_LOCK_BYTES = 64 * 1024;
// Never follow a link out of the root, never block on a FIFO.
const READ_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK;

/** What a lock file holds: who writes the document now. */
interface LockRecord {
  format: 'process-summary-state-lock';
  host: string;
  /** The host and boot (see `atomic-write.ts`): a pid is judged only under the same tag. */
  host_tag: string;
  pid_namespace: string | null;
  pid: number;
  pid_start: string | null;
  token: string;
  since: number;
}

interface FoundLock {
  text: string;
  record: LockRecord | null;
  mtimeSeconds: number;
}

/** The consumer-state documents of one root. */
export class StateFiles {
  readonly #fs: FileSystem;
  readonly #root: string;
  readonly #logger: Logger;
  /** Whether dead writers' temp files were looked for (once per store, on its first write). */
  #swept = false;

  constructor(fs: FileSystem, root: string, logger: Logger) {
    this.#fs = fs;
    this.#root = root;
    this.#logger = logger;
  }

  /** See `SummaryStore.readState`. No lock: a document is replaced by a rename, whole. */
  async read(key: string): Promise<StateDocument | null> {
    assertValidStateKey(key);
    const found = await this.#readDocument(statePathsFor(this.#root, key).document, key);
    return found === null ? null : { value: found.value, version: found.version };
  }

  /** See `SummaryStore.writeState`. */
  async write(key: string, value: JsonValue, expectedVersion: number | null): Promise<number> {
    const valueText = encodeStateWrite(key, value, expectedVersion);
    const paths = statePathsFor(this.#root, key);
    await makeDirectoryDurably(this.#fs, this.#root);
    if (!this.#swept) {
      // A writer killed before its lock was linked, or while releasing it, leaves files and
      // no lock to break.
      this.#swept = true;
      await this.#sweep();
    }
    const token = await this.#lock(paths);
    try {
      const found = await this.#readDocument(paths.document, key);
      const current = found?.version ?? null;
      if (current !== expectedVersion) throw stateConflict(key, expectedVersion, current);
      const version = (current ?? 0) + 1;
      const envelope = `{"format":${JSON.stringify(STATE_FORMAT)},"format_version":${STATE_FORMAT_VERSION},"key":${JSON.stringify(key)},"version":${version},"written_at":${JSON.stringify(new Date().toISOString())},"value":${valueText}}\n`;
      await writeFileDurably(this.#fs, paths.document, Buffer.from(envelope, 'utf8'), {
        logger: this.#logger,
        beforeRename: async () => {
          if ((await this.#readLock(paths.lock))?.record?.token !== token) {
            throw lockLost(key, paths.lock);
          }
        },
      });
      return version;
    } finally {
      await this.#unlock(paths.lock, token);
    }
  }

  // ---------------------------------------------------------------- the document

  async #readDocument(
    path: string,
    key: string,
  ): Promise<{ value: JsonValue; version: number } | null> {
    let text: string;
    try {
      const handle = await this.#fs.open(path, READ_FLAGS);
      try {
        const stats = await handle.stat();
        if (!stats.isFile()) {
          throw storeError(
            'E_UNREADABLE',
            `the state document ${path} is not a regular file; move it away`,
          );
        }
        if (stats.size > MAX_DOCUMENT_BYTES) {
          throw corrupt(path, `is ${stats.size} bytes, larger than any state document`);
        }
        text = (await handle.readFile()).toString('utf8');
      } finally {
        await handle.close().catch(() => {});
      }
    } catch (err) {
      if (err instanceof ProcessSummaryError) throw err;
      const errno = errnoCode(err);
      if (errno === 'ENOENT') return null;
      if (errno === 'ELOOP') {
        throw storeError(
          'E_UNREADABLE',
          `the state document ${path} is a symbolic link (not followed); move it away`,
          err,
        );
      }
      throw ioError('reading the state document', path, err);
    }
    return parseDocument(path, key, text);
  }

  // ---------------------------------------------------------------- the lock

  /**
   * Removes what dead state writers left in the root: their temp files (this host's, their
   * process gone), and copies of a lock moved aside by a release or a break that was killed
   * before removing it, once the holder the copy names is judged gone (a live process may
   * still be about to put its copy back).
   */
  async #sweep(): Promise<void> {
    await removeDeadWritersTempFiles(this.#fs, this.#root, stateTempFileOwner, this.#logger);
    let entries: { name: string; isFile(): boolean }[];
    try {
      entries = await this.#fs.readdir(this.#root);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isFile() || !isStaleStateLockName(entry.name)) continue;
      const path = join(this.#root, entry.name);
      const found = await this.#readLock(path).catch(() => undefined);
      if (found === undefined || !judgeLock(found, Date.now() / 1000).gone) continue;
      await removeQuietly(this.#fs, path, this.#logger);
    }
  }

  /** Takes the lock of `paths`; resolves its token. */
  async #lock(paths: StatePaths): Promise<string> {
    const me = currentOwner();
    const token = randomHex(12);
    const record: LockRecord = {
      format: 'process-summary-state-lock',
      host: me.host,
      host_tag: thisHostTag(),
      pid_namespace: me.pidNamespace,
      pid: me.pid,
      pid_start: me.pidStart,
      token,
      since: Date.now() / 1000,
    };
    const text = `${JSON.stringify(record)}\n`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      if (await this.#createLock(paths.lock, text)) return token;
      const holder = await this.#readLock(paths.lock);
      if (holder === undefined) continue; // released meanwhile: try again at once
      const verdict = judgeLock(holder, Date.now() / 1000);
      if (Date.now() > deadline) {
        throw new ProcessSummaryError(
          'E_CONFLICT',
          `process-summary/store-fs: the state document ${paths.document} is being written by ${verdict.reason} for more than ${LOCK_WAIT_MS / 1000} s (lock ${paths.lock}); read it again later`,
        );
      }
      if (verdict.gone) {
        await this.#breakLock(paths.lock, holder.text, token);
        this.#logger.warn(
          { path: paths.lock },
          `broke the lock ${paths.lock} of a state writer that is gone (${verdict.reason})`,
        );
        // A writer that died holding the lock may have left its temp file.
        await this.#sweep();
        continue;
      }
      await pause(attempt);
    }
  }

  /** Creates the lock complete or not at all: a fsynced temp file linked to its name. */
  async #createLock(path: string, text: string): Promise<boolean> {
    const temp = newTempPath(path);
    try {
      const handle = await this.#fs.open(temp, 'wx', 0o666);
      try {
        const data = Buffer.from(text, 'utf8');
        const { bytesWritten } = await handle.write(data, 0, data.length, 0);
        if (bytesWritten !== data.length) throw new Error('short write of the lock');
        await handle.sync();
      } finally {
        await handle.close().catch(() => {});
      }
      await this.#fs.link(temp, path);
      return true;
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') return false;
      throw ioError('creating the lock', path, err, 'Nothing was written.');
    } finally {
      await removeQuietly(this.#fs, temp, this.#logger);
    }
  }

  async #readLock(path: string): Promise<FoundLock | undefined> {
    try {
      const handle = await this.#fs.open(path, READ_FLAGS);
      try {
        const stats = await handle.stat();
        const mtimeSeconds = stats.mtimeMs / 1000;
        if (!stats.isFile() || stats.size > MAX_LOCK_BYTES) {
          return { text: '', record: null, mtimeSeconds };
        }
        const text = (await handle.readFile()).toString('utf8');
        return { text, record: parseLock(text), mtimeSeconds };
      } finally {
        await handle.close().catch(() => {});
      }
    } catch (err) {
      const errno = errnoCode(err);
      if (errno === 'ENOENT') return undefined;
      if (errno === 'ELOOP') return { text: '', record: null, mtimeSeconds: 0 };
      throw ioError('reading the lock', path, err);
    }
  }

  /**
   * Removes the lock judged gone, if it is still the one judged (`text`): moved to a name of
   * ours first, and put back when another process replaced it meanwhile.
   */
  async #breakLock(path: string, judged: string, token: string): Promise<void> {
    const moved = stalePathFor(path, token);
    try {
      await this.#fs.rename(path, moved);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return; // another process broke it already
      throw ioError('breaking the lock of a gone writer', path, err, 'Nothing was written.');
    }
    const text = await this.#readText(moved);
    if (text !== judged) await this.#fs.link(moved, path).catch(() => {});
    await removeQuietly(this.#fs, moved, this.#logger);
  }

  /** Releases the lock if it is ours (see {@link #breakLock}); never throws. */
  async #unlock(path: string, token: string): Promise<void> {
    const moved = stalePathFor(path, token);
    try {
      await this.#fs.rename(path, moved);
    } catch (err) {
      this.#logger.warn(
        { path, errno: errnoCode(err) },
        `the lock ${path} was gone when its writer released it (broken by another process)`,
      );
      return;
    }
    const text = await this.#readText(moved);
    if (parseLock(text)?.token !== token) await this.#fs.link(moved, path).catch(() => {});
    await removeQuietly(this.#fs, moved, this.#logger);
  }

  async #readText(path: string): Promise<string | undefined> {
    try {
      const handle = await this.#fs.open(path, READ_FLAGS);
      try {
        return (await handle.readFile()).toString('utf8');
      } finally {
        await handle.close().catch(() => {});
      }
    } catch {
      return undefined;
    }
  }
}

/** Whether the holder of a lock is gone, and who it is (for messages). */
function judgeLock(found: FoundLock, now: number): { gone: boolean; reason: string } {
  const age = Math.max(0, now - found.mtimeSeconds);
  const record = found.record;
  if (record === null) {
    return {
      gone: age > LOCK_STALE_SECONDS,
      reason: `an unreadable lock ${Math.round(age)} s old`,
    };
  }
  const who = `pid ${record.pid} on ${JSON.stringify(record.host)}`;
  const me = currentOwner();
  if (record.host_tag === thisHostTag() && record.pid_namespace === me.pidNamespace) {
    if (!isProcessAlive(record.pid)) return { gone: true, reason: `${who} is gone` };
    const start = readProcessStartTime(record.pid);
    if (record.pid_start !== null && start !== null && start !== record.pid_start) {
      return { gone: true, reason: `${who} is gone (the pid now belongs to another process)` };
    }
    return { gone: false, reason: who };
  }
  return {
    gone: age > LOCK_STALE_SECONDS,
    reason: `${who} (another host or pid namespace; lock ${Math.round(age)} s old)`,
  };
}

function parseLock(text: string | undefined): LockRecord | null {
  if (text === undefined) return null;
  try {
    const value = JSON.parse(text) as Partial<LockRecord> | null;
    if (
      typeof value === 'object' &&
      value !== null &&
      value.format === 'process-summary-state-lock' &&
      typeof value.token === 'string' &&
      typeof value.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.host_tag === 'string'
    ) {
      return {
        ...(value as LockRecord),
        pid_namespace: value.pid_namespace ?? null,
        pid_start: value.pid_start ?? null,
      };
    }
  } catch {}
  return null;
}

/** The document in `text`, or the coded reason it is not one. */
function parseDocument(
  path: string,
  key: string,
  text: string,
): { value: JsonValue; version: number } {
  if (text.length === 0) throw corrupt(path, 'is empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw corrupt(path, `is not valid JSON (${(err as Error).message}); torn or damaged`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw corrupt(path, 'is not a state document (not an object)');
  }
  const doc = parsed as Record<string, unknown>;
  if (doc.format !== STATE_FORMAT) {
    throw corrupt(path, `is not a state document (format ${JSON.stringify(doc.format)})`);
  }
  const formatVersion = doc.format_version;
  if (typeof formatVersion === 'number' && formatVersion > STATE_FORMAT_VERSION) {
    throw storeError(
      'E_UNSUPPORTED_VERSION',
      `the state document ${path} has format version ${formatVersion}, newer than this library (${STATE_FORMAT_VERSION}); upgrade @process-summary/store-fs`,
    );
  }
  if (formatVersion !== STATE_FORMAT_VERSION) {
    throw corrupt(path, `has format version ${JSON.stringify(formatVersion)}`);
  }
  if (doc.key !== key) {
    throw corrupt(path, `holds the key ${JSON.stringify(doc.key)}, not ${JSON.stringify(key)}`);
  }
  const version = doc.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw corrupt(path, `has no valid version (${JSON.stringify(version)})`);
  }
  if (!Object.hasOwn(doc, 'value')) throw corrupt(path, 'has no value');
  return { value: doc.value as JsonValue, version };
}

function corrupt(path: string, what: string): ProcessSummaryError {
  return storeError(
    'E_CORRUPT',
    `the state document ${path} ${what}. Nothing reads or replaces it until it is moved aside (its consumer then starts from no state).`,
  );
}

function lockLost(key: string, lockPath: string): ProcessSummaryError {
  return new ProcessSummaryError(
    'E_CONFLICT',
    `process-summary/store-fs: the lock ${lockPath} of state ${JSON.stringify(key)} was broken by another process while this one was stalled; nothing was written: read it again`,
  );
}

/** A short random wait while another process writes the document. */
function pause(attempt: number): Promise<void> {
  const ms = Math.min(50, 1 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}
