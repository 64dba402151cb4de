/**
 * Which store the command line names: `--store URL`, `--root DIR` (the file store's
 * shorthand), `PROCESS_SUMMARY_STORE`, `PROCESS_SUMMARY_ROOT`, else `./runs`. A path or a
 * `file://` URL is the file store; `postgres://…` is the PostgreSQL store, which is not
 * available yet and is refused with a coded error naming the package to install.
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SummaryRef, SummaryStore } from '@process-summary/core';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { CliError } from './errors.js';

/** The store a command reads. */
export type StoreChoice = { kind: 'file'; root: string };

/** Where the choice came from, for messages (`--root`, `PROCESS_SUMMARY_STORE`, …). */
interface Named {
  value: string;
  source: string;
}

function pick(
  options: { store?: string | undefined; root?: string | undefined },
  env: NodeJS.ProcessEnv,
): Named {
  if (options.store !== undefined && options.root !== undefined) {
    throw new CliError(
      'E_USAGE',
      '--store and --root both name a store: give one (--root DIR is --store DIR)',
    );
  }
  if (options.store !== undefined) return { value: options.store, source: '--store' };
  if (options.root !== undefined) return { value: options.root, source: '--root' };
  if (env.PROCESS_SUMMARY_STORE) {
    return { value: env.PROCESS_SUMMARY_STORE, source: 'PROCESS_SUMMARY_STORE' };
  }
  if (env.PROCESS_SUMMARY_ROOT) {
    return { value: env.PROCESS_SUMMARY_ROOT, source: 'PROCESS_SUMMARY_ROOT' };
  }
  return { value: 'runs', source: 'the default root' };
}

/**
 * The store named by the options and the environment. Throws `E_USAGE` for an empty value,
 * an unknown URL scheme or both `--store` and `--root`; `E_STORE_UNAVAILABLE` for
 * `postgres://`; `E_NOT_A_DIRECTORY` for a file store root that is a file.
 */
export function chooseStore(
  options: { store?: string | undefined; root?: string | undefined },
  env: NodeJS.ProcessEnv,
): StoreChoice {
  const { value, source } = pick(options, env);
  if (value.trim() === '') throw new CliError('E_USAGE', `${source} is empty`);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  let root = value;
  if (scheme === 'postgres' || scheme === 'postgresql') {
    throw new CliError(
      'E_STORE_UNAVAILABLE',
      `${source} names a PostgreSQL store, which needs the package @process-summary/store-pg; it is not available yet. Use a directory or a file:// URL (the file store)`,
    );
  }
  if (scheme === 'file') {
    try {
      root = fileURLToPath(value);
    } catch (err) {
      throw new CliError('E_USAGE', `${source}: not a usable file:// URL (${value})`, {
        cause: err,
      });
    }
  } else if (scheme !== undefined) {
    throw new CliError(
      'E_USAGE',
      `${source}: unknown store "${scheme}://" (a directory, a file:// URL or postgres://)`,
    );
  }
  // A root that is a file is a mistake worth naming: "no run under …" would hide it.
  let isFile = false;
  try {
    isFile = !statSync(root).isDirectory();
  } catch {
    // Missing or unreadable: each command says so in its own words (list: no such directory).
  }
  if (isFile) {
    throw new CliError(
      'E_NOT_A_DIRECTORY',
      `${source} ${root} is a file, not the directory that holds the runs; to read one summary file, pass it as an argument (summary-inspect show ${root})`,
    );
  }
  return { kind: 'file', root };
}

/** An opened store, and what only the file store can do besides the contract. */
export interface OpenedStore {
  store: SummaryStore;
  /** See `Context.setAside`. */
  setAside?: (ref: SummaryRef) => Promise<{ path: string; sizeBytes: number | null }[]>;
  /** See `Context.oddFiles`. */
  oddFiles?: (ref: SummaryRef) => Promise<{ path: string; role: string; kind: string }[]>;
}

/**
 * The store of a choice. Quiet: a reader shows what the store reports in its own words
 * (`read` returns problems; `repair` lists the warnings `load` returns).
 */
export function openStore(choice: StoreChoice, options: { maxFileBytes: number }): OpenedStore {
  const store = new FileSummaryStore({
    root: choice.root,
    logger: silentLogger,
    maxFileBytes: options.maxFileBytes,
  });
  return {
    store,
    setAside: (ref) => store.setAsideFiles(ref),
    oddFiles: (ref) => store.oddFiles(ref),
  };
}
