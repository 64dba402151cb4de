/**
 * The owner's load: the summary of a ref, repaired when it can be. A corrupt summary is moved
 * aside (never deleted) and the previous good version restored in its place; when neither is
 * usable the store refuses with a coded error rather than let the run start over.
 */
import type { FromDictOptions, LoadResult, StoreWarning } from '@process-summary/core';
import { writeFileDurably } from './atomic-write.js';
import { syncDirectory } from './directory.js';
import { ioError, type StoreWarningCode, storeError } from './errors.js';
import { errnoCode, type FileSystem } from './fs-seam.js';
import type { SummaryPaths } from './layout.js';
import type { Logger } from './logger.js';
import { quarantineFile, readSummaryFile, type SummaryRead } from './quarantine.js';
import type { SummaryWriter } from './writer.js';

/** What loading needs of its store. */
export interface LoadContext {
  fs: FileSystem;
  logger: Logger;
  maxFileBytes: number;
  writer: SummaryWriter;
}

/** See `FileSummaryStore.load`. */
export async function loadWithRepair(
  ctx: LoadContext,
  paths: SummaryPaths,
  options: FromDictOptions | undefined,
): Promise<LoadResult | null> {
  const { fs, logger } = ctx;
  const read = (path: string) => readSummaryFile(fs, path, ctx.maxFileBytes, paths.ref, options);
  const warnings: StoreWarning[] = [];
  const warn = (code: StoreWarningCode, path: string, message: string) => {
    warnings.push({ code, message, path });
    logger.warn({ code, path }, message);
  };

  const main = await read(paths.summary);
  if (main.kind === 'ok') {
    ctx.writer.noteGoodVersion(paths, main.identity);
    return { summary: main.summary, warnings: [] };
  }
  if (main.kind === 'misplaced') {
    throw storeError(
      'E_NAME_MISMATCH',
      `${paths.summary} ${main.reason}. Move it to the path of its run and process, or fix the names inside.`,
    );
  }
  const movedAside: string[] = [];
  if (main.kind === 'bad') {
    // A hard link, not a rename: the path keeps a file until a good version replaces it.
    const quarantined = await quarantineFile(fs, paths.summary, true);
    movedAside.push(quarantined);
    warn(
      'W_QUARANTINED',
      paths.summary,
      `${paths.summary} ${main.reason}; moved aside to ${quarantined}`,
    );
  }
  const backup = await read(paths.backup);
  if (backup.kind === 'ok') {
    // Put the previous good version back in place, so the next load finds it even if this
    // process never saves.
    const identity = await writeFileDurably(fs, paths.summary, backup.bytes, { logger });
    ctx.writer.noteGoodVersion(paths, identity);
    const why = main.kind === 'absent' ? 'was missing' : 'was unusable';
    warn(
      'W_RESTORED_FROM_BACKUP',
      paths.summary,
      `${paths.summary} ${why}; restored the previous good version from ${paths.backup}`,
    );
    return { summary: backup.summary, warnings };
  }
  if (main.kind === 'absent' && backup.kind === 'absent') return null;
  if (backup.kind !== 'absent') {
    const quarantined = await quarantineFile(fs, paths.backup, false);
    movedAside.push(quarantined);
    warn(
      'W_QUARANTINED',
      paths.backup,
      `${paths.backup} ${backup.reason}; moved aside to ${quarantined}`,
    );
  }
  if (main.kind === 'bad') {
    // Its bytes live on under the quarantine name.
    await fs.unlink(paths.summary).catch((err: unknown) => {
      if (errnoCode(err) !== 'ENOENT') throw ioError('removing', paths.summary, err);
    });
  }
  await syncDirectory(fs, paths.dir).catch(() => {});
  const what =
    main.kind === 'bad'
      ? `${paths.summary} ${main.reason}, and ${describeBackup(backup)}`
      : `${paths.summary} is missing and ${describeBackup(backup)}`;
  throw storeError(
    'E_CORRUPT',
    `${what}. Nothing was deleted: moved aside to ${movedAside.join(', ')}. Inspect or repair one and move it back, or leave them and start a new summary.`,
  );
}

function describeBackup(backup: SummaryRead): string {
  if (backup.kind === 'absent') return 'there is no backup';
  if (backup.kind === 'ok') return 'its backup is good';
  return `its backup ${backup.reason}`;
}
