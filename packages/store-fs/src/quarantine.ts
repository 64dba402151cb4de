/**
 * Reading a summary file for the store and judging it, and moving a bad one aside. A file is bad when it
 * is empty, NUL-filled, truncated or otherwise not JSON, fails the schema, or is larger than
 * the limit; it is then moved aside (the layout's quarantine name), never deleted.
 */
import { type FromDictOptions, ProcessSummary, type ValidationIssue } from '@process-summary/core';
import type { FileIdentity } from './atomic-write.js';
import { ioError, storeError } from './errors.js';
import { errnoCode, type FileSystem } from './fs-seam.js';
import { readSummaryJson, schemaProblem } from './inspect.js';
import { quarantinePathFor, quarantineStamp } from './layout.js';

/** What reading a summary file found. */
export type SummaryRead =
  | { kind: 'absent' }
  | {
      kind: 'ok';
      summary: ProcessSummary;
      identity: FileIdentity;
      bytes: Buffer;
      /** The lease epoch stamped in the file (`owner_epoch`), or null for an unfenced write. */
      epoch: number | null;
    }
  /** Unusable: `reason` says why, in words that complete "the file …". */
  | { kind: 'bad'; reason: string; cause?: unknown }
  /** A valid summary of another (run, process): a copied or renamed file. */
  | { kind: 'misplaced'; reason: string };

/** What the file must hold: the run and process its path names. */
export interface ExpectedNames {
  runName: string;
  processName: string;
  worker?: string | null;
}

/**
 * Reads and validates the summary at `path` with the steps of `inspectSummaryFile` (open
 * without blocking, refuse a non-regular or oversized file, read, parse), then builds the
 * summary, which validates it against the schema. A file over `maxBytes` is judged by its
 * size alone (never read). I/O errors other than absence, and a path that is not a regular
 * file, throw `E_IO`; a file written by a newer version throws core's `E_UNSUPPORTED_VERSION`
 * (it is not corrupt, and is left alone).
 */
export async function readSummaryFile(
  fs: FileSystem,
  path: string,
  maxBytes: number,
  expected: ExpectedNames,
  options: FromDictOptions | undefined,
): Promise<SummaryRead> {
  // Never followed: a link where a summary belongs could lead out of the root.
  const read = await readSummaryJson(fs, path, maxBytes, false);
  if (!read.ok) {
    if (read.code === 'E_NOT_FOUND') return { kind: 'absent' };
    if (read.code === 'E_UNREADABLE') {
      const cause = read.cause ?? Object.assign(new Error(read.reason), { code: read.errno });
      throw ioError('reading', path, cause, `It ${read.reason}.`);
    }
    return { kind: 'bad', reason: read.reason, cause: read.cause };
  }
  let summary: ProcessSummary;
  try {
    summary = ProcessSummary.fromParsedDict(read.value, options);
  } catch (err) {
    if (errnoCode(err) === 'E_UNSUPPORTED_VERSION') throw err;
    const issues = (err as { issues?: ValidationIssue[] }).issues ?? [];
    const reason =
      issues.length > 0
        ? schemaProblem(path, issues).reason
        : `does not match the summary schema (${(err as Error).message})`;
    return { kind: 'bad', reason, cause: err };
  }
  if (
    summary.runName !== expected.runName ||
    summary.processName !== expected.processName ||
    summary.worker !== (expected.worker ?? null)
  ) {
    const names = (run: string, process: string, worker: string | null) =>
      `run ${JSON.stringify(run)} process ${JSON.stringify(process)}${worker === null ? '' : ` worker ${JSON.stringify(worker)}`}`;
    return {
      kind: 'misplaced',
      reason: `holds ${names(summary.runName, summary.processName, summary.worker)}, not the ${names(expected.runName, expected.processName, expected.worker ?? null)} its path names`,
    };
  }
  const stamped = (read.value as { owner_epoch?: unknown }).owner_epoch;
  const epoch =
    typeof stamped === 'number' && Number.isSafeInteger(stamped) && stamped >= 0 ? stamped : null;
  return { kind: 'ok', summary, identity: read.identity, bytes: read.bytes, epoch };
}

/**
 * Moves `path` aside as `<path>.corrupt-<timestamp>` (a `-<n>` suffix if that name is taken)
 * and returns the new path. With `keepOriginal` the bad file is hard-linked instead, so the
 * path is never empty until a good version is renamed over it; where hard links are not
 * supported it is renamed.
 */
export async function quarantineFile(
  fs: FileSystem,
  path: string,
  keepOriginal: boolean,
  now = new Date(),
): Promise<string> {
  const stamp = quarantineStamp(now);
  for (let attempt = 0; attempt < 100; attempt++) {
    const target = quarantinePathFor(path, stamp, attempt);
    try {
      if (keepOriginal) {
        try {
          await fs.link(path, target);
          return target;
        } catch (err) {
          const code = errnoCode(err);
          if (code === 'EEXIST' || code === 'ENOENT') throw err;
          // No hard links here (EPERM, ENOTSUP, EXDEV…): move it instead.
        }
      }
      // rename() would replace an existing quarantined file: check the name is free first.
      if (await exists(fs, target)) continue;
      await fs.rename(path, target);
      return target;
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') continue;
      throw ioError('moving aside', path, err);
    }
  }
  throw storeError('E_IO', `moving aside ${path} failed: no free quarantine name`);
}

async function exists(fs: FileSystem, path: string): Promise<boolean> {
  try {
    await fs.stat(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}
