/** `GET /api/runs/:run/:process[?worker=W]`: the detail of one process (workers merged) or worker. */
import { refName } from '@process-summary/core';
import { readDetail } from '@process-summary/inspect';
import type { RunResponse } from '../api.js';
import { HttpError, sendJson } from '../http/json.js';
import { type Route, refOf } from './context.js';

export const runRoute: Route = async (context, route) => {
  const ref = refOf(route);
  const options = context.rowOptions();
  const { detail, unusable } = await readDetail(context.store, ref, options);
  // Nothing there at all is a 404; a summary that exists but cannot be used is an answer.
  if (detail === null && unusable.every((u) => u.status === 'missing')) {
    throw new HttpError(404, 'E_NOT_FOUND', `no summary ${refName(ref)}`);
  }
  const body: RunResponse = { now: options.now ?? context.now(), detail, unusable };
  sendJson(route.request, route.response, 200, body);
};
