/**
 * The Prometheus text exposition format (0.0.4), for node_exporter's textfile collector.
 * Names follow the Prometheus conventions and pass `promtool check metrics`: one prefix
 * (`pipeline_`, without the word "summary", which promtool's lint rejects), counters end in
 * `_total`, base units (`_seconds`, `_bytes`), labels `run` and `process`, the status as
 * one 0/1 gauge per state (promtool 2.42 rejects the OpenMetrics `stateset` type).
 * Seed-format files have no dates: their timestamp metrics are left out rather than
 * exported as meaningless epochs.
 */
import { isRelativeTime } from '@process-summary/core';
import type { LoadedSummary } from './load.js';
import { escapeControl } from './render/format.js';
import { DISPLAY_STATUSES } from './status.js';
import { displayRate } from './view.js';

/** The prefix of every metric. */
export const METRIC_PREFIX = 'pipeline_';

interface Family {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  /** The samples of one summary: extra labels and a value; none when unknown. */
  samples(summary: LoadedSummary): { labels?: Record<string, string>; value: number }[];
}

const one = (value: number | null | undefined) =>
  value === null || value === undefined || !Number.isFinite(value) ? [] : [{ value }];
const epoch = (value: number | null | undefined) =>
  value === null || value === undefined || isRelativeTime(value) ? [] : one(value);

const FAMILIES: readonly Family[] = [
  {
    name: 'items_processed_total',
    type: 'counter',
    help: 'Items processed (successful, failed or otherwise).',
    samples: (s) => one(s.row.items_processed),
  },
  {
    name: 'items_successful_total',
    type: 'counter',
    help: 'Items processed successfully.',
    samples: (s) => one(s.row.items_successful),
  },
  {
    name: 'items_failed_total',
    type: 'counter',
    help: 'Items that failed.',
    samples: (s) => one(s.row.items_failed),
  },
  {
    name: 'items_retried_total',
    type: 'counter',
    help: 'Item retries.',
    samples: (s) => one(s.row.items_retried),
  },
  {
    name: 'processed_bytes_total',
    type: 'counter',
    help: 'Bytes processed.',
    samples: (s) => one(s.row.bytes_processed),
  },
  {
    name: 'errors_total',
    type: 'counter',
    help: 'Errors recorded, all types.',
    samples: (s) => one(s.row.error_count),
  },
  {
    name: 'errors_by_type_total',
    type: 'counter',
    help: 'Errors recorded, by error type (types past the limit are counted under __other__).',
    samples: (s) =>
      Object.entries(s.file.dict.error_types).map(([type, count]) => ({
        labels: { type },
        value: count,
      })),
  },
  {
    name: 'interruptions_total',
    type: 'counter',
    help: 'Interruptions detected (crash, signal, reboot, stale owner, checkpoint gap).',
    samples: (s) => one(s.row.interruption_count),
  },
  {
    name: 'items_expected',
    type: 'gauge',
    help: 'Items expected in all (items_total), when known.',
    samples: (s) => one(s.row.items_total),
  },
  {
    name: 'success_ratio',
    type: 'gauge',
    help: 'Successful / (successful + failed), 0 to 1; 0 when nothing was attempted.',
    samples: (s) => one(s.row.success_rate_percent / 100),
  },
  {
    name: 'items_per_second',
    type: 'gauge',
    help: 'Processing rate: the current session while running, else the whole run.',
    samples: (s) => one(displayRate(s.row)),
  },
  {
    name: 'duration_seconds',
    type: 'gauge',
    help: 'Run duration from start to end; absent while running.',
    samples: (s) => one(s.row.duration_seconds),
  },
  {
    name: 'active_duration_seconds',
    type: 'gauge',
    help: 'Time spent running, summed over sessions.',
    samples: (s) => one(s.file.dict.active_seconds),
  },
  {
    name: 'start_time_seconds',
    type: 'gauge',
    help: 'When the run started, Unix time.',
    samples: (s) => epoch(s.row.start_time),
  },
  {
    name: 'end_time_seconds',
    type: 'gauge',
    help: 'When the run ended, Unix time.',
    samples: (s) => epoch(s.row.end_time),
  },
  {
    name: 'last_checkpoint_time_seconds',
    type: 'gauge',
    help: 'The last checkpoint (sign of life) of the writer, Unix time.',
    samples: (s) => epoch(s.row.last_checkpoint_time),
  },
  {
    name: 'last_update_time_seconds',
    type: 'gauge',
    help: 'When the pipeline last saved its state, Unix time.',
    samples: (s) => epoch(s.row.last_update_time),
  },
  {
    name: 'eta_seconds',
    type: 'gauge',
    help: 'Estimated seconds to items_expected at the current rate, while running.',
    samples: (s) => (s.row.file_status === 'running' ? one(s.row.eta_seconds) : []),
  },
  {
    name: 'status',
    type: 'gauge',
    help: 'The status, one series per state: 1 for the current state, 0 for the others.',
    samples: (s) =>
      DISPLAY_STATUSES.map((state) => ({
        labels: { state },
        value: s.row.status === state ? 1 : 0,
      })),
  },
];

/** A label value as the format wants it; control characters escaped first, never raw. */
function labelValue(text: string): string {
  return escapeControl(text)
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('\n', '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** The exposition of every summary: each family once, its HELP and TYPE, then its samples. */
export function toPrometheus(summaries: readonly LoadedSummary[]): string {
  const lines: string[] = [];
  for (const family of FAMILIES) {
    const samples: string[] = [];
    for (const summary of summaries) {
      for (const sample of family.samples(summary)) {
        const labels = {
          run: summary.row.run_name,
          process: summary.row.process_name,
          ...sample.labels,
        };
        const text = Object.entries(labels)
          .map(([key, value]) => `${key}="${labelValue(value)}"`)
          .join(',');
        samples.push(`${METRIC_PREFIX}${family.name}{${text}} ${formatValue(sample.value)}`);
      }
    }
    if (samples.length === 0) continue;
    lines.push(`# HELP ${METRIC_PREFIX}${family.name} ${family.help}`);
    lines.push(`# TYPE ${METRIC_PREFIX}${family.name} ${family.type}`);
    lines.push(...samples);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
