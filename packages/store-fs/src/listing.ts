/**
 * `list`: every summary under the root, and every run that has only history, with one stat
 * and one readdir per run directory (its index, which later reads reuse) and no stat of a
 * summary: the entries' file types say what they are. A run directory that is a symbolic link
 * is followed once, never twice, and never out of the root: one leading to a directory
 * already listed (a loop or an alias) or to a directory outside the root (see `dir-index.ts`)
 * is reported and skipped, and an unreadable directory is reported while the rest is still
 * listed.
 */
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import {
  assertValidName,
  compareRefs,
  type ListedSummary,
  type Listing,
  type ListOptions,
  type ListProblem,
} from '@process-summary/core';
import { type DirectoryIndex, OutsideRootError } from './dir-index.js';
import { type DirEntryLike, errnoCode, nodeFileSystem, type StatsLike } from './fs-seam.js';
import { isRunEntryName, summaryPathIn } from './layout.js';
import { indexesOf, type ReaderContext, readDirectory } from './reader.js';

/** See `SummaryStore.list`. Throws `E_INVALID_NAME` for a bad `runName` filter. */
export async function listSummaries(
  ctx: ReaderContext,
  options: ListOptions = {},
): Promise<Listing> {
  const runFilter = options.runName;
  if (runFilter !== undefined) assertValidName('run', runFilter);
  const listing: Listing = { summaries: [], problems: [] };
  let runs: DirEntryLike[];
  try {
    runs = await readDirectory(ctx, ctx.root);
  } catch (err) {
    const errno = errnoCode(err);
    listing.problems.push({
      location: ctx.root,
      code: errno === 'ENOENT' ? 'E_NOT_FOUND' : 'E_UNREADABLE',
      message:
        errno === 'ENOENT'
          ? `${ctx.root}: no such directory`
          : `${ctx.root}: cannot be listed (${errno ?? String(err)})`,
    });
    return listing;
  }
  const candidates = runs.filter(
    (run) =>
      (runFilter === undefined || run.name === runFilter) &&
      (run.isDirectory() || run.isSymbolicLink()) &&
      isRunEntryName(run.name),
  );
  const aliases = await aliasProblems(ctx, candidates);
  const indexes = indexesOf(ctx);
  for (const run of candidates) {
    const dir = join(ctx.root, run.name);
    const problem = aliases.get(run.name);
    if (problem === null) continue;
    if (problem !== undefined) {
      listing.problems.push(problem);
      continue;
    }
    let index: DirectoryIndex | null;
    try {
      index = await indexes.get(dir);
    } catch (err) {
      listing.problems.push({
        location: dir,
        code: 'E_UNREADABLE',
        message:
          err instanceof OutsideRootError
            ? err.message
            : `${dir}: cannot be listed (${errnoCode(err) ?? String(err)})`,
      });
      continue;
    }
    // A run directory removed since the root was listed is simply gone.
    if (index === null) continue;
    for (const found of index.summaries.values()) {
      const ref: ListedSummary = {
        runName: run.name,
        processName: found.processName,
        location: summaryPathIn(dir, found.processName, found.worker),
        writtenAt: null,
        // Whatever its type: a directory or FIFO where a summary belongs is reported when read.
        hasSummary: found.candidates.length > 0,
      };
      if (found.worker !== null) ref.worker = found.worker;
      listing.summaries.push(ref);
    }
  }
  listing.summaries.sort(compareRefs);
  return listing;
}

/**
 * For each run entry that must be skipped: its problem (a loop, an alias, a broken link), or
 * `null` (a link to something else than a directory: not a run). Real directories are distinct
 * from one another, so only symbolic links are looked at (stat), and real directories only
 * when there is a link to compare them with.
 */
async function aliasProblems(
  ctx: ReaderContext,
  runs: DirEntryLike[],
): Promise<Map<string, ListProblem | null>> {
  const problems = new Map<string, ListProblem | null>();
  const links = runs.filter((run) => run.isSymbolicLink());
  if (links.length === 0) return problems;
  const seen = new Map<string, string>();
  const identify = async (path: string): Promise<string> => {
    const stats: StatsLike =
      ctx.fs === nodeFileSystem ? nodeFs.statSync(path) : await ctx.fs.stat(path);
    return `${stats.dev}:${stats.ino}`;
  };
  try {
    seen.set(await identify(ctx.root), ctx.root);
  } catch {}
  // Real directories first, so an alias is what gets reported, not its target.
  for (const run of runs) {
    if (run.isSymbolicLink()) continue;
    const dir = join(ctx.root, run.name);
    try {
      seen.set(await identify(dir), dir);
    } catch {}
  }
  for (const run of [...links].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const dir = join(ctx.root, run.name);
    let stats: StatsLike;
    try {
      stats = ctx.fs === nodeFileSystem ? nodeFs.statSync(dir) : await ctx.fs.stat(dir);
    } catch (err) {
      problems.set(run.name, {
        location: dir,
        code: 'E_UNREADABLE',
        message: `${dir}: broken symbolic link (${errnoCode(err) ?? String(err)})`,
      });
      continue;
    }
    if (!stats.isDirectory()) {
      problems.set(run.name, null);
      continue;
    }
    const identity = `${stats.dev}:${stats.ino}`;
    const first = seen.get(identity);
    if (first !== undefined) {
      problems.set(run.name, {
        location: dir,
        code: 'E_UNREADABLE',
        message: `${dir}: is the same directory as ${first} (a symbolic link loop or alias); skipped`,
      });
      continue;
    }
    seen.set(identity, dir);
  }
  return problems;
}
