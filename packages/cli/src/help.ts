/** `--help` texts: what each command does, its options, and examples. */

const GLOBAL_OPTIONS = `Options for every command:
  --root DIR           summaries root (default: $PROCESS_SUMMARY_ROOT, else ./runs)
  --json               machine-readable output (shapes documented in the README)
  --stale-after DUR    a running summary silent this long is "stale" (default 5m)
  --max-file-bytes N   refuse summary files larger than N bytes (default 64 MiB)
  --no-color           no colours (also: NO_COLOR set, or stdout not a terminal)
  --debug              stack traces with errors
  -h, --help           this help; "summary-inspect <command> --help" for one command
  -V, --version        the version`;

/** The help of each command, keyed by name. */
export const COMMAND_HELP: Readonly<Record<string, string>> = {
  list: `summary-inspect [list]

One row per (run, process) under the root: status, processed / successful / failed,
success %, rate, errors, interruptions, last update, ETA.
Status is running, stale (running but its owner is gone or silent), completed,
completed with failures, failed or interrupted.

Examples:
  summary-inspect
  summary-inspect list --root /data/runs --json`,
  show: `summary-inspect show <run> [process] | <file>

Everything about one summary: identity and status, timing, counters with rates and ETA,
errors by type, last error, the five most recent progress updates, custom metrics,
sessions. Seed-format files (written by the Python original) show times as +12.3s.

Examples:
  summary-inspect show harvard_2024 collect
  summary-inspect show runs/harvard_2024/process_summary_collect.json --json`,
  watch: `summary-inspect watch <run> [process] [--interval SEC]

Live view, redrawn when the file changes (and every --interval seconds, default 1):
progress bar with rate and ETA when the total is known, counters, latest progress
message, errors. Without a terminal, prints one line per change.
Exits 0 when the process completes, 1 when it fails or is interrupted.

Examples:
  summary-inspect watch harvard_2024 collect
  summary-inspect watch harvard_2024 collect | tee watch.log`,
  validate: `summary-inspect validate <file...>

Schema validation with the JSON path, expected and found value of every problem.
Exit 1 if any file is invalid.

Examples:
  summary-inspect validate runs/*/process_summary_*.json`,
  check: `summary-inspect check <run> [process] [thresholds]

Alerting for cron and CI, Nagios plugin convention: one status line,
exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
  --max-error-rate P    failed / attempted, in percent
  --max-failed N        failed items
  --min-rate R          items per second while running
  --stale-after DUR     silence after which a running process is stale (CRITICAL)
  --require-completed   anything but completed is CRITICAL
A threshold is N (CRITICAL past it) or WARN,CRIT (e.g. --max-error-rate 1,5).
Failed or stale is CRITICAL; interrupted is WARNING.

Examples:
  summary-inspect check harvard_2024 collect --max-error-rate 1,5 --stale-after 10m
  summary-inspect check nightly --require-completed --max-failed 0`,
  aggregate: `summary-inspect aggregate [--process NAME] [--since DATE]

Across runs, for each process name: one row per run with date, duration, items, rate and
error rate, totals, and the trend of the rate from run to run.
  --process NAME   only this process
  --since DATE     only runs started on or after DATE (2025-06-01) or within a duration (7d)

Examples:
  summary-inspect aggregate --process collect --since 30d`,
  export: `summary-inspect export <run> [process] --format json|csv|prometheus

  json         the summary with its displayed status (the list --json row, plus the file)
  csv          one header line, one line per summary
  prometheus   text exposition format 0.0.4, prefix pipeline_, for node_exporter's
               textfile collector; passes "promtool check metrics"

Examples:
  summary-inspect export harvard_2024 --format prometheus > /var/lib/node_exporter/harvard.prom`,
  events: `summary-inspect events <run> <process> [--follow]

The journal (every progress update, error, session start and end, interruption), oldest
first, streamed. --follow keeps printing appended events until Ctrl-C.

Examples:
  summary-inspect events harvard_2024 collect --json | jq 'select(.type=="error")'
  summary-inspect events harvard_2024 collect --follow`,
  repair: `summary-inspect repair <run> <process>

Restores a missing or corrupt summary from its previous good version (.bak), moving the
bad file aside as ….corrupt-<time>; without a usable .bak, rebuilds it from the journal
(custom metrics and items_total are lost; the output says what else). Lists the
quarantined files. Never deletes. Refuses while a live process owns the summary.

Examples:
  summary-inspect repair harvard_2024 collect`,
};

/** The top-level help. */
export function mainHelp(): string {
  return `summary-inspect — see how your pipelines are doing

Usage: summary-inspect [command] [arguments] [options]

Commands:
  list                              one row per (run, process) (the default)
  show <run> [process] | <file>     everything about one summary
  watch <run> [process]             live view until the process ends
  validate <file...>                schema validation, precise messages
  check <run> [process] [...]       Nagios-style alert: exit 0/1/2/3
  aggregate [--process] [--since]   runs compared: rate, errors, trend
  export <run> [process] --format   json, csv or prometheus
  events <run> <process> [--follow] the journal, streamed
  repair <run> <process>            restore from the previous good version or the journal

${GLOBAL_OPTIONS}

Exit codes: 0 ok, 1 invalid file(s) / watched process failed, 2 usage error,
3 not found or unreadable; check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.

Examples:
  summary-inspect
  summary-inspect show harvard_2024 collect
  summary-inspect check harvard_2024 collect --max-error-rate 1,5
  summary-inspect export harvard_2024 --format prometheus`;
}

/** The help of one command, with the global options. */
export function commandHelp(command: string): string {
  return `${COMMAND_HELP[command] ?? ''}\n\n${GLOBAL_OPTIONS}`;
}
