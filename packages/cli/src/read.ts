/**
 * Reading the targets of a command into inspect's detail views: a store summary through
 * `readDetail` (a process with workers merged), a bare file through store-fs's read-only file
 * inspection. Problems are collected, never thrown, so one bad summary does not hide the rest.
 */
import type { ReadResult } from '@process-summary/core';
import {
  type DetailView,
  detailOf,
  judgeStatus,
  readDetail,
  type UnusableSummary,
} from '@process-summary/inspect';
import type { Context } from './context.js';
import { readSummaryFile } from './summary-file.js';
import type { Target } from './targets.js';

/** A target that could not be used, for an error line. */
export interface ReadProblem {
  /** Where it is (a path for the file store). */
  path: string;
  /** `E_NOT_FOUND`, `E_UNREADABLE`, `E_TOO_LARGE`, `E_INVALID_SUMMARY`, `E_UNSUPPORTED_VERSION`. */
  code: string;
  /** `needs_repair` when history exists that `repair` can rebuild it from. */
  status: UnusableSummary['status'];
  /** One line, not escaped. */
  message: string;
}

/** The problem line of an unusable summary. */
export function problemOf(u: UnusableSummary): ReadProblem {
  return { path: u.location, code: u.code, status: u.status, message: u.message };
}

/** Reads each target in order, in full; a bad one becomes a problem, the others are still read. */
export async function readTargets(
  context: Context,
  targets: readonly Target[],
): Promise<{ views: DetailView[]; problems: ReadProblem[] }> {
  const views: DetailView[] = [];
  const problems: ReadProblem[] = [];
  const options = { now: context.now(), staleAfterSeconds: context.staleAfterSeconds, full: true };
  for (const target of targets) {
    if (target.kind === 'file') {
      const read = readFile(target.path, context.maxFileBytes);
      if ('problem' in read) problems.push(read.problem);
      // A bare file has no store to judge its owner by: its silence alone decides.
      else views.push(detailOf(read.read, judgeStatus(read.read, null, options)));
      continue;
    }
    const result = await readDetail(context.store, target.ref, options);
    if (result.detail !== null) views.push(result.detail);
    problems.push(...result.unusable.map(problemOf));
  }
  return { views, problems };
}

/** A summary file named on the command line, as the `ReadResult` inspect works on. */
function readFile(
  path: string,
  maxFileBytes: number,
): { read: ReadResult } | { problem: ReadProblem } {
  const file = readSummaryFile(path, { maxFileBytes });
  if (!file.ok) {
    return {
      problem: {
        path,
        code: file.code,
        status:
          file.code === 'E_INVALID_SUMMARY' || file.code === 'E_UNSUPPORTED_VERSION'
            ? 'invalid'
            : file.code === 'E_NOT_FOUND'
              ? 'missing'
              : 'unreadable',
        message: file.message,
      },
    };
  }
  const dict = file.dict as ReadResult['dict'] & { worker?: unknown };
  return {
    read: {
      // Named by what the file says it is: the CLI does not parse file names.
      ref: {
        runName: String(file.dict.run_name),
        processName: String(file.dict.process_name),
        worker: typeof dict?.worker === 'string' ? dict.worker : null,
      },
      location: path,
      dict: file.dict,
      problem: null,
      seedFormat: file.seedFormat,
      writtenAt: file.mtimeSeconds,
      epoch: null,
      hasHistory: false,
      sizeBytes: file.sizeBytes,
    },
  };
}
