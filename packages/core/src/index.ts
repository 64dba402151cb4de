export {
  type Clock,
  createManualClock,
  isRelativeTime,
  MAX_TIME_SECONDS,
  type ManualClock,
  RELATIVE_TIME_LIMIT,
  systemClock,
} from './clock.js';
export {
  codedRangeError,
  codedTypeError,
  ERROR_CODES,
  type ErrorCode,
  hasErrorCode,
  ProcessSummaryError,
  type ValidationIssue,
} from './errors.js';
export { copyJsonValue, type JsonObject, type JsonValue } from './json.js';
export {
  DEFAULT_LIMITS,
  MAX_CUSTOM_METRICS_BYTES,
  MAX_JOURNAL_TEXT_LENGTH,
  MAX_JSON_DEPTH,
  MAX_PROGRESS_FIELDS_BYTES,
  MAX_SUMMARY_DEPTH,
  OVERFLOW_ERROR_TYPE,
  resolveLimits,
  type SummaryLimits,
  truncateText,
} from './limits.js';
export { MemorySummaryStore, type MemorySummaryStoreOptions } from './memory-store.js';
export { assertValidName, assertValidRef, MAX_NAME_BYTES, type NamedRef } from './names.js';
export {
  type ReplayNote,
  type ReplayNoteCode,
  type ReplayOptions,
  type ReplayResult,
  replayEvents,
  SummaryReplay,
} from './replay.js';
export { roundHalfEven2 } from './round.js';
export {
  checkSummaryDict,
  type SummaryCheck,
  summarySchema,
  validateSummaryDict,
} from './schema.js';
export {
  type Acquired,
  type AcquireOptions,
  canSaveSync,
  compareRefs,
  type EventsOptions,
  type JournalRecord,
  type Lease,
  type ListedSummary,
  type Listing,
  type ListOptions,
  type ListProblem,
  type LoadOptions,
  type LoadResult,
  type OwnerGoneReason,
  type OwnerIdentity,
  type OwnerInfo,
  type OwnerStatus,
  type OwnershipOptions,
  type PreviousOwner,
  type ReadOptions,
  type ReadResult,
  refName,
  type StoreWarning,
  type SummaryProblem,
  type SummaryProblemCode,
  type SummaryRef,
  type SummaryStore,
  type SyncSavingStore,
  sameRef,
  type WatchOptions,
} from './store.js';
export {
  type FromDictOptions,
  INTERRUPTION_DETECTED_MESSAGE,
  type ItemCounts,
  ProcessSummary,
  type ProcessSummaryOptions,
  RESUMED_MESSAGE,
  type ValidatedDict,
} from './summary.js';
export {
  type ErrorDetail,
  type InterruptionReason,
  type ProcessOutcome,
  type ProgressSummary,
  type ProgressUpdate,
  type RunTotals,
  SCHEMA_VERSION,
  type SessionContext,
  type SessionEndReason,
  type SessionEntry,
  type SummaryDict,
  type SummaryEvent,
  type SummaryStatus,
} from './types.js';
