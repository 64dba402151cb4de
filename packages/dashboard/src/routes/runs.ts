/** `GET /api/runs`: every (run, process), workers merged, as `summary-inspect list --json` rows. */
import { listRows } from '@process-summary/inspect';
import type { RunsResponse } from '../api.js';
import { inertJson, sendBody } from '../http/json.js';
import type { Route } from './context.js';

export const runsRoute: Route = async (context, { request, response }) => {
  // Requests arriving during a listing share it (one read of the store, one serialized body),
  // all judged at the `now` the body carries.
  const body = await context.shared.run('runs', async () => {
    const options = context.rowOptions();
    const result = await listRows(context.store, { ...options, mergeWorkers: true });
    // The hub keeps re-judging the live ones, so a crash shows on the stream without a save.
    context.hub.noteRows(result.rows);
    const answer: RunsResponse = {
      now: options.now ?? context.now(),
      store: context.storeLabel,
      stale_after_seconds: context.staleAfterSeconds,
      rows: result.rows,
      unusable: result.unusable,
      problems: result.problems,
    };
    return Buffer.from(inertJson(answer), 'utf8');
  });
  sendBody(request, response, 200, 'application/json; charset=utf-8', body, {
    'Cache-Control': 'no-store',
  });
};
