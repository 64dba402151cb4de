export {
  type AggregateOptions,
  type AggregateRun,
  type AggregateTotals,
  aggregateRows,
  type ProcessAggregate,
  type RateTrend,
  rateTrend,
  STEADY_PERCENT,
} from './aggregate.js';
export {
  type CheckResult,
  type CheckThresholds,
  type CheckVerdict,
  checkRow,
  checkRows,
  formatComparison,
  NAGIOS_STATES,
  type NagiosLevel,
  type NagiosState,
  nagiosOutput,
  parseThreshold,
  type Threshold,
  type ThresholdDirection,
  validateThreshold,
  validateThresholds,
} from './check.js';
export {
  type DetailRead,
  type DetailView,
  detailOf,
  type ErrorTypeView,
  errorsByType,
  mergeDetails,
  type ProgressView,
  RECENT_UPDATES,
  readDetail,
} from './detail.js';
export {
  csvField,
  escapeControl,
  nagiosPerfLabel,
  nagiosText,
  prometheusLabelValue,
  safeJsonStringify,
} from './escape.js';
export { CSV_COLUMNS, csvFormatter, toCsv } from './export/csv.js';
export { FORMATTERS, type Formatter, formatterFor } from './export/formatter.js';
export { jsonFormatter } from './export/json.js';
export { METRIC_PREFIX, prometheusFormatter, toPrometheus } from './export/prometheus.js';
export {
  errorRatePercent,
  type ListRowsOptions,
  listRows,
  type RowOptions,
  type RowRead,
  type RowsResult,
  readRow,
  type SummaryRow,
  successRatePercent,
  summaryRow,
  type UnusableStatus,
  type UnusableSummary,
  unusableOf,
} from './rows.js';
export {
  DEFAULT_STALE_AFTER_SECONDS,
  DISPLAY_STATUSES,
  type DisplayStatus,
  fileStatusOf,
  judgeStatus,
  lastUpdateOf,
  needsOwnerStatus,
  type StatusJudgement,
  type StatusOptions,
  statusWords,
} from './status.js';
export { type DisplayTime, displayTime, epochOrNull, formatUtc, humanizeSeconds } from './time.js';
export {
  flattenWorkers,
  groupWorkers,
  mergeWorkers,
  mostUrgentStatus,
  STATUS_URGENCY,
} from './workers.js';
