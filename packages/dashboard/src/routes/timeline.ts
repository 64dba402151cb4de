/** `GET /api/runs/:run/:process/timeline[?worker=W&points=N]`: throughput over time. */
import { refName } from '@process-summary/core';
import { HttpError, inertJson, sendBody } from '../http/json.js';
import { DEFAULT_TIMELINE_POINTS, MAX_TIMELINE_POINTS, readTimeline } from '../timeline.js';
import { integerParam, type Route, refOf } from './context.js';

export const timelineRoute: Route = async (context, route) => {
  const ref = refOf(route);
  const maxPoints = integerParam(
    route.query,
    'points',
    DEFAULT_TIMELINE_POINTS,
    1,
    MAX_TIMELINE_POINTS,
  );
  // Identical requests in flight (every open tab of a run refreshing on the same save) share
  // one reading of the journal and one serialized body. refName marks a worker with `@`,
  // which no run or process name may hold, so the key is unambiguous.
  const key = `timeline\u0000${refName(ref)}\u0000${maxPoints}`;
  const body = await context.shared.run(key, async () => {
    const timeline = await readTimeline(context.store, ref, {
      ...context.rowOptions(),
      maxPoints,
    });
    return timeline === null ? null : Buffer.from(inertJson(timeline), 'utf8');
  });
  if (body === null) throw new HttpError(404, 'E_NOT_FOUND', `no summary ${refName(ref)}`);
  sendBody(route.request, route.response, 200, 'application/json; charset=utf-8', body, {
    'Cache-Control': 'no-store',
  });
};
