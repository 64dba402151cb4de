/**
 * The floor `summary-inspect list` is measured against (bench/list.bench.ts): what a user
 * would write instead, a few lines of Node. readdir, readFileSync and JSON.parse per summary,
 * then the fields a listing shows, as JSON (`--json`) or as a padded table. No validation, no
 * owner check, no escaping: what list does beyond this is its cost.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [, , root, mode] = process.argv;
const status = (d) =>
  d.is_completed ? (d.items_failed > 0 ? 'completed_with_failures' : 'completed') : 'running';
const rows = [];
for (const run of readdirSync(root).sort()) {
  for (const name of readdirSync(join(root, run)).sort()) {
    if (!name.startsWith('process_summary_') || !name.endsWith('.json')) continue;
    const path = join(root, run, name);
    const d = JSON.parse(readFileSync(path, 'utf8'));
    rows.push({
      run_name: d.run_name,
      process_name: d.process_name,
      location: path,
      status: status(d),
      items_processed: d.items_processed,
      items_successful: d.items_successful,
      items_failed: d.items_failed,
      items_retried: d.items_retried,
      items_total: d.items_total ?? null,
      bytes_processed: d.bytes_processed,
      success_rate_percent: d.success_rate_percent,
      processing_rate_per_second: d.processing_rate_per_second,
      error_count: d.error_count,
      error_types: d.error_types,
      interruption_count: d.interruption_count,
      start_time: d.start_time,
      end_time: d.end_time,
      duration_seconds: d.duration_seconds,
      active_seconds: d.active_seconds ?? null,
      last_checkpoint_time: d.last_checkpoint_time ?? null,
    });
  }
}
if (mode === 'json') {
  process.stdout.write(`${JSON.stringify({ summaries: rows })}\n`);
} else {
  const count = (n) => n.toLocaleString('en-US');
  const table = [
    [
      'RUN',
      'PROCESS',
      'STATUS',
      'PROCESSED',
      'OK',
      'FAILED',
      'SUCCESS',
      'RATE',
      'ERRORS',
      'INTERRUPTIONS',
      'ENDED',
    ],
    ...rows.map((r) => [
      r.run_name,
      r.process_name,
      r.status.replaceAll('_', ' '),
      count(r.items_processed),
      count(r.items_successful),
      count(r.items_failed),
      `${r.success_rate_percent}%`,
      `${r.processing_rate_per_second.toFixed(1)}/s`,
      count(r.error_count),
      count(r.interruption_count),
      new Date(r.end_time * 1000).toISOString(),
    ]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const lines = table.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
  process.stdout.write(`${lines.join('\n')}\n`);
}
