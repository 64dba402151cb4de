/**
 * The floor `summary-inspect list` is measured against (bench/list.bench.ts): what a user
 * would write instead, a few lines of Node. readdir, readFileSync and JSON.parse per summary,
 * then the same row fields as `list --json` (derived ones the simple way: status from the
 * file, no owner check) or the columns of its table. No validation, no escaping: what list
 * does beyond this is its cost.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [, , root, mode] = process.argv;
const now = Date.now() / 1000;
const rows = [];
for (const run of readdirSync(root).sort()) {
  for (const name of readdirSync(join(root, run)).sort()) {
    if (!name.startsWith('process_summary_') || !name.endsWith('.json')) continue;
    const path = join(root, run, name);
    const d = JSON.parse(readFileSync(path, 'utf8'));
    const fileStatus = d.status ?? (d.is_completed ? 'completed' : 'running');
    const attempted = d.items_successful + d.items_failed;
    const lastUpdate = d.last_checkpoint_time ?? d.end_time ?? null;
    rows.push({
      run_name: d.run_name,
      process_name: d.process_name,
      worker: d.worker ?? null,
      location: path,
      status:
        fileStatus === 'completed' && d.items_failed > 0 ? 'completed_with_failures' : fileStatus,
      file_status: fileStatus,
      status_reason: null,
      time_base: d.start_time < 1e9 ? 'relative' : 'epoch',
      seed_format: !('schema_version' in d),
      items_processed: d.items_processed,
      items_successful: d.items_successful,
      items_failed: d.items_failed,
      items_retried: d.items_retried,
      items_total: d.items_total ?? null,
      bytes_processed: d.bytes_processed,
      success_rate_percent: d.success_rate_percent,
      error_rate_percent:
        attempted > 0 ? Math.round((d.items_failed / attempted) * 10000) / 100 : 0,
      processing_rate_per_second: d.processing_rate_per_second,
      current_rate_per_second: null,
      rate_per_second: d.processing_rate_per_second,
      error_count: d.error_count,
      error_types: d.error_types,
      interruption_count: d.interruption_count,
      start_time: d.start_time,
      end_time: d.end_time,
      duration_seconds: d.duration_seconds,
      active_seconds: d.active_seconds ?? null,
      last_checkpoint_time: d.last_checkpoint_time ?? null,
      last_update_time: lastUpdate,
      silent_seconds: lastUpdate === null ? null : now - lastUpdate,
      eta_seconds: null,
      owner: null,
      worker_count: 0,
      workers: [],
    });
  }
}
if (mode === 'json') {
  process.stdout.write(
    `${JSON.stringify({ root, summaries: rows, needs_repair: [], errors: [] })}\n`,
  );
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
