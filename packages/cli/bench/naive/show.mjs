/**
 * The floor `summary-inspect show <file>` is measured against (bench/list.bench.ts): what a
 * user would write instead. readFileSync and JSON.parse, then the fields `show` prints: names,
 * timing, counters, errors by type, the last five progress updates, the custom metrics. No
 * validation, no escaping.
 */
import { readFileSync } from 'node:fs';

const d = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const count = (n) => n.toLocaleString('en-US');
const lines = [
  `${d.run_name} / ${d.process_name}  ${d.is_completed ? 'completed' : 'running'}`,
  `  started:        ${d.start_time}`,
  `  ended:          ${d.end_time}`,
  `  duration:       ${d.duration_seconds}s`,
  `  processed:      ${count(d.items_processed)}`,
  `  successful:     ${count(d.items_successful)}`,
  `  failed:         ${count(d.items_failed)}`,
  `  retried:        ${count(d.items_retried)}`,
  `  success rate:   ${d.success_rate_percent}%`,
  `  rate:           ${d.processing_rate_per_second}/s`,
  `  interruptions:  ${count(d.interruption_count)}`,
  `Errors (${count(d.error_count)})`,
  ...Object.entries(d.error_types).map(([type, n]) => `  ${type}  ${count(n)}`),
  `Progress (${count(d.progress_updates_count)} updates, latest 5)`,
  ...d.progress_updates
    .slice(-5)
    .map((u) => `  +${u.elapsed_seconds}s  ${u.message}  (${count(u.items_processed)} processed)`),
  'Custom metrics',
  ...Object.entries(d.custom_metrics).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
];
process.stdout.write(`${lines.join('\n')}\n`);
