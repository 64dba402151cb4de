/**
 * Finding every summary file under a root, without following a directory twice: a run
 * directory that is a symlink to a directory already seen (a loop or an alias) is reported
 * and skipped, and an unreadable directory is reported while the rest is still listed.
 */
import { type Dirent, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** A summary file found under the root. */
export interface FoundSummary {
  runName: string;
  processName: string;
  path: string;
}

/** Something under the root that could not be looked at. */
export interface ScanProblem {
  path: string;
  code: 'E_UNREADABLE' | 'E_NOT_FOUND';
  message: string;
}

/** What {@link scanRoot} found. */
export interface ScanResult {
  summaries: FoundSummary[];
  problems: ScanProblem[];
}

/** `process_summary_<process>.json`, the summary file of a process (not its backup or journal). */
export const SUMMARY_FILE = /^process_summary_(.+)\.json$/;
/** The process name of a summary file's base name, or undefined for any other file. */
export function processNameOf(fileName: string): string | undefined {
  return SUMMARY_FILE.exec(fileName)?.[1];
}

/**
 * Every `{root}/{run}/process_summary_{process}.json`, sorted by run then process; with
 * `runFilter`, only that run. Never throws for what it finds: problems are collected.
 */
export function scanRoot(root: string, runFilter?: string): ScanResult {
  const result: ScanResult = { summaries: [], problems: [] };
  let runs: Dirent[];
  try {
    runs = readdirSync(root, { withFileTypes: true });
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code;
    result.problems.push({
      path: root,
      code: errno === 'ENOENT' ? 'E_NOT_FOUND' : 'E_UNREADABLE',
      message:
        errno === 'ENOENT'
          ? `${root}: no such directory (set --root or PROCESS_SUMMARY_ROOT)`
          : `${root}: cannot be listed (${errno ?? String(err)})`,
    });
    return result;
  }
  const seen = new Map<string, string>();
  try {
    const rootStats = statSync(root);
    seen.set(`${rootStats.dev}:${rootStats.ino}`, root);
  } catch {}
  // Real directories before symbolic links, so an alias is what gets reported, not its target.
  runs.sort(
    (a, b) => Number(a.isSymbolicLink()) - Number(b.isSymbolicLink()) || compare(a.name, b.name),
  );
  for (const run of runs) {
    if (runFilter !== undefined && run.name !== runFilter) continue;
    const dir = join(root, run.name);
    if (!run.isDirectory()) {
      if (!run.isSymbolicLink()) continue;
      // A symlinked run directory is followed once; stat (not lstat) tells where it leads.
      let target: ReturnType<typeof statSync>;
      try {
        target = statSync(dir);
      } catch (err) {
        result.problems.push({
          path: dir,
          code: 'E_UNREADABLE',
          message: `${dir}: broken symbolic link (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
        });
        continue;
      }
      if (!target.isDirectory()) continue;
    }
    let identity: string;
    try {
      const stats = statSync(dir);
      identity = `${stats.dev}:${stats.ino}`;
    } catch (err) {
      result.problems.push({
        path: dir,
        code: 'E_UNREADABLE',
        message: `${dir}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      });
      continue;
    }
    const first = seen.get(identity);
    if (first !== undefined) {
      result.problems.push({
        path: dir,
        code: 'E_UNREADABLE',
        message: `${dir}: is the same directory as ${first} (a symbolic link loop or alias); skipped`,
      });
      continue;
    }
    seen.set(identity, dir);
    let files: Dirent[];
    try {
      files = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      result.problems.push({
        path: dir,
        code: 'E_UNREADABLE',
        message: `${dir}: cannot be listed (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      });
      continue;
    }
    const found: FoundSummary[] = [];
    for (const file of files) {
      const processName = processNameOf(file.name);
      if (processName === undefined) continue;
      // Anything else than a regular file (a directory, a FIFO, a symlink to either) is
      // reported when read, not silently skipped.
      found.push({ runName: run.name, processName, path: join(dir, file.name) });
    }
    found.sort((a, b) => compare(a.processName, b.processName));
    result.summaries.push(...found);
  }
  result.summaries.sort(
    (a, b) => compare(a.runName, b.runName) || compare(a.processName, b.processName),
  );
  return result;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
