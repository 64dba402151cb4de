/**
 * `GET /api/runs/:run/:process/events?worker=W&after=CURSOR&limit=N`: journal entries after a
 * cursor, at most `limit` (default 500, at most 5,000) per answer, and at most
 * {@link EVENTS_BYTE_BUDGET} bytes of serialized entries: a progress update may carry up to
 * 1 MiB of fields, and the writer of the store, not the reader, decides how many. The store's
 * iteration is stopped as soon as one entry past either bound was seen, or when the client
 * goes away. An entry larger than the whole budget on its own is replaced by a `problem`
 * entry with the same cursor (and a preview of the line), so the client still moves past it
 * and no answer ever grows with it.
 */
import { refName } from '@process-summary/core';
import type { EventsResponse, JournalRecordJson } from '../api.js';
import { HttpError, inertJson, sendBody } from '../http/json.js';
import { integerParam, type Route, refOf, single } from './context.js';

/** Entries per answer when `limit` is not given. */
export const DEFAULT_EVENTS_LIMIT = 500;
/** The most entries one answer carries. */
export const MAX_EVENTS_LIMIT = 5000;
/** The most bytes of serialized entries one answer carries. */
export const EVENTS_BYTE_BUDGET = 4 * 1024 * 1024;
/** Characters of an oversized entry kept as its preview. */
const PREVIEW_CHARS = 1024;
/** Longer cursors are refused before the store sees them. */
const MAX_CURSOR_LENGTH = 1024;

export const eventsRoute: Route = async (context, route) => {
  const ref = refOf(route);
  const limit = integerParam(route.query, 'limit', DEFAULT_EVENTS_LIMIT, 1, MAX_EVENTS_LIMIT);
  const after = single(route.query, 'after');
  if (after !== undefined && (after === '' || after.length > MAX_CURSOR_LENGTH)) {
    throw new HttpError(
      400,
      'E_INVALID_ARGUMENT',
      'the cursor "after" is empty or too long: pass one the store gave',
    );
  }
  const gone = new AbortController();
  const onClose = () => gone.abort();
  route.response.once('close', onClose);
  // The answer is built from each entry's JSON as it comes (`inertJson`, as `sendJson` would):
  // measured once, never held twice as objects and as text.
  const pieces: string[] = [];
  let bytes = 0;
  let last: string | null = null;
  let more = false;
  try {
    for await (const record of context.store.events(ref, { after, signal: gone.signal })) {
      if (pieces.length === limit) {
        more = true;
        break;
      }
      let piece = inertJson(record);
      let size = Buffer.byteLength(piece, 'utf8');
      if (size > EVENTS_BYTE_BUDGET) {
        piece = inertJson(oversized(record as JournalRecordJson, size));
        size = Buffer.byteLength(piece, 'utf8');
      }
      if (pieces.length > 0 && bytes + size + 1 > EVENTS_BYTE_BUDGET) {
        more = true;
        break;
      }
      pieces.push(piece);
      bytes += size + 1;
      last = record.cursor;
    }
  } catch (error) {
    // A client that went away: whatever the store threw on the abort, nobody waits for it.
    if (gone.signal.aborted) return;
    throw error;
  } finally {
    route.response.off('close', onClose);
  }
  if (gone.signal.aborted) return;
  if (pieces.length === 0 && (await context.store.read(ref, { full: false })) === null) {
    // Neither a summary nor a journal: "no such run" (a typo), which the run and timeline
    // routes answer 404 too, is not "no events yet".
    throw new HttpError(404, 'E_NOT_FOUND', `no summary ${refName(ref)}`);
  }
  const tail: Omit<EventsResponse, 'records'> = { cursor: last, more };
  // `{"records":[...],"cursor":...,"more":...}`: the shape of EventsResponse.
  const body = `{"records":[${pieces.join(',')}],${inertJson(tail).slice(1)}`;
  sendBody(route.request, route.response, 200, 'application/json; charset=utf-8', body, {
    'Cache-Control': 'no-store',
  });
};

/** The `problem` entry that stands for an entry larger than the whole byte budget. */
function oversized(record: JournalRecordJson, size: number): JournalRecordJson {
  const text = record.event === null ? record.problem.line : JSON.stringify(record.event);
  return {
    cursor: record.cursor,
    event: null,
    problem: {
      message: `this journal entry is ${size} bytes of JSON, more than one answer carries (${EVENTS_BYTE_BUDGET}); it is left out (the line starts with the preview)`,
      line: text.slice(0, PREVIEW_CHARS),
    },
  };
}
