/**
 * `GET /metrics`: the Prometheus exposition of every summary, worker by worker: exactly what
 * `summary-inspect export --format prometheus` writes (inspect's `prometheusFormatter`), for
 * the whole store. A store that cannot be listed at all (its root gone or unreadable: the
 * listing holds problems and nothing else) answers 503, so the scrape fails (`up` = 0) rather
 * than succeeding with every series gone, which no alert on the runs would notice.
 */
import { listRows, prometheusFormatter } from '@process-summary/inspect';
import { HttpError, sendBody } from '../http/json.js';
import type { Route } from './context.js';

export const metricsRoute: Route = async (context, { request, response }) => {
  // Scrapes arriving during a listing share it (see routes/runs.ts).
  const exposition = await context.shared.run('metrics', async () => {
    const { rows, unusable, problems } = await listRows(context.store, {
      ...context.rowOptions(),
      mergeWorkers: false,
    });
    if (rows.length === 0 && unusable.length === 0 && problems.length > 0) {
      const first = problems[0];
      context.logger.error(
        { code: first?.code, location: first?.location, problems: problems.length },
        'dashboard: /metrics: the store cannot be listed',
      );
      return null;
    }
    return Buffer.from(prometheusFormatter.format(rows), 'utf8');
  });
  if (exposition === null) {
    throw new HttpError(
      503,
      'E_STORE_UNAVAILABLE',
      'the store cannot be listed (its root is missing or unreadable); the server log says why',
      { 'Retry-After': '5' },
    );
  }
  sendBody(request, response, 200, prometheusFormatter.contentType, exposition, {
    'Cache-Control': 'no-store',
  });
};
