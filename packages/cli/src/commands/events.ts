/**
 * `summary-inspect events <run> <process> [--follow]`: the journal, streamed with store-fs's
 * reader (constant memory whatever its size). `--follow` then reads what is appended until
 * Ctrl-C.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SummaryEvent } from '@process-summary/core';
import {
  FileSummaryStore,
  nodeFileSystem,
  readJournal,
  silentLogger,
} from '@process-summary/store-fs';
import type { Context } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { escapeControl, formatTime, safeJson } from '../render/format.js';
import { resolveTargets } from '../targets.js';
import { Waker } from '../waker.js';

const NEWLINE = 0x0a;
const FOLLOW_INTERVAL_MS = 500;
/** A line longer than this while following is reported, not held (the reader's limit too). */
const MAX_FOLLOW_LINE_BYTES = 16 * 1024 * 1024;

/** One event as a line of text; every string from the file escaped. */
export function describeEvent(event: SummaryEvent): string {
  const e = event as SummaryEvent & Record<string, unknown>;
  const time =
    typeof e.time === 'number' ? e.time : typeof e.timestamp === 'number' ? e.timestamp : null;
  const when = formatTime(time, 0);
  const text = (v: unknown) => escapeControl(String(v));
  switch (event.type) {
    case 'progress':
      return `${when}  progress      ${text(event.message)} (${event.items_processed} processed, ${event.items_successful} ok, ${event.items_failed} failed)`;
    case 'error':
      return `${when}  error         ${text(event.error_type)}: ${text(event.message)}`;
    case 'session_start':
      return `${when}  session_start #${event.session.number} ${text(event.session.host ?? '?')}:${event.session.pid ?? '?'}`;
    case 'session_end':
      return `${when}  session_end   #${event.number} ${text(event.end_reason)}${event.signal ? ` (${text(event.signal)})` : ''}`;
    case 'interruption':
      return `${when}  interruption  ${text(event.reason)}: ${text(event.detail)}`;
    default:
      return `${when}  ${text(e.type).padEnd(13)} ${escapeControl(JSON.stringify(e))}`;
  }
}

/** Streams the journal; exit 1 if a corrupt line was met. */
export async function runEvents(context: Context): Promise<number> {
  const [target] = resolveTargets(context.root, context.args, {
    requireProcess: true,
    single: true,
    allowMissing: context.options.follow === true,
  });
  if (target?.runName === undefined || target.processName === undefined) {
    throw new CliError('E_USAGE', 'events expects a run and a process');
  }
  const store = new FileSummaryStore({ root: context.root, logger: silentLogger });
  const path = store.journalPathFor(target.runName, target.processName);
  const follow = context.options.follow === true;
  const print = (event: SummaryEvent) =>
    context.write(context.json ? `${safeJson(event)}\n` : `${describeEvent(event)}\n`);
  if (!existsSync(path) && !follow) {
    context.warn(`no journal at ${escapeControl(path)} (seed-format runs have none)`);
    return EXIT.ok;
  }
  let corrupt = 0;
  let completeLines = 0;
  for await (const entry of readJournal(nodeFileSystem, path)) {
    if (entry.kind === 'event') {
      completeLines += 1;
      print(entry.event);
    } else if (entry.kind === 'corrupt') {
      completeLines += 1;
      corrupt += 1;
      context.warn(`error: ${escapeControl(entry.error.message)}`);
    } else {
      context.warn(
        `${escapeControl(path)}: a torn last line of ${entry.bytes} bytes (an append cut short, or one in progress)`,
      );
    }
    if (context.signal.aborted) break;
  }
  if (!follow) return corrupt > 0 ? EXIT.invalid : EXIT.ok;

  // Following: continue after the last complete line the reader saw.
  let offset = offsetAfterLines(path, completeLines);
  const waker = new Waker(dirname(path), context.signal);
  try {
    while (!context.signal.aborted) {
      await waker.wait(FOLLOW_INTERVAL_MS);
      let size: number;
      try {
        size = statSync(path).size;
      } catch {
        continue; // not there (yet, or moved aside): keep waiting
      }
      if (size < offset) {
        context.warn(`${escapeControl(path)} was truncated or replaced; reading it from the start`);
        offset = 0;
      }
      if (size === offset) continue;
      const chunk = readRange(path, offset, Math.min(size, offset + MAX_FOLLOW_LINE_BYTES));
      const end = chunk.lastIndexOf(NEWLINE);
      if (end === -1) continue; // a line still being written
      for (const line of chunk.subarray(0, end).toString('utf8').split('\n')) {
        const event = parseLine(line);
        if (event === undefined) {
          corrupt += 1;
          context.warn(`error: ${escapeControl(path)}: a corrupt line at byte ${offset}`);
        } else print(event);
      }
      offset += end + 1;
    }
  } finally {
    waker.close();
  }
  return corrupt > 0 ? EXIT.invalid : 130;
}

function parseLine(line: string): SummaryEvent | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { type?: unknown }).type === 'string'
    ) {
      return value as SummaryEvent;
    }
  } catch {}
  return undefined;
}

/** The byte offset just after the `lines`-th newline of the file (0 when lines is 0). */
function offsetAfterLines(path: string, lines: number): number {
  if (lines === 0) return 0;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 0;
  }
  try {
    const buffer = Buffer.allocUnsafe(64 * 1024);
    let position = 0;
    let seen = 0;
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, position);
      if (read === 0) return position;
      let from = 0;
      for (;;) {
        const at = buffer.subarray(0, read).indexOf(NEWLINE, from);
        if (at === -1) break;
        seen += 1;
        if (seen === lines) return position + at + 1;
        from = at + 1;
      }
      position += read;
    }
  } finally {
    closeSync(fd);
  }
}

function readRange(path: string, start: number, end: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(end - start);
    let filled = 0;
    while (filled < buffer.length) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, start + filled);
      if (read === 0) break;
      filled += read;
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}
