/**
 * The append-only journal beside a summary: `process_summary_<process>.events.jsonl`, one
 * JSON object per line (every progress update, error, session start and end, interruption),
 * so the complete history survives while the summary file stays bounded.
 *
 * Appends are made durable (fdatasync) before the summary that counts them is renamed into
 * place. A crash can leave a torn last line; it is dropped (truncated away, with a warning)
 * before this store's first append to that journal. A corrupt line in the middle is never
 * dropped: the reader reports it.
 *
 * The synchronous path (`saveSync`, in exit and signal handlers) appends to the same journal
 * while an asynchronous append may be in progress, so a truncation here (cutting back a
 * failed append, dropping a torn tail) must never cut lines that path appended meanwhile.
 * The sync path records each append in the in-progress marker of the async one
 * ({@link JournalWriter.noteSyncAppend}), and every truncation here is decided and done in one
 * synchronous step on the main thread ({@link truncateUnlessAppended}): the decision and
 * `ftruncate` cannot be separated by a `saveSync`, whereas an asynchronous truncate queued in
 * the thread pool could land after one. Conversely the sync path does not cut back its own
 * failed append while an async one is in progress (it might cut the async one's lines).
 */
import * as nodeFs from 'node:fs';
import type { ProcessSummaryError, SummaryEvent } from '@process-summary/core';
import { ioError, shortWriteError, storeError } from './errors.js';
import { errnoCode, type FileHandleLike, type FileSystem } from './fs-seam.js';
import type { Logger } from './logger.js';

/** Default {@link ReadJournalOptions.maxLineBytes}: far above any line the store writes. */
export const DEFAULT_MAX_JOURNAL_LINE_BYTES = 16 * 1024 * 1024;
const DEFAULT_CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
/**
 * How the journal is opened: never through a symbolic link (`ELOOP`: a link where the journal
 * belongs could lead out of the root), never waiting (`O_NONBLOCK`: a FIFO fails at once, as
 * `ENXIO` for a writer, or is refused as not a regular file for a reader).
 */
const { O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } = nodeFs.constants;
const OPEN_APPEND = O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK;
const OPEN_REPAIR = O_RDWR | O_NOFOLLOW | O_NONBLOCK;
const OPEN_READ = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;

/** How much of a corrupt line an entry quotes. */
export const CORRUPT_TEXT_BYTES = 4096;

/**
 * One line of a journal, as {@link readJournal} yields it. `offset` is the byte offset where
 * the line starts; `nextOffset` is where to resume reading after this entry (give it back as
 * {@link ReadJournalOptions.startOffset}, with `line + 1` as `startLine`):
 * - `event`: a well-formed line; `nextOffset` is just after its newline;
 * - `corrupt`: a line that is not a JSON object with a string `type` (or is longer than
 *   `maxLineBytes`); `error.code` is `E_CORRUPT_EVENT` and its message names the line;
 *   `nextOffset` is just after its newline;
 * - `torn`: bytes after the last newline, left by a crash during an append or an append in
 *   progress; `nextOffset` is its own `offset`, so a reader that resumes there reads the line
 *   once it is complete. The store truncates a torn tail away before its next append.
 */
export type JournalEntry =
  | { kind: 'event'; line: number; offset: number; nextOffset: number; event: SummaryEvent }
  | {
      kind: 'corrupt';
      line: number;
      offset: number;
      nextOffset: number;
      error: ProcessSummaryError;
      /** The line as text (its first {@link CORRUPT_TEXT_BYTES} bytes); empty when over `maxLineBytes`. */
      text: string;
    }
  | { kind: 'torn'; line: number; offset: number; nextOffset: number; bytes: number };

/** Options of {@link readJournal}. */
export interface ReadJournalOptions {
  /** Bytes read at a time. Default 64 KiB: memory stays flat whatever the journal's size. */
  chunkBytes?: number;
  /** A longer line is reported as corrupt without being held in memory. Default 16 MiB. */
  maxLineBytes?: number;
  /**
   * The byte offset to start reading at, to resume where an earlier read stopped (an entry's
   * `nextOffset`). Default 0. It must be the start of a line — 0, or just after a newline —
   * and not past the end of the journal: otherwise reading rejects with `E_INVALID_OFFSET`
   * before yielding anything (the journal was truncated or replaced since the offset was
   * taken; read it again from 0). Not a non-negative integer: `E_INVALID_ARGUMENT`.
   */
  startOffset?: number;
  /**
   * The line number of the line at `startOffset`, so that line numbers (in entries and in
   * error messages) stay those of the whole journal: the last entry's `line + 1`. Default 1.
   */
  startLine?: number;
}

/** Serializes events as journal lines: one `JSON.stringify(event)` and a newline each. */
export function journalLines(events: readonly SummaryEvent[]): Buffer {
  let text = '';
  for (const event of events) text += `${JSON.stringify(event)}\n`;
  return Buffer.from(text, 'utf8');
}

/** Appends events to journals, repairing a torn tail once per journal before the first append. */
export class JournalWriter {
  readonly #fs: FileSystem;
  readonly #logger: Logger;
  /**
   * Journals whose tail this writer checked (and repaired if needed), with the file as its
   * last append of its own left it (null: not known, as after a synchronous append). A journal
   * that is no longer that file (another process appended, perhaps torn, or replaced it) has its
   * tail checked again: a writer kept for many saves must not append after a stranger's torn line.
   */
  readonly #checked = new Map<string, { ino: number; size: number } | null>();
  /** The asynchronous append in progress on each journal (at most one: writes are sequential). */
  readonly #inProgress = new Map<string, AppendInProgress>();

  constructor(fs: FileSystem, logger: Logger) {
    this.#fs = fs;
    this.#logger = logger;
  }

  /**
   * Appends `data` (whole lines) to the journal at `path` in one write and fdatasyncs it.
   * On failure the journal is cut back to its length before the append, so the caller can
   * give the events back to the summary and write them again without duplicating them —
   * unless the synchronous path appended meanwhile: its lines are durable and are never cut,
   * so this append's bytes stay (the events, given back, may then be written twice; never
   * lost) and a warning says so.
   */
  async append(path: string, data: Uint8Array): Promise<void> {
    const marker: AppendInProgress = { otherAppends: false };
    this.#inProgress.set(path, marker);
    try {
      await this.#append(path, data, marker);
    } finally {
      if (this.#inProgress.get(path) === marker) this.#inProgress.delete(path);
    }
  }

  async #append(path: string, data: Uint8Array, marker: AppendInProgress): Promise<void> {
    let known = this.#checked.get(path);
    if (known === undefined) {
      await repairTail(this.#fs, path, this.#logger, marker);
      known = null;
      this.#checked.set(path, known);
    }
    let handle = await this.#open(path);
    let sizeBefore: number | undefined;
    try {
      let stats = await handle.stat();
      if (!stats.isFile()) throw notRegularJournal(path);
      if (known !== null && (stats.ino !== known.ino || stats.size !== known.size)) {
        // Changed since this writer's last append: check its tail before appending after it.
        await handle.close().catch(() => {});
        await repairTail(this.#fs, path, this.#logger, marker);
        handle = await this.#open(path);
        stats = await handle.stat();
        if (!stats.isFile()) throw notRegularJournal(path);
      }
      sizeBefore = stats.size;
      const { bytesWritten } = await handle.write(data, 0, data.length, null);
      if (bytesWritten !== data.length) throw shortWriteError(bytesWritten, data.length);
      await handle.datasync();
      this.#checked.set(path, { ino: stats.ino, size: sizeBefore + data.length });
    } catch (err) {
      // Cut back what this append may have left, then check the tail again next time.
      this.#checked.delete(path);
      if (sizeBefore !== undefined) {
        const cut = await truncateUnlessAppended(handle, sizeBefore, marker).catch(() => true);
        if (!cut) {
          this.#logger.warn(
            { path, offset: sizeBefore },
            `journal ${path}: a failed append was not cut back because saveSync appended after it; its events are kept in memory and may appear twice in the journal`,
          );
        }
      }
      throw ioError(
        'appending to the journal',
        path,
        err,
        'The events are kept in memory for the next save.',
      );
    } finally {
      await handle.close().catch(() => {});
    }
  }

  async #open(path: string): Promise<FileHandleLike> {
    try {
      return await this.#fs.open(path, OPEN_APPEND, 0o666);
    } catch (err) {
      throw ioError('opening the journal', path, err);
    }
  }

  /**
   * Called by the synchronous path just before it appends to (or repairs) `path`: records
   * that it did, so that an asynchronous append in progress never truncates the journal
   * afterwards. Returns whether one is in progress — the sync path then must not cut back a
   * failed append of its own, which could cut the async one's lines.
   */
  noteSyncAppend(path: string): boolean {
    const marker = this.#inProgress.get(path);
    if (marker === undefined) return false;
    marker.otherAppends = true;
    return true;
  }

  /** Whether the tail of `path` was checked by this writer. */
  isChecked(path: string): boolean {
    return this.#checked.has(path);
  }

  /** Records that the tail of `path` was checked (by the synchronous path). */
  markChecked(path: string): void {
    this.#checked.set(path, null);
  }

  /** Forgets what is known of `path` (after the store removed it). */
  forget(path: string): void {
    this.#checked.delete(path);
  }
}

/**
 * Synchronous twin of {@link JournalWriter.append} (for `saveSync`): one write, fdatasync,
 * cut back on failure — except with `cutBack` false (an asynchronous append is in progress on
 * this journal: its lines may follow `sizeBefore` and must not be cut; the next append checks
 * the tail).
 */
export function appendJournalSync(path: string, data: Uint8Array, cutBack = true): void {
  let fd: number;
  try {
    fd = nodeFs.openSync(path, OPEN_APPEND, 0o666);
  } catch (err) {
    throw ioError('opening the journal', path, err);
  }
  let sizeBefore: number | undefined;
  try {
    const stats = nodeFs.fstatSync(fd);
    if (!stats.isFile()) throw notRegularJournal(path);
    sizeBefore = stats.size;
    const written = nodeFs.writeSync(fd, data, 0, data.length, null);
    if (written !== data.length) throw shortWriteError(written, data.length);
    nodeFs.fdatasyncSync(fd);
  } catch (err) {
    if (sizeBefore !== undefined && cutBack) {
      try {
        nodeFs.ftruncateSync(fd, sizeBefore);
      } catch {}
    }
    throw ioError('appending to the journal', path, err, 'The events are kept in memory.');
  } finally {
    nodeFs.closeSync(fd);
  }
}

/** An asynchronous append in progress; `otherAppends` is set when the sync path appended. */
interface AppendInProgress {
  otherAppends: boolean;
}

/**
 * Truncates the file of `handle` to `length`, unless another writer appended since the
 * caller looked (`marker.otherAppends`, or a size other than `expectedSize` when given).
 * Resolves whether it truncated. With a handle that has a file descriptor (the real file
 * system's), the check and the `ftruncate` are one synchronous step on the main thread, so no
 * `saveSync` can run between them; a seam without descriptors gets the asynchronous truncate,
 * where that window remains.
 */
async function truncateUnlessAppended(
  handle: FileHandleLike,
  length: number,
  marker: AppendInProgress | undefined,
  expectedSize?: number,
): Promise<boolean> {
  const fd = handle.fd;
  if (typeof fd === 'number') {
    if (marker?.otherAppends) return false;
    if (expectedSize !== undefined && nodeFs.fstatSync(fd).size !== expectedSize) return false;
    nodeFs.ftruncateSync(fd, length);
    return true;
  }
  const size = expectedSize === undefined ? undefined : (await handle.stat()).size;
  if (marker?.otherAppends || size !== expectedSize) return false;
  await handle.truncate(length);
  return true;
}

/**
 * Truncates a torn tail away: the bytes after the last newline (a crash during an append,
 * possibly half a UTF-8 character or NUL bytes). Returns the number of bytes dropped (0 when
 * the tail was sound or the journal absent, or when the journal grew while it was being
 * checked: the tail is then another writer's).
 *
 * One rule, here and in {@link repairTornTailSync}: a line that ends with its newline is never
 * dropped, whatever its length or content. Every append writes whole lines and resolves only
 * after fdatasync, so an acknowledged line is always complete; a complete line that does not
 * parse is left for the reader to report (`corrupt`), like one in the middle. Deciding from
 * the last byte alone also keeps the check constant in memory, however long the last line.
 */
export function repairTornTail(fs: FileSystem, path: string, logger: Logger): Promise<number> {
  return repairTail(fs, path, logger, undefined);
}

async function repairTail(
  fs: FileSystem,
  path: string,
  logger: Logger,
  marker: AppendInProgress | undefined,
): Promise<number> {
  let handle: FileHandleLike;
  try {
    handle = await fs.open(path, OPEN_REPAIR);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return 0;
    throw ioError('opening the journal', path, err);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw notRegularJournal(path);
    const size = stats.size;
    if (size === 0) return 0;
    if ((await readRange(handle, size - 1, size))[0] === NEWLINE) return 0;
    const keep = (await lastNewlineBefore(handle, size)) + 1;
    // saveSync may have repaired this tail and appended after it meanwhile: then leave it.
    if (!(await truncateUnlessAppended(handle, keep, marker, size))) return 0;
    await handle.datasync();
    const dropped = size - keep;
    logger.warn({ path, droppedBytes: dropped, offset: keep }, tornMessage(path, dropped, keep));
    return dropped;
  } catch (err) {
    throw ioError('repairing the tail of the journal', path, err);
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Synchronous twin of {@link repairTornTail}: the same rule (only bytes after the last newline). */
export function repairTornTailSync(path: string, logger: Logger): void {
  let fd: number;
  try {
    fd = nodeFs.openSync(path, OPEN_REPAIR);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw ioError('opening the journal', path, err);
  }
  try {
    const stats = nodeFs.fstatSync(fd);
    if (!stats.isFile()) throw notRegularJournal(path);
    const size = stats.size;
    if (size === 0) return;
    const read = (start: number, end: number) => {
      const buffer = Buffer.alloc(end - start);
      const n = nodeFs.readSync(fd, buffer, 0, buffer.length, start);
      return buffer.subarray(0, n);
    };
    if (read(size - 1, size)[0] === NEWLINE) return;
    let keep = 0;
    for (let chunkEnd = size; chunkEnd > 0; ) {
      const chunkStart = Math.max(0, chunkEnd - DEFAULT_CHUNK_BYTES);
      const at = read(chunkStart, chunkEnd).lastIndexOf(NEWLINE);
      if (at !== -1) {
        keep = chunkStart + at + 1;
        break;
      }
      chunkEnd = chunkStart;
    }
    nodeFs.ftruncateSync(fd, keep);
    nodeFs.fdatasyncSync(fd);
    const dropped = size - keep;
    logger.warn({ path, droppedBytes: dropped, offset: keep }, tornMessage(path, dropped, keep));
  } finally {
    nodeFs.closeSync(fd);
  }
}

/**
 * A FIFO, socket, device or directory where the journal belongs (`O_NOFOLLOW` already refused a
 * symbolic link): nothing is written to it, so no reader of a pipe or device receives events.
 */
function notRegularJournal(path: string): ProcessSummaryError {
  return storeError(
    'E_IO',
    `the journal ${path} is not a regular file (a FIFO, socket, device or directory); nothing is written to it. Move it away.`,
  );
}

/**
 * Checks that what is at the journal's path, if anything, is a regular file, without following
 * a link or waiting on a FIFO: the owner's load calls it so a pipeline hears of an odd journal
 * (`E_IO`) when it starts, not at its first save.
 */
export async function assertJournalRegular(fs: FileSystem, path: string): Promise<void> {
  let handle: FileHandleLike;
  try {
    handle = await fs.open(path, OPEN_READ);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw ioError(
      'opening the journal',
      path,
      err,
      'Move it away: the journal must be a regular file.',
    );
  }
  try {
    if (!(await handle.stat()).isFile()) throw notRegularJournal(path);
  } finally {
    await handle.close().catch(() => {});
  }
}

function tornMessage(path: string, dropped: number, offset: number): string {
  return `journal ${path}: dropped ${dropped} bytes at offset ${offset} because its last line has no newline (an append cut short by a crash)`;
}

async function readRange(handle: FileHandleLike, start: number, end: number): Promise<Buffer> {
  const buffer = Buffer.alloc(end - start);
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, start + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** The offset of the last newline before `end`, scanning backwards by chunks; -1 if none. */
async function lastNewlineBefore(handle: FileHandleLike, end: number): Promise<number> {
  let chunkEnd = end;
  while (chunkEnd > 0) {
    const chunkStart = Math.max(0, chunkEnd - DEFAULT_CHUNK_BYTES);
    const chunk = await readRange(handle, chunkStart, chunkEnd);
    const at = chunk.lastIndexOf(NEWLINE);
    if (at !== -1) return chunkStart + at;
    chunkEnd = chunkStart;
  }
  return -1;
}

type Parsed = { ok: true; event: SummaryEvent } | { ok: false; reason: string };

function parseEvent(bytes: Uint8Array): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `is not valid JSON (${(err as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'is not a JSON object' };
  }
  if (typeof (value as { type?: unknown }).type !== 'string') {
    return { ok: false, reason: 'has no string "type"' };
  }
  return { ok: true, event: value as SummaryEvent };
}

/**
 * Reads a journal as a stream of {@link JournalEntry}, oldest first, holding one chunk and
 * one line in memory at a time (a journal of gigabytes reads in constant memory). An absent
 * journal yields nothing. Corrupt lines and a torn tail are yielded, never skipped silently.
 */
export async function* readJournal(
  fs: FileSystem,
  path: string,
  options: ReadJournalOptions = {},
): AsyncGenerator<JournalEntry, void, undefined> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_JOURNAL_LINE_BYTES;
  const startOffset = options.startOffset ?? 0;
  const startLine = options.startLine ?? 1;
  for (const [name, value, least] of [
    ['startOffset', startOffset, 0],
    ['startLine', startLine, 1],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < least) {
      throw storeError(
        'E_INVALID_ARGUMENT',
        `readJournal: ${name} must be an integer >= ${least}, got ${String(value)}`,
      );
    }
  }
  let handle: FileHandleLike;
  try {
    handle = await fs.open(path, OPEN_READ);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw ioError('opening the journal', path, err);
  }
  try {
    let regular: boolean;
    try {
      regular = (await handle.stat()).isFile();
    } catch (err) {
      throw ioError('reading the journal', path, err);
    }
    if (!regular) {
      throw storeError('E_IO', `the journal ${path} is not a regular file; it is not read`);
    }
    if (startOffset > 0) await assertLineStart(handle, path, startOffset);
    const chunk = Buffer.allocUnsafe(chunkBytes);
    let position = startOffset;
    let line = startLine - 1;
    /** Byte offset where the current line starts. */
    let lineStart = startOffset;
    /** Pieces of the current line from earlier chunks, copied. */
    let carried: Buffer[] = [];
    let carriedBytes = 0;
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(chunk, 0, chunkBytes, position));
      } catch (err) {
        throw ioError('reading the journal', path, err);
      }
      if (bytesRead === 0) break;
      position += bytesRead;
      const view = chunk.subarray(0, bytesRead);
      let from = 0;
      while (from < bytesRead) {
        const newline = view.indexOf(NEWLINE, from);
        if (newline === -1) {
          const piece = view.subarray(from);
          // Past the limit only the length is kept: a hostile line cannot exhaust memory.
          if (carriedBytes + piece.length <= maxLineBytes) carried.push(Buffer.from(piece));
          else carried = [];
          carriedBytes += piece.length;
          break;
        }
        line += 1;
        const length = carriedBytes + (newline - from);
        const nextOffset = lineStart + length + 1;
        let entry: JournalEntry;
        if (length > maxLineBytes) {
          entry = corrupt(
            path,
            line,
            lineStart,
            nextOffset,
            `is ${length} bytes, over the limit of ${maxLineBytes}`,
            '',
          );
        } else {
          const tail = view.subarray(from, newline);
          const bytes = carriedBytes === 0 ? tail : Buffer.concat([...carried, tail]);
          const parsed = parseEvent(bytes);
          entry = parsed.ok
            ? { kind: 'event', line, offset: lineStart, nextOffset, event: parsed.event }
            : corrupt(
                path,
                line,
                lineStart,
                nextOffset,
                parsed.reason,
                Buffer.from(bytes.subarray(0, CORRUPT_TEXT_BYTES)).toString('utf8'),
              );
        }
        lineStart = nextOffset;
        carried = [];
        carriedBytes = 0;
        from = newline + 1;
        yield entry;
      }
    }
    if (carriedBytes > 0) {
      yield {
        kind: 'torn',
        line: line + 1,
        offset: lineStart,
        nextOffset: lineStart,
        bytes: carriedBytes,
      };
    }
  } finally {
    await handle.close().catch(() => {});
  }
}

/**
 * Refuses a start offset that is not the start of a line: past the end (the journal was
 * truncated or replaced) or not just after a newline (in the middle of a line, where
 * reading would yield half a line as corrupt).
 */
async function assertLineStart(handle: FileHandleLike, path: string, offset: number) {
  let size: number;
  let before: Buffer;
  try {
    size = (await handle.stat()).size;
    before = offset <= size ? await readRange(handle, offset - 1, offset) : Buffer.alloc(0);
  } catch (err) {
    throw ioError('reading the journal', path, err);
  }
  if (offset > size) {
    throw storeError(
      'E_INVALID_OFFSET',
      `journal ${path} is ${size} bytes, shorter than the start offset ${offset}: it was truncated or replaced; read it from offset 0`,
    );
  }
  if (before[0] !== NEWLINE) {
    throw storeError(
      'E_INVALID_OFFSET',
      `journal ${path}: the start offset ${offset} is in the middle of a line (not just after a newline); resume at an entry's nextOffset, or read from offset 0`,
    );
  }
}

function corrupt(
  path: string,
  line: number,
  offset: number,
  nextOffset: number,
  reason: string,
  text: string,
): JournalEntry {
  return {
    kind: 'corrupt',
    line,
    offset,
    nextOffset,
    text,
    error: storeError('E_CORRUPT_EVENT', `journal ${path} line ${line} (byte ${offset}) ${reason}`),
  };
}
