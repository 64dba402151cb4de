/** `GET /api/stream[?run=R&process=P]`: server-sent events through the live hub. */
import { assertValidName } from '@process-summary/core';
import { SECURITY_HEADERS } from '../http/headers.js';
import { HttpError } from '../http/json.js';
import { type Route, single } from './context.js';

export const streamRoute: Route = async (context, { request, response, query }) => {
  const run = single(query, 'run');
  const process = single(query, 'process');
  if (run !== undefined) assertValidName('run', run);
  if (process !== undefined) assertValidName('process', process);
  if (request.method === 'HEAD') {
    response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    response.end();
    return;
  }
  const filter: { run?: string; process?: string } = {};
  if (run !== undefined) filter.run = run;
  if (process !== undefined) filter.process = process;
  if (!context.hub.attach(request, response, filter, { ...SECURITY_HEADERS })) {
    throw new HttpError(
      503,
      'E_INVALID_STATE',
      `too many open event streams (${context.hub.clientCount} in all, or too many from your address); try again later`,
      { 'Retry-After': '10' },
    );
  }
};
