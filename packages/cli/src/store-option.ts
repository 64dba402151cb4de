/**
 * Which store the command line names: `--store URL`, `--root DIR` (the file store's
 * shorthand), `PROCESS_SUMMARY_STORE`, `PROCESS_SUMMARY_ROOT`, else `./runs`. A path or a
 * `file://` URL is the file store; `postgres://…` (or `postgresql://`) is the PostgreSQL store
 * of `@process-summary/store-pg`, an optional peer dependency imported only then (it is kept
 * out of the bundle), so reading files never loads a database driver.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SummaryRef, SummaryStore } from '@process-summary/core';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { CliError } from './errors.js';

/** The store a command reads. */
export type StoreChoice =
  | { kind: 'file'; root: string; source: string }
  | {
      kind: 'postgres';
      url: string;
      /** The URL without its password, for messages and `list --json`'s `root`. */
      label: string;
      source: string;
    };

/** Where the choice came from, for messages (`--root`, `PROCESS_SUMMARY_STORE`, …). */
export interface Named {
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
 * an unknown URL scheme, a `postgres://` URL that does not parse, or both `--store` and
 * `--root`; `E_NOT_A_DIRECTORY` for a file store root that is a file.
 */
export function chooseStore(
  options: { store?: string | undefined; root?: string | undefined },
  env: NodeJS.ProcessEnv,
): StoreChoice {
  return storeNamed(pick(options, env));
}

/** The store one value names (`source` says where it came from: `--to`, `--store`, …). */
export function storeNamed({ value, source }: Named): StoreChoice {
  if (value.trim() === '') throw new CliError('E_USAGE', `${source} is empty`);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  let root = value;
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return { kind: 'postgres', url: value, label: postgresLabel(value, source), source };
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
  return { kind: 'file', root, source };
}

/** The URL as shown: without its password (it is never echoed), or refused if it does not parse. */
function postgresLabel(url: string, source: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    // Not quoted: the text may hold a password.
    throw new CliError(
      'E_USAGE',
      `${source}: not a usable postgres:// URL (postgres://user:password@host:port/database[?schema=NAME])`,
      { cause: err },
    );
  }
  parsed.password = '';
  return parsed.href;
}

/** The label of a choice, for messages. */
export function storeLabel(choice: StoreChoice): string {
  return choice.kind === 'file' ? choice.root : choice.label;
}

/** Whether two choices name the same store (copying a store onto itself is refused). */
export function sameStore(a: StoreChoice, b: StoreChoice): boolean {
  if (a.kind === 'file' && b.kind === 'file') return resolve(a.root) === resolve(b.root);
  if (a.kind === 'postgres' && b.kind === 'postgres') {
    const x = new URL(a.url);
    const y = new URL(b.url);
    const schema = (u: URL) => u.searchParams.get('schema') ?? 'process_summary';
    return (
      x.hostname === y.hostname &&
      x.port === y.port &&
      x.pathname === y.pathname &&
      schema(x) === schema(y)
    );
  }
  return false;
}

/** An opened store, and what only the file store can do besides the contract. */
export interface OpenedStore {
  store: SummaryStore;
  /** Ends what was opened (the PostgreSQL store's pool); a no-op for the file store. */
  close(): Promise<void>;
  /** See `Context.setAside`. */
  setAside?: (ref: SummaryRef) => Promise<{ path: string; sizeBytes: number | null }[]>;
  /** See `Context.oddFiles`. */
  oddFiles?: (ref: SummaryRef) => Promise<{ path: string; role: string; kind: string }[]>;
}

/**
 * The store of a choice. Quiet: a reader shows what the store reports in its own words
 * (`read` returns problems; `repair` lists the warnings `load` returns).
 */
export async function openStore(
  choice: StoreChoice,
  options: { maxFileBytes: number },
): Promise<OpenedStore> {
  if (choice.kind === 'postgres') return openPostgres(choice);
  const store = new FileSummaryStore({
    root: choice.root,
    logger: silentLogger,
    maxFileBytes: options.maxFileBytes,
  });
  return {
    store,
    close: async () => {},
    setAside: (ref) => store.setAsideFiles(ref),
    oddFiles: (ref) => store.oddFiles(ref),
  };
}

/** The package a `postgres://` store needs (with `pg`). */
const STORE_PG = '@process-summary/store-pg';

/** What the CLI uses of store-pg. */
interface StorePgModule {
  PgSummaryStore: new (options: {
    url: string;
    schema?: string;
    logger: typeof silentLogger;
  }) => SummaryStore & { close(): Promise<void> };
}

async function openPostgres(
  choice: Extract<StoreChoice, { kind: 'postgres' }>,
): Promise<OpenedStore> {
  let module: StorePgModule;
  try {
    // A variable specifier: the bundler leaves it to Node (it is external anyway).
    module = (await import(STORE_PG)) as StorePgModule;
    if (typeof module.PgSummaryStore !== 'function') {
      throw new TypeError(`${STORE_PG} has no PgSummaryStore (an older version?)`);
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    throw new CliError(
      'E_STORE_UNAVAILABLE',
      missing
        ? `${choice.source} names a PostgreSQL store, which needs ${STORE_PG} and pg installed beside the CLI: npm install ${STORE_PG} pg`
        : `${choice.source} names a PostgreSQL store, and ${STORE_PG} could not be loaded: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const store = new module.PgSummaryStore({ url: choice.url, logger: silentLogger });
  return { store, close: () => store.close() };
}
