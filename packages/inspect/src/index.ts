export {
  csvField,
  escapeControl,
  nagiosPerfLabel,
  nagiosText,
  prometheusLabelValue,
  safeJsonStringify,
} from './escape.js';
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
} from './status.js';
export { type DisplayTime, displayTime, epochOrNull, formatUtc, humanizeSeconds } from './time.js';
