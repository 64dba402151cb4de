/**
 * `summary-inspect events <run> <process[@worker]> [--follow]`: the journal, streamed through
 * the store's `events` (constant memory whatever its size). `--follow` then resumes from the
 * cursor of the last record each time the store's `watch` reports a change, until Ctrl-C.
 */
import { refName, type SummaryEvent, sameRef } from '@process-summary/core';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { escapeControl, formatTime, safeJson } from '../../render/format.js';
import { resolveTargets } from '../../targets.js';
import { ChangeWaker } from '../../waker.js';

const FOLLOW_INTERVAL_MS = 500;

/**
 * One event as a line of text. Every value from the file is escaped, whatever its type (a
 * journal is written by anyone who can write the store: a count may be a string), and a field
 * that is missing or of another shape prints as `?` instead of throwing.
 */
export function describeEvent(event: SummaryEvent): string {
  const e = event as unknown as Record<string, unknown>;
  const time =
    typeof e.time === 'number' ? e.time : typeof e.timestamp === 'number' ? e.timestamp : null;
  const when = formatTime(time, 0);
  const text = (v: unknown) =>
    v === undefined || v === null
      ? '?'
      : escapeControl(typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)));
  const session =
    typeof e.session === 'object' && e.session !== null
      ? (e.session as Record<string, unknown>)
      : {};
  switch (e.type) {
    case 'progress':
      return `${when}  progress      ${text(e.message)} (${text(e.items_processed)} processed, ${text(e.items_successful)} ok, ${text(e.items_failed)} failed)`;
    case 'error':
      return `${when}  error         ${text(e.error_type)}: ${text(e.message)}`;
    case 'session_start':
      return `${when}  session_start #${text(session.number)} ${text(session.host)}:${text(session.pid)}`;
    case 'session_end':
      return `${when}  session_end   #${text(e.number)} ${text(e.end_reason)}${e.signal ? ` (${text(e.signal)})` : ''}`;
    case 'interruption':
      return `${when}  interruption  ${text(e.reason)}: ${text(e.detail)}`;
    default:
      return `${when}  ${text(e.type).padEnd(13)} ${escapeControl(safeJson(e))}`;
  }
}

/** Streams the journal; exit 1 if a corrupt line was met. */
export async function runEvents(context: Context): Promise<number> {
  const follow = context.options.follow === true;
  const [target] = await resolveTargets(context, context.args, {
    requireProcess: true,
    single: true,
    allowMissing: follow,
  });
  if (target?.kind !== 'ref') throw new CliError('E_USAGE', 'events expects a run and a process');
  const ref = target.ref;
  let corrupt = 0;
  let seen = 0;
  /** Where the next read starts: the cursor of the last record read (the store's). */
  let after: string | undefined;
  const readOn = async () => {
    for await (const record of context.store.events(ref, { after, signal: context.signal })) {
      if (record.event !== null) {
        let line: string | null;
        try {
          line = context.json ? safeJson(record.event) : describeEvent(record.event);
        } catch (err) {
          // JSON.parse reads any depth; serializing a value nested far deeper than any event
          // runs out of stack. Reported as the line it is, and reading goes on.
          if (!(err instanceof RangeError)) throw err;
          line = null;
        }
        if (line !== null) context.write(`${line}\n`);
        else {
          corrupt += 1;
          context.warn(
            `error: ${escapeControl(refName(ref))}: a journal event (cursor ${escapeControl(String(record.cursor))}) is nested too deeply to print`,
          );
        }
      } else {
        corrupt += 1;
        context.warn(`error: ${escapeControl(record.problem.message)}`);
      }
      seen += 1;
      after = record.cursor;
      if (context.signal.aborted) break;
    }
  };
  await readOn();
  if (!follow) {
    if (seen === 0) {
      context.warn(
        `no journal events for ${escapeControl(refName(ref))} (seed-format runs have none)`,
      );
    }
    return corrupt > 0 ? EXIT.invalid : EXIT.ok;
  }
  const waker = new ChangeWaker(
    context.store,
    (changed) => sameRef(changed, ref),
    context.signal,
    FOLLOW_INTERVAL_MS,
  );
  try {
    while (!context.signal.aborted) {
      await waker.wait(FOLLOW_INTERVAL_MS);
      if (context.signal.aborted) break;
      try {
        await readOn();
      } catch (err) {
        // The store's word for a cursor past the end or inside a line (core's E_INVALID_OFFSET).
        if ((err as { code?: unknown }).code !== 'E_INVALID_OFFSET') throw err;
        // The journal is shorter than what was read, or was replaced: not the same journal.
        context.warn(
          `the journal of ${escapeControl(refName(ref))} was truncated or replaced; reading it from the start`,
        );
        after = undefined;
      }
    }
  } finally {
    waker.close();
  }
  return corrupt > 0 ? EXIT.invalid : 130;
}
