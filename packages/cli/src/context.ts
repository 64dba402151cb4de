import type { SummaryRef, SummaryStore } from '@process-summary/core';
import type { Colors } from './render/color.js';
import type { StoreChoice } from './store-option.js';

/** The values of the options a command was given (`parseArgs` output). */
export type OptionValues = Record<string, string | boolean | undefined>;

/** What every command receives: the parsed command line and where to write. */
export interface Context {
  /** The store read (and written by `repair`): see `store-option.ts`. */
  store: SummaryStore;
  /** The store as the user named it, for messages and `list --json`'s `root`. */
  storeLabel: string;
  /** Which store that is (`copy` refuses to copy a store onto itself). */
  storeChoice: StoreChoice;
  /**
   * The copies the store set aside for a summary (quarantined, archived), for `repair` to
   * show; only a store with files has them (the file store's `setAsideFiles`).
   */
  setAside?: (ref: SummaryRef) => Promise<{ path: string; sizeBytes: number | null }[]>;
  /**
   * The journal, backup or owner record of a summary that is not a regular file (a FIFO,
   * socket, directory or link where a file belongs), looked at without opening or following
   * it; only a store with files has them (the file store's `oddFiles`). See `odd-files.ts`.
   */
  oddFiles?: (ref: SummaryRef) => Promise<{ path: string; role: string; kind: string }[]>;
  /** `--json`: machine-readable output (documented shapes, see README). */
  json: boolean;
  colors: Colors;
  /** Whether stdout is a terminal (watch redraws in place only then). */
  isTty: boolean;
  /** `--stale-after`: a running summary silent longer than this is `stale`. */
  staleAfterSeconds: number;
  /** Summary files larger than this are refused unread. */
  maxFileBytes: number;
  /** Positional arguments after the command name. */
  args: string[];
  /** The command's own options. */
  options: OptionValues;
  /** Writes to stdout (text must already be escaped). */
  write(text: string): void;
  /** Writes one line to stderr (a warning or a per-file error; escaped by the caller). */
  warn(line: string): void;
  /** Epoch seconds now. */
  now(): number;
  /** Aborted on SIGINT/SIGTERM: long-running commands (watch, events --follow) stop cleanly. */
  signal: AbortSignal;
}
