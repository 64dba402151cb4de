/**
 * Reading a summary file and judging it, and moving a bad one aside. A file is bad when it
 * is empty, NUL-filled, truncated or otherwise not JSON, fails the schema, or is larger than
 * the limit; it is then renamed `<file>.corrupt-<timestamp>`, never deleted.
 */
import { type FromDictOptions, ProcessSummary } from '@process-summary/core';
import { type FileIdentity, identityOf } from './atomic-write.js';
import { ioError, storeError } from './errors.js';
import { errnoCode, type FileHandleLike, type FileSystem } from './fs-seam.js';

/** What reading a summary file found. */
export type SummaryRead =
  | { kind: 'absent' }
  | { kind: 'ok'; summary: ProcessSummary; identity: FileIdentity; bytes: Buffer }
  /** Unusable: `reason` says why, in words that complete "the file …". */
  | { kind: 'bad'; reason: string; cause?: unknown }
  /** A valid summary of another (run, process): a copied or renamed file. */
  | { kind: 'misplaced'; reason: string };

/** What the file must hold: the run and process its path names. */
export interface ExpectedNames {
  runName: string;
  processName: string;
}

/**
 * Reads and validates the summary at `path`. A file over `maxBytes` is judged by its size
 * alone (never read). I/O errors other than absence throw `E_IO`; a file written by a newer
 * version throws core's `E_UNSUPPORTED_VERSION` (it is not corrupt, and is left alone).
 */
export async function readSummaryFile(
  fs: FileSystem,
  path: string,
  maxBytes: number,
  expected: ExpectedNames,
  options: FromDictOptions | undefined,
): Promise<SummaryRead> {
  let handle: FileHandleLike;
  try {
    handle = await fs.open(path, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { kind: 'absent' };
    throw ioError('opening', path, err);
  }
  let bytes: Buffer;
  let identity: FileIdentity;
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw ioError('reading', path, new Error('not a regular file'));
    }
    identity = identityOf(stats);
    if (stats.size > maxBytes) {
      return { kind: 'bad', reason: `is ${stats.size} bytes, over the limit of ${maxBytes} bytes` };
    }
    bytes = await handle.readFile();
  } catch (err) {
    if (errnoCode(err) === 'E_IO') throw err;
    throw ioError('reading', path, err);
  } finally {
    await handle.close().catch(() => {});
  }
  if (bytes.length > maxBytes) {
    return { kind: 'bad', reason: `is ${bytes.length} bytes, over the limit of ${maxBytes} bytes` };
  }
  const judged = judgeSummaryBytes(bytes, expected, options);
  if (judged.kind !== 'ok') return judged;
  return { kind: 'ok', summary: judged.summary, identity, bytes };
}

type Judged =
  | { kind: 'ok'; summary: ProcessSummary }
  | { kind: 'bad'; reason: string; cause?: unknown }
  | { kind: 'misplaced'; reason: string };

/** Parses and validates the bytes of a summary file. */
export function judgeSummaryBytes(
  bytes: Buffer,
  expected: ExpectedNames,
  options: FromDictOptions | undefined,
): Judged {
  if (bytes.length === 0) return { kind: 'bad', reason: 'is empty' };
  let dict: unknown;
  try {
    dict = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    if (bytes[0] === 0) {
      const reason = bytes.every((b) => b === 0)
        ? `is filled with NUL bytes (${bytes.length})`
        : 'starts with NUL bytes';
      return { kind: 'bad', reason, cause: err };
    }
    const message = (err as Error).message;
    // A summary is one JSON object: text that does not end with its closing brace, or an
    // error at the very end of the input, is a file cut short.
    const text = bytes.toString('utf8').trimEnd();
    const at = /position (\d+)/.exec(message);
    const truncated =
      /end of (JSON )?(input|data)/i.test(message) ||
      !text.endsWith('}') ||
      (at !== null && Number(at[1]) >= text.length - 1);
    return {
      kind: 'bad',
      reason: truncated ? `is truncated (${message})` : `is not valid JSON (${message})`,
      cause: err,
    };
  }
  let summary: ProcessSummary;
  try {
    summary = ProcessSummary.fromDict(dict, options);
  } catch (err) {
    if (errnoCode(err) === 'E_UNSUPPORTED_VERSION') throw err;
    return {
      kind: 'bad',
      reason: `does not match the summary schema (${(err as Error).message})`,
      cause: err,
    };
  }
  if (summary.runName !== expected.runName || summary.processName !== expected.processName) {
    return {
      kind: 'misplaced',
      reason: `holds run ${JSON.stringify(summary.runName)} process ${JSON.stringify(summary.processName)}, not the run ${JSON.stringify(expected.runName)} process ${JSON.stringify(expected.processName)} its path names`,
    };
  }
  return { kind: 'ok', summary };
}

/** `2025-01-15T10:30:45.123Z` → `2025-01-15T10-30-45.123Z`: no `:` (refused on some file systems). */
export function quarantineStamp(date = new Date()): string {
  return date.toISOString().replaceAll(':', '-');
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
  const base = `${path}.corrupt-${quarantineStamp(now)}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    const target = attempt === 0 ? base : `${base}-${attempt}`;
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
