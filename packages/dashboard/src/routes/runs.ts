/** `GET /api/runs`: every (run, process), workers merged, as `summary-inspect list --json` rows. */
import { listRows } from '@process-summary/inspect';
import type { RunsResponse } from '../api.js';
import { sendJson } from '../http/json.js';
import type { Route } from './context.js';

export const runsRoute: Route = async (context, { request, response }) => {
  const options = context.rowOptions();
  const result = await listRows(context.store, { ...options, mergeWorkers: true });
  // The hub keeps re-judging the live ones, so a crash shows on the stream without a save.
  context.hub.noteRows(result.rows);
  const body: RunsResponse = {
    now: options.now ?? context.now(),
    store: context.storeLabel,
    stale_after_seconds: context.staleAfterSeconds,
    rows: result.rows,
    unusable: result.unusable,
    problems: result.problems,
  };
  sendJson(request, response, 200, body);
};
