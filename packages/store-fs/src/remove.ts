/**
 * Setting a summary aside for a fresh start (`archive`) and removing it (`remove`, the seed's
 * cleanup). Both wait for the writes in flight first, and make the change durable.
 */
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
  let archived: string | null = null;
  let changed = false;
  try {
    await fs.unlink(paths.backup);
    changed = true;
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw ioError('removing', paths.backup, err);
  }
  for (const path of [paths.journal, paths.summary]) {
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
  let existed = true;
  let removedAny = false;
  // The summary last: an interrupted remove leaves it, and can simply be repeated.
  for (const path of [paths.backup, paths.journal, paths.summary]) {
    try {
      await fs.unlink(path);
      removedAny = true;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw ioError('removing', path, err);
      if (path === paths.summary) existed = false;
    }
  }
  ctx.writer.forget(paths);
  if (removedAny) await syncChanged(fs, paths.dir);
  return existed;
}

async function syncChanged(fs: FileSystem, dir: string): Promise<void> {
  await syncDirectory(fs, dir).catch((err: unknown) => {
    throw ioError('fsync of the directory', dir, err);
  });
}
