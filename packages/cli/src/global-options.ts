/** The options every command takes: parsed and documented from this one list. */
import type { OptionSpec } from './spec.js';

/** Every command's options, in the order the help lists them. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'root',
    type: 'string',
    value: 'DIR',
    description: "the file store's root (default: $PROCESS_SUMMARY_ROOT, else ./runs)",
  },
  {
    name: 'store',
    type: 'string',
    value: 'URL',
    description:
      'a directory or file:// URL (the file store), or postgres://… (needs @process-summary/store-pg); default $PROCESS_SUMMARY_STORE',
  },
  {
    name: 'json',
    type: 'boolean',
    description: 'machine-readable output (shapes documented in the README)',
  },
  {
    name: 'stale-after',
    type: 'string',
    value: 'DUR',
    description: 'a running summary silent this long is "stale" (default 5m)',
  },
  {
    name: 'max-file-bytes',
    type: 'string',
    value: 'N',
    description: 'refuse summary files larger than N bytes (default 64 MiB)',
  },
  {
    name: 'no-color',
    type: 'boolean',
    description: 'no colours (also: NO_COLOR set, or stdout not a terminal)',
  },
  { name: 'debug', type: 'boolean', description: 'stack traces with errors' },
  {
    name: 'help',
    type: 'boolean',
    short: 'h',
    description: 'this help; "summary-inspect <command> --help" for one command',
  },
  { name: 'version', type: 'boolean', short: 'V', description: 'the version' },
];
