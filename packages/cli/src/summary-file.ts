/**
 * Reading a summary file named on the command line (`show <file>`, `validate <file…>`) without
 * changing anything, through store-fs's `inspectSummaryFileSync`: such a file need not sit in
 * a store. Summaries of the store are read through the store (`read.ts`). This module only maps
 * the answer to the CLI's error codes and messages.
 */
import type { ValidatedDict, ValidationIssue } from '@process-summary/core';
import {
  describeIssue,
  type InspectedSummary,
  inspectSummaryFileSync,
  type SummaryFileProblem as StoreProblem,
} from '@process-summary/store-fs';

export { describeIssue };

/** A validated summary dictionary: the seed's keys always, the additions when not seed format. */
export type FileDict = ValidatedDict;

/** A summary file read and validated (`path`, `dict`, `seedFormat`, `sizeBytes`, `mtimeSeconds`). */
export type SummaryFile = InspectedSummary;

/** Why a file could not be used; `code` maps to an exit code in `main.ts`. */
export interface SummaryFileProblem {
  path: string;
  code: 'E_NOT_FOUND' | 'E_UNREADABLE' | 'E_INVALID_SUMMARY' | 'E_UNSUPPORTED_VERSION';
  /** One line, naming the file and the reason (not escaped: escape before printing). */
  message: string;
  issues: ValidationIssue[];
}

/** The result of {@link readSummaryFile}. */
export type SummaryFileRead = SummaryFile | ({ ok: false } & SummaryFileProblem);

/** Options of {@link readSummaryFile}. */
export interface ReadOptions {
  /** Files larger than this are refused unread (store-fs's `DEFAULT_MAX_FILE_BYTES` by default). */
  maxFileBytes: number;
  /**
   * Validate against the full JSON Schema (default). `false` checks only what a listing
   * shows — the types of the counters and names — which is much cheaper for big files.
   */
  fullValidation?: boolean;
}

/**
 * Reads and validates the summary at `path`. Never throws for a bad or missing file: the
 * problem is returned, so a listing can show it and go on.
 */
export function readSummaryFile(path: string, options: ReadOptions): SummaryFileRead {
  const read = inspectSummaryFileSync(path, options);
  return read.ok ? read : toCliProblem(read);
}

function toCliProblem(problem: StoreProblem): { ok: false } & SummaryFileProblem {
  // A file too large to read is, for the exit code, one that cannot be read (exit 3).
  const code = problem.code === 'E_TOO_LARGE' ? 'E_UNREADABLE' : problem.code;
  // A schema problem is shown by its first issue, with its JSON path; `validate` lists all.
  const message =
    problem.issues.length > 0
      ? `${problem.path}: ${describeIssue(problem.issues[0])}`
      : problem.message;
  return { ok: false, path: problem.path, code, message, issues: problem.issues };
}
