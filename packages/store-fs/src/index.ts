export type { StoreErrorCode, StoreWarningCode } from './errors.js';
export {
  DEFAULT_MAX_FILE_BYTES,
  FileSummaryStore,
  type FileSummaryStoreOptions,
} from './file-store.js';
export {
  type DirEntryLike,
  type FileHandleLike,
  type FileSystem,
  nodeFileSystem,
  type StatsLike,
} from './fs-seam.js';
export {
  describeIssue,
  type InspectedSummary,
  type InspectSummaryOptions,
  inspectSummaryFile,
  inspectSummaryFileSync,
  type SummaryFileProblem,
  type SummaryInspection,
  type SummaryProblemCode,
} from './inspect.js';
export {
  DEFAULT_MAX_JOURNAL_LINE_BYTES,
  type JournalEntry,
  type ReadJournalOptions,
  readJournal,
} from './journal.js';
export type { SummaryPaths } from './layout.js';
export { defaultLogger, type Logger, silentLogger } from './logger.js';
export type { OddFile, SetAsideFile } from './reader.js';
