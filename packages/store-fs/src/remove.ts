/**
 * Setting a summary aside for a fresh start (`archive`) and removing it (`remove`, the seed's
 * cleanup). Both wait for the writes in flight first, and make the change durable.
 *
 * Quarantined copies are never deleted (a person may want them): both set them aside as
 * archived, so they are no longer history of the summary that starts next, which would
 * otherwise be refused as a run with history and no summary.
 */
import { filesOf } from './dir-index.js';
import { syncDirectory } from './directory.js';
import { ioError } from './errors.js';
import { errnoCode, type FileSystem } from './fs-seam.js';
import { archivePathFor, quarantineStamp, type SummaryPaths } from './layout.js';
import type { SummaryWriter } from './writer.js';

/** What archive and remove need of their store. */
export interface RemoveContext {
  fs: FileSystem;
  writer: SummaryWriter;
}

/** See `FileSummaryStore.archive`. */
export async function archiveSummary(
  ctx: RemoveContext,
  paths: SummaryPaths,
): Promise<string | null> {
  const { fs } = ctx;
  await ctx.writer.settle(paths);
  const stamp = quarantineStamp();
  const others = await otherFilesOf(fs, paths);
  let archived: string | null = null;
  let changed = await unlinkAll(fs, [paths.backup]);
  // The summary last: an interrupted archive leaves it, and can simply be repeated.
  for (const path of [...others.quarantined, ...others.epochCopies, paths.journal, paths.summary]) {
    const target = archivePathFor(path, stamp);
    try {
      await fs.rename(path, target);
      changed = true;
      if (path === paths.summary) archived = target;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw ioError('archiving', path, err);
    }
  }
  ctx.writer.forget(paths);
  if (changed) await syncChanged(fs, paths.dir);
  return archived;
}

/** See `FileSummaryStore.remove`. */
export async function removeSummary(ctx: RemoveContext, paths: SummaryPaths): Promise<boolean> {
  const { fs } = ctx;
  await ctx.writer.settle(paths);
  const stamp = quarantineStamp();
  const others = await otherFilesOf(fs, paths);
  let changed = false;
  for (const path of others.quarantined) {
    try {
      await fs.rename(path, archivePathFor(path, stamp));
      changed = true;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw ioError('archiving', path, err);
    }
  }
  if (await unlinkAll(fs, [paths.backup, paths.journal, ...others.epochCopies])) changed = true;
  // The summary last: an interrupted remove leaves it, and can simply be repeated.
  const existed = await unlinkAll(fs, [paths.summary]);
  ctx.writer.forget(paths);
  if (changed || existed) await syncChanged(fs, paths.dir);
  return existed || others.epochCopies.length > 0;
}

/** The quarantined copies and the epoch copies of a summary, found by name. */
async function otherFilesOf(
  fs: FileSystem,
  paths: SummaryPaths,
): Promise<{ quarantined: string[]; epochCopies: string[] }> {
  const files = await filesOf(fs, paths);
  return { quarantined: files.get('quarantined') ?? [], epochCopies: files.get('epoch') ?? [] };
}

/** Unlinks each path; whether any was there. */
async function unlinkAll(fs: FileSystem, paths: string[]): Promise<boolean> {
  let any = false;
  for (const path of paths) {
    try {
      await fs.unlink(path);
      any = true;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw ioError('removing', path, err);
    }
  }
  return any;
}

async function syncChanged(fs: FileSystem, dir: string): Promise<void> {
  await syncDirectory(fs, dir).catch((err: unknown) => {
    throw ioError('fsync of the directory', dir, err);
  });
}
