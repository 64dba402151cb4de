/**
 * `summary-inspect events <run> <process> [--follow]`: the journal, streamed with store-fs's
 * reader (constant memory whatever its size). `--follow` then resumes the same reader at the
 * byte offset where it stopped, each time the directory changes, until Ctrl-C.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SummaryEvent } from '@process-summary/core';
import {
  FileSummaryStore,
  nodeFileSystem,
  readJournal,
  silentLogger,
} from '@process-summary/store-fs';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { escapeControl, formatTime, safeJson } from '../../render/format.js';
import { resolveTargets } from '../../targets.js';
import { Waker } from '../../waker.js';

const FOLLOW_INTERVAL_MS = 500;

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
  if (!existsSync(path) && !follow) {
    context.warn(`no journal at ${escapeControl(path)} (seed-format runs have none)`);
    return EXIT.ok;
  }
  let corrupt = 0;
  /** Where the next read starts: after the last complete line read (store-fs's `nextOffset`). */
  let resume = { startOffset: 0, startLine: 1 };
  /** Reads from `resume` to the end; a torn last line is left for the next read. */
  const readOn = async (reportTorn: boolean) => {
    for await (const entry of readJournal(nodeFileSystem, path, resume)) {
      if (entry.kind === 'torn') {
        // While following, a line without its newline yet is an append in progress.
        if (reportTorn) {
          context.warn(
            `${escapeControl(path)}: a torn last line of ${entry.bytes} bytes (an append cut short, or one in progress)`,
          );
        }
        break;
      }
      if (entry.kind === 'event') {
        context.write(
          context.json ? `${safeJson(entry.event)}\n` : `${describeEvent(entry.event)}\n`,
        );
      } else {
        corrupt += 1;
        context.warn(`error: ${escapeControl(entry.error.message)}`);
      }
      resume = { startOffset: entry.nextOffset, startLine: entry.line + 1 };
      if (context.signal.aborted) break;
    }
  };
  await readOn(true);
  if (!follow) return corrupt > 0 ? EXIT.invalid : EXIT.ok;

  const waker = new Waker(dirname(path), context.signal);
  try {
    while (!context.signal.aborted) {
      await waker.wait(FOLLOW_INTERVAL_MS);
      try {
        await readOn(false);
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'E_INVALID_OFFSET') throw err;
        // Shorter than what was read, or the offset now falls inside a line: not the same file.
        context.warn(`${escapeControl(path)} was truncated or replaced; reading it from the start`);
        resume = { startOffset: 0, startLine: 1 };
      }
    }
  } finally {
    waker.close();
  }
  return corrupt > 0 ? EXIT.invalid : 130;
}
