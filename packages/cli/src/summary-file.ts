/**
 * Reading a summary file without changing anything: no quarantine, no restore (the store's
 * `load` moves corrupt files aside, which an inspection tool must not do). A file is
 * stat-ed before it is read, so a FIFO, a device or a file over the size limit gives an
 * error for that file instead of a hang or an exhausted heap.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { checkSummaryDict, type ValidatedDict, type ValidationIssue } from '@process-summary/core';

/** A validated summary dictionary: the seed's keys always, the additions when not seed format. */
export type FileDict = ValidatedDict;

/** A summary file read and validated. */
export interface SummaryFile {
  path: string;
  dict: FileDict;
  /** Written by the Python original: times are perf_counter seconds, not dates. */
  seedFormat: boolean;
  sizeBytes: number;
  /** The file's modification time, epoch seconds. */
  mtimeSeconds: number;
}

/** Why a file could not be used; `code` maps to an exit code in `main.ts`. */
export interface SummaryFileProblem {
  path: string;
  code: 'E_NOT_FOUND' | 'E_UNREADABLE' | 'E_INVALID_SUMMARY' | 'E_UNSUPPORTED_VERSION';
  /** One line, naming the file and the reason (not escaped: escape before printing). */
  message: string;
  issues: ValidationIssue[];
}

/** The result of {@link readSummaryFile}. */
export type SummaryFileRead = ({ ok: true } & SummaryFile) | ({ ok: false } & SummaryFileProblem);

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
  const problem = (
    code: SummaryFileProblem['code'],
    message: string,
    issues: ValidationIssue[] = [],
  ): SummaryFileRead => ({ ok: false, path, code, message: `${path}: ${message}`, issues });
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT') return problem('E_NOT_FOUND', 'no such file');
    return problem('E_UNREADABLE', `cannot be opened (${errno ?? String(err)})`);
  }
  let bytes: Buffer;
  let mtimeSeconds: number;
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return problem('E_UNREADABLE', 'is not a regular file');
    if (stats.size > options.maxFileBytes) {
      return problem(
        'E_UNREADABLE',
        `is ${stats.size} bytes, over the limit of ${options.maxFileBytes} bytes; not read`,
      );
    }
    mtimeSeconds = stats.mtimeMs / 1000;
    bytes = Buffer.allocUnsafe(stats.size);
    let filled = 0;
    while (filled < bytes.length) {
      const read = readSync(fd, bytes, filled, bytes.length - filled, filled);
      if (read === 0) break;
      filled += read;
    }
    // A file that shrank while being read is judged by what was there.
    bytes = bytes.subarray(0, filled);
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code;
    return problem('E_UNREADABLE', `cannot be read (${errno ?? String(err)})`);
  } finally {
    closeSync(fd);
  }
  if (bytes.length === 0) return problem('E_INVALID_SUMMARY', 'is empty');
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return problem('E_INVALID_SUMMARY', `is not valid JSON (${(err as Error).message})`);
  }
  const checked = options.fullValidation === false ? quickCheck(value) : checkSummaryDict(value);
  if (!checked.valid) {
    const first = checked.issues[0];
    const code = first?.path === '/schema_version' ? 'E_UNSUPPORTED_VERSION' : 'E_INVALID_SUMMARY';
    return problem(code, describeIssue(first), checked.issues);
  }
  return {
    ok: true,
    path,
    dict: value as FileDict,
    seedFormat: checked.seedFormat,
    sizeBytes: bytes.length,
    mtimeSeconds,
  };
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

const LIST_NUMBERS = [
  'items_processed',
  'items_successful',
  'items_failed',
  'error_count',
  'interruption_count',
  'processing_rate_per_second',
  'success_rate_percent',
  'start_time',
] as const;

/**
 * The checks a listing needs, without the full schema: an object with string names and
 * finite non-negative numbers where the table reads them. Everything else is read defensively.
 */
function quickCheck(value: unknown): {
  valid: boolean;
  seedFormat: boolean;
  issues: ValidationIssue[];
} {
  const issue = (path: string, message: string, expected: string, found: unknown) => ({
    valid: false,
    seedFormat: false,
    issues: [{ path, message, expected, found: describeValue(found) }],
  });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return issue('', 'must be object', 'object', value);
  }
  const dict = value as Record<string, unknown>;
  const version = dict.schema_version;
  if (typeof version === 'number' && version > 1) {
    return issue(
      '/schema_version',
      `schema_version ${version} is newer than this reader (1)`,
      '<= 1',
      version,
    );
  }
  for (const key of ['run_name', 'process_name'] as const) {
    if (typeof dict[key] !== 'string')
      return issue(`/${key}`, 'must be string', 'string', dict[key]);
  }
  for (const key of LIST_NUMBERS) {
    const number = dict[key];
    if (typeof number !== 'number' || !Number.isFinite(number) || number < 0) {
      return issue(`/${key}`, 'must be number', 'number >= 0', number);
    }
  }
  return { valid: true, seedFormat: version === undefined, issues: [] };
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
