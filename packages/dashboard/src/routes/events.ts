/**
 * `GET /api/runs/:run/:process/events?worker=W&after=CURSOR&limit=N`: journal entries after a
 * cursor, at most `limit` (default 500, at most 5,000) per answer. The store's iteration is
 * stopped as soon as one entry past the limit was seen, or when the client goes away.
 */
import type { EventsResponse, JournalRecordJson } from '../api.js';
import { HttpError, sendJson } from '../http/json.js';
import { integerParam, type Route, refOf, single } from './context.js';

/** Entries per answer when `limit` is not given. */
export const DEFAULT_EVENTS_LIMIT = 500;
/** The most entries one answer carries. */
export const MAX_EVENTS_LIMIT = 5000;
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
  const records: JournalRecordJson[] = [];
  let more = false;
  try {
    for await (const record of context.store.events(ref, { after, signal: gone.signal })) {
      if (records.length === limit) {
        more = true;
        break;
      }
      records.push(record as JournalRecordJson);
    }
  } catch (error) {
    // A client that went away: whatever the store threw on the abort, nobody waits for it.
    if (gone.signal.aborted) return;
    throw error;
  } finally {
    route.response.off('close', onClose);
  }
  if (gone.signal.aborted) return;
  const body: EventsResponse = {
    records,
    cursor: records.length === 0 ? null : (records[records.length - 1] as JournalRecordJson).cursor,
    more,
  };
  sendJson(route.request, route.response, 200, body);
};
