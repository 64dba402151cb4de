/** `GET /api/runs/:run/:process/timeline[?worker=W&points=N]`: throughput over time. */
import { refName } from '@process-summary/core';
import { HttpError, sendJson } from '../http/json.js';
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
  const timeline = await readTimeline(context.store, ref, { ...context.rowOptions(), maxPoints });
  if (timeline === null) throw new HttpError(404, 'E_NOT_FOUND', `no summary ${refName(ref)}`);
  sendJson(route.request, route.response, 200, timeline);
};
