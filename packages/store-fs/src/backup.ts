/**
 * The previous good version beside a summary (`….json.bak`): before a save replaces the
 * summary, the version in place becomes the backup — a hard link (no data copied; the
 * directory fsync after the rename covers it), through a temp name so the old backup is
 * replaced in one rename. Only a version known to be good becomes the backup. Never fails the
 * save: a backup problem is logged, at warn level once per backup path (a directory there
 * fails every save the same way: one warning, not one per save), then at debug level until a
 * backup is kept again. The asynchronous step and its synchronous twin (for `saveSync`) side
 * by side.
 */
import * as nodeFs from 'node:fs';
import {
  type FileIdentity,
  identityOf,
  newTempPath,
  removeQuietly,
  sameIdentity,
} from './atomic-write.js';
import { errnoCode, type FileSystem } from './fs-seam.js';
import type { SummaryPaths } from './layout.js';
import type { Logger } from './logger.js';
import type { SummaryRead } from './quarantine.js';

// link(2) errors meaning "no hard links here" (FAT, some network and FUSE file systems).
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK', 'ENOSYS']);

/** The backup paths a failure was warned about (one per store), until a backup is kept again. */
export type BackupWarnings = Set<string>;

/** Logs that the backup could not be kept: a warning the first time, debug after that. */
function reportFailure(
  logger: Logger,
  warned: BackupWarnings,
  path: string,
  err: unknown,
  message: string,
): void {
  const fields = { path, errno: errnoCode(err) };
  if (warned.has(path)) {
    logger.debug(fields, message);
    return;
  }
  warned.add(path);
  logger.warn(
    fields,
    `${message} (said once; later saves that fail the same way say it at debug level)`,
  );
}

/**
 * Makes the current summary file the backup. `known` is the version this store wrote or
 * validated; a file that is not it (changed outside the store) is read and validated first
 * with `check`, and kept only if good.
 */
export async function keepPreviousVersion(
  fs: FileSystem,
  paths: SummaryPaths,
  known: FileIdentity | null,
  check: (path: string) => Promise<SummaryRead>,
  logger: Logger,
  warned: BackupWarnings,
): Promise<void> {
  let current: FileIdentity;
  let links: number | undefined;
  try {
    const stats = await fs.stat(paths.summary);
    current = identityOf(stats);
    links = stats.nlink;
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') {
      logger.warn(
        { path: paths.summary, errno: errnoCode(err) },
        `could not stat ${paths.summary}; the backup is left as it was`,
      );
    }
    return;
  }
  if (known === null || !sameIdentity(current, known)) {
    let read: SummaryRead;
    try {
      read = await check(paths.summary);
    } catch (err) {
      read = { kind: 'bad', reason: `could not be checked (${(err as Error).message})` };
    }
    if (read.kind === 'absent') return;
    if (read.kind !== 'ok') {
      logger.warn(
        { path: paths.summary, reason: read.reason },
        `${paths.summary} ${read.reason}; it was changed outside the store, so it is replaced without becoming the backup`,
      );
      return;
    }
  }
  const backupTemp = newTempPath(paths.summary, 'backup');
  try {
    try {
      await fs.link(paths.summary, backupTemp);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') return;
      if (code === undefined || !LINK_UNSUPPORTED.has(code)) throw err;
      await fs.copyFile(paths.summary, backupTemp);
    }
    await fs.rename(backupTemp, paths.backup);
    // rename(2) does nothing when both names already link the same file (a backup made just
    // before a crash, before the new version replaced the file): the temp name then stays.
    // A file with one link had no backup name: the rename took the temp name away, and an
    // unlink that fails would cost every save an error object for nothing.
    if (links !== 1) await fs.unlink(backupTemp).catch(() => {});
    warned.delete(paths.backup);
  } catch (err) {
    reportFailure(
      logger,
      warned,
      paths.backup,
      err,
      `could not keep the previous version as ${paths.backup}: ${(err as Error).message}`,
    );
    await removeQuietly(fs, backupTemp, logger);
  }
}

/**
 * {@link keepPreviousVersion}, synchronously with `node:fs`: only when the file in place is
 * `known` (there is no time to validate another version in an exit handler).
 */
export function keepPreviousVersionSync(
  paths: SummaryPaths,
  known: FileIdentity | null,
  logger: Logger,
  warned: BackupWarnings,
): void {
  try {
    const stats = nodeFs.statSync(paths.summary);
    const current = identityOf(stats);
    // Not known to be good, and there is no time to check it here: leave the backup alone.
    if (known === null || !sameIdentity(current, known)) return;
    const backupTemp = newTempPath(paths.summary, 'backup');
    let renamed = false;
    try {
      nodeFs.linkSync(paths.summary, backupTemp);
      nodeFs.renameSync(backupTemp, paths.backup);
      renamed = true;
      warned.delete(paths.backup);
    } finally {
      // As in keepPreviousVersion: after a rename, the temp name is left only when the file
      // already had a backup name.
      if (!renamed || stats.nlink !== 1) {
        try {
          nodeFs.unlinkSync(backupTemp);
        } catch {}
      }
    }
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    reportFailure(
      logger,
      warned,
      paths.backup,
      err,
      `could not keep the previous version as ${paths.backup}: ${(err as Error).message}`,
    );
  }
}
