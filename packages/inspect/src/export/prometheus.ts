/**
 * The Prometheus text exposition format (0.0.4), for node_exporter's textfile collector and
 * `/metrics`. Names follow the Prometheus conventions and pass `promtool check metrics`: one
 * prefix (`pipeline_`, without the word "summary", which promtool's lint rejects), counters
 * end in `_total`, base units, labels `run`, `process` and (for a worker) `worker`, the
 * status as one 0/1 gauge per state. One series per stored summary: a process with workers
 * is exported worker by worker (`sum by (run, process)` merges them), never also merged,
 * and no two series share a name and labels. Seed-format times are left out rather than
 * exported as meaningless epochs; a crashed or stale run exports no rate and no ETA.
 */
import { prometheusLabelValue } from '../escape.js';
import type { SummaryRow } from '../rows.js';
import { DISPLAY_STATUSES } from '../status.js';
import { epochOrNull } from '../time.js';
import { flattenWorkers } from '../workers.js';
import type { Formatter } from './formatter.js';

/** The prefix of every metric. */
export const METRIC_PREFIX = 'pipeline_';

interface Sample {
  labels?: Record<string, string>;
  value: number;
}

interface Family {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  samples(row: SummaryRow): Sample[];
}

const one = (value: number | null | undefined): Sample[] =>
  value === null || value === undefined || !Number.isFinite(value) ? [] : [{ value }];

/** Whether the row's rate means anything now: not for a run that says running but is not. */
const hasRate = (row: SummaryRow) => row.status !== 'crashed' && row.status !== 'stale';

const FAMILIES: readonly Family[] = [
  {
    name: 'items_processed_total',
    type: 'counter',
    help: 'Items processed (successful, failed or otherwise).',
    samples: (r) => one(r.items_processed),
  },
  {
    name: 'items_successful_total',
    type: 'counter',
    help: 'Items processed successfully.',
    samples: (r) => one(r.items_successful),
  },
  {
    name: 'items_failed_total',
    type: 'counter',
    help: 'Items that failed.',
    samples: (r) => one(r.items_failed),
  },
  {
    name: 'items_retried_total',
    type: 'counter',
    help: 'Item retries.',
    samples: (r) => one(r.items_retried),
  },
  {
    name: 'processed_bytes_total',
    type: 'counter',
    help: 'Bytes processed.',
    samples: (r) => one(r.bytes_processed),
  },
  {
    name: 'errors_total',
    type: 'counter',
    help: 'Errors recorded, all types.',
    samples: (r) => one(r.error_count),
  },
  {
    name: 'errors_by_type_total',
    type: 'counter',
    help: 'Errors recorded, by error type (types past the limit are counted under __other__).',
    samples: (r) =>
      Object.entries(r.error_types).map(([type, count]) => ({ labels: { type }, value: count })),
  },
  {
    name: 'interruptions_total',
    type: 'counter',
    help: 'Interruptions detected (crash, signal, reboot, stale owner, checkpoint gap).',
    samples: (r) => one(r.interruption_count),
  },
  {
    name: 'items_expected',
    type: 'gauge',
    help: 'Items expected in all (items_total), when known.',
    samples: (r) => one(r.items_total),
  },
  {
    name: 'success_ratio',
    type: 'gauge',
    help: 'Successful / (successful + failed), 0 to 1; 0 when nothing was attempted.',
    samples: (r) => one(r.success_rate_percent / 100),
  },
  {
    name: 'items_per_second',
    type: 'gauge',
    help: 'Processing rate: the current session while running, else the whole run; absent for a crashed or stale run.',
    samples: (r) => (hasRate(r) ? one(r.rate_per_second) : []),
  },
  {
    name: 'duration_seconds',
    type: 'gauge',
    help: 'Run duration from start to end; absent while running.',
    samples: (r) => one(r.duration_seconds),
  },
  {
    name: 'active_duration_seconds',
    type: 'gauge',
    help: 'Time spent running, summed over sessions.',
    samples: (r) => one(r.active_seconds),
  },
  {
    name: 'start_time_seconds',
    type: 'gauge',
    help: 'When the run started, Unix time.',
    samples: (r) => one(epochOrNull(r.start_time)),
  },
  {
    name: 'end_time_seconds',
    type: 'gauge',
    help: 'When the run ended, Unix time.',
    samples: (r) => one(epochOrNull(r.end_time)),
  },
  {
    name: 'last_checkpoint_time_seconds',
    type: 'gauge',
    help: 'The last checkpoint (sign of life) of the writer, Unix time.',
    samples: (r) => one(epochOrNull(r.last_checkpoint_time)),
  },
  {
    name: 'last_update_time_seconds',
    type: 'gauge',
    help: 'When the pipeline last saved its state, Unix time.',
    samples: (r) => one(epochOrNull(r.last_update_time)),
  },
  {
    name: 'eta_seconds',
    type: 'gauge',
    help: 'Estimated seconds to items_expected at the current rate, only while running.',
    samples: (r) => (r.status === 'running' ? one(r.eta_seconds) : []),
  },
  {
    name: 'status',
    type: 'gauge',
    help: 'The status, one series per state: 1 for the current state, 0 for the others.',
    samples: (r) =>
      DISPLAY_STATUSES.map((state) => ({ labels: { state }, value: r.status === state ? 1 : 0 })),
  },
];

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** The exposition of every row: each family once, its HELP and TYPE, then its samples. */
export function toPrometheus(rows: readonly SummaryRow[]): string {
  // The same summary given twice (two paths to one file) is one series, not a sum.
  const unique = new Map<string, SummaryRow>();
  for (const row of flattenWorkers(rows)) {
    const key = JSON.stringify([row.run_name, row.process_name, row.worker]);
    if (!unique.has(key)) unique.set(key, row);
  }
  const summaries = [...unique.values()];
  const lines: string[] = [];
  for (const family of FAMILIES) {
    const name = `${METRIC_PREFIX}${family.name}`;
    // Two rows (or two error types) can escape to the same labels, and a scraper rejects the
    // whole exposition for a duplicate series: a counter's colliding samples are added up
    // (nothing counted is lost), a gauge keeps the first.
    const values = new Map<string, number>();
    for (const row of summaries) {
      for (const sample of family.samples(row)) {
        const labels: Record<string, string> = { run: row.run_name, process: row.process_name };
        if (row.worker !== null) labels.worker = row.worker;
        Object.assign(labels, sample.labels);
        const text = Object.entries(labels)
          .map(([key, value]) => `${key}="${prometheusLabelValue(value)}"`)
          .join(',');
        const earlier = values.get(text);
        if (earlier === undefined) values.set(text, sample.value);
        else if (family.type === 'counter') values.set(text, earlier + sample.value);
      }
    }
    const samples = [...values].map(([text, value]) => `${name}{${text}} ${formatValue(value)}`);
    if (samples.length === 0) continue;
    lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`, ...samples);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** The Prometheus text format 0.0.4. */
export const prometheusFormatter: Formatter = {
  name: 'prometheus',
  contentType: 'text/plain; version=0.0.4; charset=utf-8',
  format: toPrometheus,
};
