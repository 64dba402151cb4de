/**
 * The owner's load: the summary of a ref, repaired when it can be. A corrupt summary is moved
 * aside (never deleted) and the previous good version restored in its place; when there is
 * none, the summary is rebuilt from the journal. When nothing usable is left but history
 * exists (quarantined copies), the store refuses with a coded error rather than let the run
 * start over: `null` means there never was anything.
 */

import { basename } from 'node:path';
import {
  type FromDictOptions,
  type LoadResult,
  type ProcessSummary,
  type StoreWarning,
  SummaryReplay,
} from '@process-summary/core';
import { writeFileDurably } from './atomic-write.js';
import { filesOf } from './dir-index.js';
import { syncDirectory } from './directory.js';
import { ioError, type StoreWarningCode, storeError } from './errors.js';
import { errnoCode, type FileSystem } from './fs-seam.js';
import { assertJournalRegular, readJournal } from './journal.js';
import { parseEntryName, type SummaryPaths } from './layout.js';
import type { Logger } from './logger.js';
import { quarantineFile, readSummaryFile, type SummaryRead } from './quarantine.js';
import { summaryBytes } from './serialize.js';
import type { SummaryWriter } from './writer.js';

/** What loading needs of its store. */
export interface LoadContext {
  fs: FileSystem;
  logger: Logger;
  maxFileBytes: number;
  writer: SummaryWriter;
}

/** See `FileSummaryStore.load`. */
export async function loadWithRepair(
  ctx: LoadContext,
  paths: SummaryPaths,
  options: FromDictOptions | undefined,
  allOrNothing = false,
): Promise<LoadResult | null> {
  if (!allOrNothing) return repairing(ctx, paths, options, null);
  const undo = new UndoLog(ctx.fs, paths);
  let result: LoadResult | null;
  try {
    result = await repairing(ctx, paths, options, undo);
  } catch (err) {
    await undo.run();
    throw err;
  }
  return result === null || undo.empty ? result : { ...result, undo: () => undo.run() };
}

/**
 * What a load moved or wrote, to put back (an all-or-nothing repair). The summary path's
 * original file is always kept under a quarantine name before anything replaces it, so
 * putting it back is a rename; a file written where there was none is removed.
 */
class UndoLog {
  readonly #fs: FileSystem;
  readonly #paths: SummaryPaths;
  /** Renames to reverse (quarantined name back to where it was), in the order made. */
  readonly #moved: { from: string; to: string }[] = [];
  /** Whether the load wrote a summary where there was none. */
  #createdSummary = false;

  constructor(fs: FileSystem, paths: SummaryPaths) {
    this.#fs = fs;
    this.#paths = paths;
  }

  get empty(): boolean {
    return this.#moved.length === 0 && !this.#createdSummary;
  }

  moved(from: string, to: string): void {
    this.#moved.push({ from, to });
  }

  createdSummary(): void {
    this.#createdSummary = true;
  }

  async run(): Promise<void> {
    const fs = this.#fs;
    if (this.#createdSummary) {
      await fs.unlink(this.#paths.summary).catch((err: unknown) => {
        if (errnoCode(err) !== 'ENOENT') throw ioError('removing', this.#paths.summary, err);
      });
    }
    for (const { from, to } of this.#moved.reverse()) {
      try {
        // Over whatever the load put there. A rename between two links of one file does
        // nothing (POSIX), so the quarantine name of a file still in place is unlinked.
        await fs.rename(to, from);
        await fs.unlink(to).catch(() => {});
      } catch (err) {
        throw ioError(`putting back ${to} as`, from, err);
      }
    }
    this.#moved.length = 0;
    this.#createdSummary = false;
    await syncDirectory(fs, this.#paths.dir);
  }
}

async function repairing(
  ctx: LoadContext,
  paths: SummaryPaths,
  options: FromDictOptions | undefined,
  undo: UndoLog | null,
): Promise<LoadResult | null> {
  const { fs, logger } = ctx;
  await assertJournalRegular(fs, paths.journal);
  const read = (path: string) => readSummaryFile(fs, path, ctx.maxFileBytes, paths.ref, options);
  const warnings: StoreWarning[] = [];
  const warn = (code: StoreWarningCode, path: string, message: string) => {
    warnings.push({ code, message, path });
    logger.warn({ code, path }, message);
  };

  const main = await read(paths.summary);
  // Epoch copies (fenced leases): the highest epoch is the run's state, as for every reader,
  // so an old owner's late write over the summary is never loaded.
  const newer = await newerEpochCopy(ctx, paths, main, read);
  if (newer !== null) return { summary: newer, warnings: [] };
  if (main.kind === 'ok') {
    ctx.writer.noteGoodVersion(paths, main.identity);
    return { summary: main.summary, warnings: [] };
  }
  if (main.kind === 'misplaced') {
    throw storeError(
      'E_NAME_MISMATCH',
      `${paths.summary} ${main.reason}. Move it to the path of its run and process, or fix the names inside.`,
    );
  }
  const movedAside: string[] = [];
  if (main.kind === 'bad') {
    // A hard link, not a rename: the path keeps a file until a good version replaces it.
    const quarantined = await quarantineFile(fs, paths.summary, true);
    undo?.moved(paths.summary, quarantined);
    movedAside.push(quarantined);
    warn(
      'W_QUARANTINED',
      paths.summary,
      `${paths.summary} ${main.reason}; moved aside to ${quarantined}`,
    );
  }
  const backup = await read(paths.backup);
  if (backup.kind === 'ok') {
    // Put the previous good version back in place, so the next load finds it even if this
    // process never saves.
    if (main.kind === 'absent') undo?.createdSummary();
    const identity = await writeFileDurably(fs, paths.summary, backup.bytes, { logger });
    ctx.writer.noteGoodVersion(paths, identity);
    const why = main.kind === 'absent' ? 'was missing' : 'was unusable';
    warn(
      'W_RESTORED_FROM_BACKUP',
      paths.summary,
      `${paths.summary} ${why}; restored the previous good version from ${paths.backup}`,
    );
    return { summary: backup.summary, warnings };
  }
  let history: History | null = null;
  if (main.kind === 'absent' && backup.kind === 'absent') {
    history = await historyOf(fs, paths);
    if (!history.journal && history.quarantined.length === 0) return null;
  }
  if (backup.kind !== 'absent') {
    const quarantined = await quarantineFile(fs, paths.backup, false);
    undo?.moved(paths.backup, quarantined);
    movedAside.push(quarantined);
    warn(
      'W_QUARANTINED',
      paths.backup,
      `${paths.backup} ${backup.reason}; moved aside to ${quarantined}`,
    );
  }
  const rebuilt = await rebuildFromJournal(fs, paths, options);
  const what =
    main.kind === 'bad'
      ? `${paths.summary} ${main.reason}, and ${describeBackup(backup)}`
      : `${paths.summary} is missing and ${describeBackup(backup)}`;
  if (rebuilt.ok) {
    // Written in place (over the bad file, whose bytes live on under the quarantine name), so
    // the next load finds it even if this process never saves.
    if (main.kind === 'absent') undo?.createdSummary();
    const identity = await writeFileDurably(fs, paths.summary, summaryBytes(rebuilt.summary), {
      logger,
    });
    ctx.writer.noteGoodVersion(paths, identity);
    warn(
      'W_REBUILT_FROM_JOURNAL',
      paths.summary,
      `${what}; rebuilt from the journal ${paths.journal} (${rebuilt.events} events${rebuilt.notes.length > 0 ? `; ${rebuilt.notes.join('; ')}` : ''})`,
    );
    return { summary: rebuilt.summary, warnings };
  }
  // An empty journal alone is no history: there never was a summary.
  if (rebuilt.noJournal && history !== null && history.quarantined.length === 0) return null;
  if (main.kind === 'bad') {
    // Its bytes live on under the quarantine name.
    await fs.unlink(paths.summary).catch((err: unknown) => {
      if (errnoCode(err) !== 'ENOENT') throw ioError('removing', paths.summary, err);
    });
  }
  await syncDirectory(fs, paths.dir).catch(() => {});
  const aside = [...movedAside, ...(history?.quarantined ?? [])];
  // All or nothing: what was moved is put back as this error goes up (loadWithRepair).
  const left =
    undo === null
      ? `Nothing was deleted${aside.length > 0 ? `: set aside as ${aside.join(', ')}` : ''}`
      : `Every file was left as it was found${history !== null && history.quarantined.length > 0 ? ` (set aside earlier: ${history.quarantined.join(', ')})` : ''}`;
  throw storeError(
    'E_CORRUPT',
    `${what}, and ${rebuilt.why}. ${left}. Inspect or repair one and move it back, or archive them and start a new summary.`,
  );
}

/**
 * The summary of the usable epoch copy whose epoch is above the summary file's (`main`), or
 * null when there is none (no copies, or the summary file is the highest). A copy without a
 * stamp ranks by the epoch in its name; an unstamped summary file ranks lowest; between equal
 * epochs the later write wins. A damaged copy is skipped (it never hides a good file).
 */
async function newerEpochCopy(
  ctx: LoadContext,
  paths: SummaryPaths,
  main: SummaryRead,
  read: (path: string) => Promise<SummaryRead>,
): Promise<ProcessSummary | null> {
  const copies = (await filesOf(ctx.fs, paths)).get('epoch') ?? [];
  if (copies.length === 0) return null;
  let best: { summary: ProcessSummary | null; epoch: number; mtimeMs: number } =
    main.kind === 'ok'
      ? { summary: null, epoch: main.epoch ?? -1, mtimeMs: main.identity.mtimeMs }
      : { summary: null, epoch: -1, mtimeMs: Number.NEGATIVE_INFINITY };
  for (const path of copies) {
    let copy: SummaryRead;
    try {
      copy = await read(path);
    } catch {
      continue;
    }
    if (copy.kind !== 'ok') continue;
    const epoch = copy.epoch ?? parseEntryName(basename(path))?.epoch ?? -1;
    if (epoch > best.epoch || (epoch === best.epoch && copy.identity.mtimeMs > best.mtimeMs)) {
      best = { summary: copy.summary, epoch, mtimeMs: copy.identity.mtimeMs };
    }
  }
  return best.summary;
}

/** The history of a summary that is not in place: its journal, its quarantined copies. */
interface History {
  journal: boolean;
  quarantined: string[];
}

async function historyOf(fs: FileSystem, paths: SummaryPaths): Promise<History> {
  const files = await filesOf(fs, paths);
  return { journal: files.has('journal'), quarantined: files.get('quarantined') ?? [] };
}

type Rebuilt =
  | { ok: true; summary: ProcessSummary; events: number; notes: string[] }
  | { ok: false; why: string; noJournal: boolean };

/**
 * Replays the journal into a summary (core's `SummaryReplay`). Corrupt lines are skipped and
 * said so; a torn last line is an append cut short and not used.
 */
async function rebuildFromJournal(
  fs: FileSystem,
  paths: SummaryPaths,
  options: FromDictOptions | undefined,
): Promise<Rebuilt> {
  const { runName, processName, worker } = paths.ref;
  const replay = new SummaryReplay(runName, processName, { ...options, worker });
  const corruptLines: number[] = [];
  let tornBytes = 0;
  let lines = 0;
  for await (const entry of readJournal(fs, paths.journal)) {
    lines += 1;
    if (entry.kind === 'event') replay.add(entry.event);
    else if (entry.kind === 'corrupt') corruptLines.push(entry.line);
    else tornBytes = entry.bytes;
  }
  if (lines === 0) {
    return { ok: false, why: 'there is no journal to rebuild it from', noJournal: true };
  }
  let result: ReturnType<SummaryReplay['finish']>;
  try {
    result = replay.finish();
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'E_NO_EVENTS') throw err;
    return {
      ok: false,
      why: `the journal ${paths.journal} holds no usable event`,
      noJournal: false,
    };
  }
  const notes = result.notes.map((note) => note.message);
  if (corruptLines.length > 0) {
    notes.push(
      `${corruptLines.length} corrupt journal lines skipped (lines ${corruptLines.slice(0, 10).join(', ')}${corruptLines.length > 10 ? ', …' : ''})`,
    );
  }
  if (tornBytes > 0) notes.push(`a torn last line of ${tornBytes} bytes not used`);
  return { ok: true, summary: result.summary, events: result.eventCount, notes };
}

function describeBackup(backup: SummaryRead): string {
  if (backup.kind === 'absent') return 'there is no backup';
  if (backup.kind === 'ok') return 'its backup is good';
  return `its backup ${backup.reason}`;
}
