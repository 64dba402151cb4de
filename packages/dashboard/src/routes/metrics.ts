/**
 * `GET /metrics`: the Prometheus exposition of every summary, worker by worker: exactly what
 * `summary-inspect export --format prometheus` writes (inspect's `prometheusFormatter`), for
 * the whole store.
 */
import { listRows, prometheusFormatter } from '@process-summary/inspect';
import { sendBody } from '../http/json.js';
import type { Route } from './context.js';

export const metricsRoute: Route = async (context, { request, response }) => {
  const { rows } = await listRows(context.store, { ...context.rowOptions(), mergeWorkers: false });
  sendBody(
    request,
    response,
    200,
    prometheusFormatter.contentType,
    prometheusFormatter.format(rows),
    {
      'Cache-Control': 'no-store',
    },
  );
};
