/** `GET /healthz`: the server answers (never needs the token, never touches the store). */
import type { HealthResponse } from '../api.js';
import { sendJson } from '../http/json.js';
import type { Route } from './context.js';

export const healthRoute: Route = async (context, { request, response }) => {
  const body: HealthResponse = { status: 'ok', now: context.now() };
  sendJson(request, response, 200, body);
};
