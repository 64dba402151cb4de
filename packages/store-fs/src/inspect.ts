/**
 * Reading a summary file and judging it without changing anything: no quarantine, no restore.
 * The store's `load` uses the same steps (then moves a bad file aside); an inspection tool
 * such as `summary-inspect` uses {@link inspectSummaryFile}, which never writes.
 *
 * The file is opened with `O_NONBLOCK` and fstat-ed before a byte is read, so a FIFO or a
 * device gives an answer at once instead of a hang, and a file over the size limit is judged
 * by its size alone instead of exhausting the heap.
 */
import { isAscii } from 'node:buffer';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import {
  checkListedFields,
  checkSummaryDict,
  type ValidatedDict,
  type ValidationIssue,
} from '@process-summary/core';
import { type FileIdentity, identityOf } from './atomic-write.js';
import {
  errnoCode,
  type FileHandleLike,
  type FileSystem,
  nodeFileSystem,
  type StatsLike,
} from './fs-seam.js';
import { parseListedMembers } from './listing-text.js';

/** Default size limit of a summary file (`maxFileBytes`): 64 MiB. */
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

/**
 * `O_RDONLY | O_NONBLOCK`: opening a FIFO for reading would otherwise wait for a writer
 * forever. On a regular file O_NONBLOCK changes nothing.
 */
const OPEN_FOR_INSPECTION = constants.O_RDONLY | constants.O_NONBLOCK;
/** With `O_NOFOLLOW`: a symbolic link in place of the file fails to open (`ELOOP`). */
const OPEN_NOT_FOLLOWING = OPEN_FOR_INSPECTION | constants.O_NOFOLLOW;

/**
 * Why a summary file cannot be used:
 * - `E_NOT_FOUND`: there is no file;
 * - `E_UNREADABLE`: it cannot be opened or read, or is not a regular file (a directory, a
 *   FIFO, a device); `errno` says why when the system did;
 * - `E_TOO_LARGE`: it is larger than `maxFileBytes` (not read);
 * - `E_INVALID_SUMMARY`: empty, NUL-filled, truncated or otherwise not JSON, or not a summary
 *   (`issues` lists the schema problems);
 * - `E_UNSUPPORTED_VERSION`: written by a newer version of this library.
 */
export type SummaryProblemCode =
  | 'E_NOT_FOUND'
  | 'E_UNREADABLE'
  | 'E_TOO_LARGE'
  | 'E_INVALID_SUMMARY'
  | 'E_UNSUPPORTED_VERSION';

/** A summary file read and validated by {@link inspectSummaryFile}. */
export interface InspectedSummary {
  ok: true;
  path: string;
  /**
   * The summary dictionary: the seed's keys always, the additions when not seed format. With
   * `fullValidation: false` only the names and the counters a listing shows were checked:
   * read the rest defensively.
   */
  dict: ValidatedDict;
  /** Written by the Python original (no `schema_version`): times are perf_counter seconds. */
  seedFormat: boolean;
  sizeBytes: number;
  /** The file's modification time, epoch seconds. */
  mtimeSeconds: number;
}

/** A summary file that cannot be used, and why. */
export interface SummaryFileProblem {
  ok: false;
  path: string;
  code: SummaryProblemCode;
  /** Why, completing "the file …": `is empty`, `is not valid JSON (…)`, `is not a regular file`. */
  reason: string;
  /** `<path>: <reason>`, one line (not escaped: escape before printing to a terminal). */
  message: string;
  /** The schema problems, for `E_INVALID_SUMMARY` and `E_UNSUPPORTED_VERSION`; else empty. */
  issues: ValidationIssue[];
  /** The errno code (`EACCES`, `EIO`…) of an `E_UNREADABLE` file, when the system gave one. */
  errno?: string;
  /** The error behind the problem (a system error, a JSON syntax error), when there is one. */
  cause?: unknown;
}

/** The result of {@link inspectSummaryFile}: never thrown, so a listing can show it and go on. */
export type SummaryInspection = InspectedSummary | SummaryFileProblem;

/** Options of {@link inspectSummaryFile}. */
export interface InspectSummaryOptions {
  /** Larger files are refused unread (`E_TOO_LARGE`). Default {@link DEFAULT_MAX_FILE_BYTES}. */
  maxFileBytes?: number;
  /**
   * Validate against the full JSON Schema (default). `false` checks only what a listing
   * shows — an object, string names, finite non-negative counters and rates, a supported
   * `schema_version` — which is much cheaper for files with many progress updates.
   */
  fullValidation?: boolean;
  /** The file-system calls. Default: `node:fs/promises`. */
  fs?: FileSystem;
  /**
   * Follow a symbolic link at `path` (default `true`: a file named by a person). The store
   * passes `false`: a link where a summary belongs is refused (`E_UNREADABLE`), never followed
   * out of the root.
   */
  followSymlinks?: boolean;
}

/**
 * Reads and judges the summary file at `path` without changing anything on disk (the store's
 * `load` moves a bad file aside; this never does). Resolves an {@link InspectedSummary}, or a
 * {@link SummaryFileProblem} naming the file and the reason; it does not reject for a missing,
 * unreadable or invalid file. Goes through `options.fs` (the store's file-system seam).
 */
export async function inspectSummaryFile(
  path: string,
  options: InspectSummaryOptions = {},
): Promise<SummaryInspection> {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  return judgeParsed(
    await readSummaryJson(
      options.fs ?? nodeFileSystem,
      path,
      maxFileBytes,
      options.followSymlinks ?? true,
    ),
    options,
  );
}

/**
 * {@link inspectSummaryFile}, synchronously and with `node:fs` directly (`options.fs` is not
 * used), for tools that read thousands of files: a listing of 10,000 summaries spends about
 * 15 µs per file in system calls this way, against about 300 µs through `node:fs/promises`,
 * whose every call is a round trip to the thread pool.
 */
export function inspectSummaryFileSync(
  path: string,
  options: Omit<InspectSummaryOptions, 'fs'> = {},
): SummaryInspection {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  return judgeParsed(
    readSummaryJsonSync(path, maxFileBytes, options.followSymlinks ?? true),
    options,
  );
}

/**
 * What a store's listing reads of the summary file at `path`: {@link inspectSummaryFile} with
 * `fullValidation: false`, whose `dict` holds at least the listed fields and `owner_epoch` (see
 * `listing-text.ts`: a listing parses only those members of a file in the usual layout).
 */
export async function inspectListedFields(
  path: string,
  options: { maxFileBytes: number; fs: FileSystem; followSymlinks: boolean },
): Promise<SummaryInspection> {
  return judgeParsed(
    await readSummaryJson(
      options.fs,
      path,
      options.maxFileBytes,
      options.followSymlinks,
      parseListedMembers,
    ),
    LISTING_CHECK,
  );
}

/** {@link inspectListedFields} with synchronous `node:fs` calls (see {@link inspectSummaryFileSync}). */
export function inspectListedFieldsSync(
  path: string,
  options: { maxFileBytes: number; followSymlinks: boolean },
): SummaryInspection {
  return judgeParsed(
    readSummaryJsonSync(path, options.maxFileBytes, options.followSymlinks, parseListedMembers),
    LISTING_CHECK,
  );
}

const LISTING_CHECK = { fullValidation: false } as const;

function judgeParsed(
  read: ParsedText | SummaryFileProblem,
  options: { fullValidation?: boolean },
): SummaryInspection {
  if (!read.ok) return read;
  const checked =
    options.fullValidation === false ? checkListedFields(read.value) : checkSummaryDict(read.value);
  if (!checked.valid) return schemaProblem(read.path, checked.issues);
  return {
    ok: true,
    path: read.path,
    dict: read.value as ValidatedDict,
    seedFormat: checked.seedFormat,
    sizeBytes: read.bytes.length,
    mtimeSeconds: read.mtimeMs / 1000,
  };
}

/** A file's bytes parsed as JSON, not yet validated. */
interface ParsedText {
  ok: true;
  path: string;
  value: unknown;
  bytes: Buffer;
  mtimeMs: number;
}

/** A file read and parsed as JSON, not yet validated (see {@link readSummaryJson}). */
export interface ParsedSummaryFile extends ParsedText {
  /** What a later save compares to tell whether the file is still the one read. */
  identity: FileIdentity;
}

/**
 * The steps every reader of a summary file shares: open without blocking, refuse what is not
 * a regular file or is over `maxFileBytes`, read, parse. Validation is the caller's: the
 * store builds a `ProcessSummary` (which validates), {@link inspectSummaryFile} checks only.
 */
export async function readSummaryJson(
  fs: FileSystem,
  path: string,
  maxFileBytes: number,
  followSymlinks: boolean,
  parse: (text: string) => unknown = JSON.parse,
): Promise<ParsedSummaryFile | SummaryFileProblem> {
  let handle: FileHandleLike;
  try {
    handle = await fs.open(path, followSymlinks ? OPEN_FOR_INSPECTION : OPEN_NOT_FOLLOWING);
  } catch (err) {
    return openProblem(path, err, followSymlinks);
  }
  let bytes: Buffer;
  let stats: StatsLike;
  try {
    stats = await handle.stat();
    const refused = refuseUnreadable(path, stats, maxFileBytes);
    if (refused !== undefined) return refused;
    // As many bytes as stat announced: a summary is replaced by rename, never rewritten in
    // place, so a file that changes while being read is judged by what was there.
    bytes = Buffer.allocUnsafe(stats.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    bytes = bytes.subarray(0, filled);
  } catch (err) {
    return readProblem(path, err);
  } finally {
    await handle.close().catch(() => {});
  }
  const parsed = parseSummaryBytes(path, bytes, stats, parse);
  return parsed.ok ? { ...parsed, identity: identityOf(stats) } : parsed;
}

/**
 * The buffer synchronous inspections read into, reused: a listing reads thousands of files
 * and needs only their text, so a fresh buffer per file would be garbage at once. Files larger
 * than this get their own.
 */
let scratch = Buffer.allocUnsafe(0);
const MAX_SCRATCH_BYTES = 1024 * 1024;

/**
 * {@link readSummaryJson} with synchronous `node:fs` calls (see {@link inspectSummaryFileSync}).
 * Its `bytes` are valid only until the next call: its callers keep only their length.
 */
function readSummaryJsonSync(
  path: string,
  maxFileBytes: number,
  followSymlinks: boolean,
  parse: (text: string) => unknown = JSON.parse,
): ParsedText | SummaryFileProblem {
  let fd: number;
  try {
    fd = openSync(path, followSymlinks ? OPEN_FOR_INSPECTION : OPEN_NOT_FOLLOWING);
  } catch (err) {
    return openProblem(path, err, followSymlinks);
  }
  let bytes: Buffer;
  let stats: StatsLike;
  try {
    stats = fstatSync(fd);
    const refused = refuseUnreadable(path, stats, maxFileBytes);
    if (refused !== undefined) return refused;
    if (stats.size <= MAX_SCRATCH_BYTES) {
      if (scratch.length < stats.size) scratch = Buffer.allocUnsafe(Math.max(stats.size, 65536));
      bytes = scratch.subarray(0, stats.size);
    } else {
      bytes = Buffer.allocUnsafe(stats.size);
    }
    let filled = 0;
    while (filled < bytes.length) {
      const bytesRead = readSync(fd, bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    bytes = bytes.subarray(0, filled);
  } catch (err) {
    return readProblem(path, err);
  } finally {
    closeSync(fd);
  }
  return parseSummaryBytes(path, bytes, stats, parse);
}

function openProblem(path: string, err: unknown, followSymlinks: boolean): SummaryFileProblem {
  const errno = errnoCode(err);
  if (errno === 'ENOENT') return problem(path, 'E_NOT_FOUND', 'does not exist', { cause: err });
  if (errno === 'ELOOP' && !followSymlinks) {
    return problem(path, 'E_UNREADABLE', 'is a symbolic link (not followed)', {
      cause: err,
      errno,
    });
  }
  return problem(path, 'E_UNREADABLE', `cannot be opened (${errno ?? String(err)})`, {
    cause: err,
    ...(errno === undefined ? {} : { errno }),
  });
}

function readProblem(path: string, err: unknown): SummaryFileProblem {
  const errno = errnoCode(err);
  return problem(path, 'E_UNREADABLE', `cannot be read (${errno ?? String(err)})`, {
    cause: err,
    ...(errno === undefined ? {} : { errno }),
  });
}

/** A FIFO, a device or a directory is never read; neither is a file over the limit. */
function refuseUnreadable(
  path: string,
  stats: StatsLike,
  maxFileBytes: number,
): SummaryFileProblem | undefined {
  if (!stats.isFile()) return problem(path, 'E_UNREADABLE', 'is not a regular file');
  if (stats.size > maxFileBytes) {
    return problem(
      path,
      'E_TOO_LARGE',
      `is ${stats.size} bytes, over the limit of ${maxFileBytes} bytes; not read`,
    );
  }
  return undefined;
}

/**
 * The text of a summary file. Most are ASCII (JSON escapes what is not, and names and messages
 * mostly are): checked at memory speed, ASCII decodes as a copy, several times faster than
 * UTF-8 decoding, the same string.
 */
function decode(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/**
 * Parses the bytes of a summary file as JSON (with `parse`: `JSON.parse`, or a listing's parse
 * of the listed members), telling empty, NUL-filled and cut-short files apart.
 */
function parseSummaryBytes(
  path: string,
  bytes: Buffer,
  stats: StatsLike,
  parse: (text: string) => unknown,
): ParsedText | SummaryFileProblem {
  if (bytes.length === 0) return problem(path, 'E_INVALID_SUMMARY', 'is empty');
  try {
    const value: unknown = parse(decode(bytes));
    return { ok: true, path, value, bytes, mtimeMs: stats.mtimeMs };
  } catch (err) {
    if (bytes[0] === 0) {
      const reason = bytes.every((b) => b === 0)
        ? `is filled with NUL bytes (${bytes.length})`
        : 'starts with NUL bytes';
      return problem(path, 'E_INVALID_SUMMARY', reason, { cause: err });
    }
    const message = (err as Error).message;
    // Only a file cut short is called truncated: the parser stopped at the very end of the
    // input (an unterminated string or object). An error before the end (trailing garbage
    // after a complete object, a bad token) is damage, not truncation.
    const text = bytes.toString('utf8');
    const at = /position (\d+)/.exec(message);
    const truncated =
      /end of (JSON )?(input|data)/i.test(message) ||
      (at !== null && Number(at[1]) >= text.trimEnd().length);
    const reason = truncated
      ? `is not valid JSON: truncated (${message})`
      : `is not valid JSON (${message})`;
    return problem(path, 'E_INVALID_SUMMARY', reason, { cause: err });
  }
}

/** The problem of a parsed file that is not a valid summary (or is of a newer version). */
export function schemaProblem(
  path: string,
  issues: readonly ValidationIssue[],
): SummaryFileProblem {
  const first = issues[0];
  if (first?.path === '/schema_version') {
    return problem(
      path,
      'E_UNSUPPORTED_VERSION',
      `was written by a newer version: ${first.message}`,
      {
        issues,
      },
    );
  }
  return problem(
    path,
    'E_INVALID_SUMMARY',
    `does not match the summary schema (${describeIssue(first)})`,
    { issues },
  );
}

/** `at /items_failed: must be integer (expected integer, found "x")`. */
export function describeIssue(issue: ValidationIssue | undefined): string {
  if (issue === undefined) return 'does not match the summary schema';
  const where = issue.path === '' ? '(root)' : issue.path;
  const expected = issue.expected === undefined ? '' : `expected ${issue.expected}`;
  const found = issue.found === undefined ? '' : `found ${issue.found}`;
  const detail = [expected, found].filter((s) => s !== '').join(', ');
  return `at ${where}: ${issue.message}${detail === '' ? '' : ` (${detail})`}`;
}

function problem(
  path: string,
  code: SummaryProblemCode,
  reason: string,
  extra: { issues?: readonly ValidationIssue[]; errno?: string; cause?: unknown } = {},
): SummaryFileProblem {
  return {
    ok: false,
    path,
    code,
    reason,
    message: `${path}: ${reason}`,
    issues: [...(extra.issues ?? [])],
    ...(extra.errno === undefined ? {} : { errno: extra.errno }),
    ...(extra.cause === undefined ? {} : { cause: extra.cause }),
  };
}
