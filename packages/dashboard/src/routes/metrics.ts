/**
 * `GET /metrics`: the Prometheus exposition of every summary, worker by worker: exactly what
 * `summary-inspect export --format prometheus` writes (inspect's `prometheusFormatter`), for
 * the whole store.
 */
import { listRows, prometheusFormatter } from '@process-summary/inspect';
import { sendBody } from '../http/json.js';
import type { Route } from './context.js';

export const metricsRoute: Route = async (context, { request, response }) => {
  // Scrapes arriving during a listing share it (see routes/runs.ts).
  const exposition = await context.shared.run('metrics', async () => {
    const { rows } = await listRows(context.store, {
      ...context.rowOptions(),
      mergeWorkers: false,
    });
    return Buffer.from(prometheusFormatter.format(rows), 'utf8');
  });
  sendBody(request, response, 200, prometheusFormatter.contentType, exposition, {
    'Cache-Control': 'no-store',
  });
};
