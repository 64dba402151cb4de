/**
 * Which store a pipeline writes to, from one value (DESIGN.md "Store choice"): a
 * `SummaryStore`, a path or `file://` URL (the file store), or a `postgres://` URL (the
 * PostgreSQL store of `@process-summary/store-pg`, an optional peer dependency loaded only
 * when such a URL is given, so a file-only pipeline never loads a database driver).
 */
import { fileURLToPath } from 'node:url';
import { codedRangeError, codedTypeError, type SummaryStore } from '@process-summary/core';
import { FileSummaryStore, type Logger } from '@process-summary/store-fs';

const OWNER_METHODS = [
  'acquire',
  'renew',
  'release',
  'load',
  'save',
  'archive',
  'remove',
  'ownerStatus',
] as const;

/** The package a `postgres://` store needs. */
export const STORE_PG_PACKAGE = '@process-summary/store-pg';

/** Whether `value` has every owner-side method of the contract. */
export function isSummaryStore(value: unknown): value is SummaryStore {
  if (typeof value !== 'object' || value === null) return false;
  const store = value as Record<string, unknown>;
  return OWNER_METHODS.every((name) => typeof store[name] === 'function');
}

/** Whether `value` names the PostgreSQL store. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/**
 * Checks a `store` option without touching anything: a store object, a non-empty path, or a
 * `file://` / `postgres://` URL. Throws `E_INVALID_ARGUMENT`.
 */
export function checkStoreOption(store: unknown): void {
  if (store === undefined || isSummaryStore(store)) return;
  if (typeof store === 'string' && store !== '' && !store.includes('\0')) {
    if (!isPostgresUrl(store)) return;
    try {
      new URL(store);
      return;
    } catch {
      // An unparsable URL: refused below without echoing it (it may hold a password).
    }
    throw codedTypeError(
      'E_INVALID_ARGUMENT',
      'process-summary: the postgres:// store URL is not a valid URL (postgres://user:password@host:port/database)',
    );
  }
  throw codedTypeError(
    'E_INVALID_ARGUMENT',
    `process-summary: store must be a SummaryStore (with ${OWNER_METHODS.join(', ')}), a path, or a file:// or postgres:// URL`,
  );
}

/** What `import('@process-summary/store-pg')` gives: only what is used here. */
export interface StorePgModule {
  PgSummaryStore: new (options: {
    url: string;
    schema?: string;
    logger: Logger;
  }) => SummaryStore & { close(): Promise<void> };
}

/** A store to use, and how to let go of it when done. */
export interface ResolvedStore {
  store: SummaryStore;
  /**
   * Ends what was opened for it (the PostgreSQL store's pool), so the process can exit; a
   * no-op for a store the caller passed in, which stays the caller's to close. Idempotent.
   */
  close(): Promise<void>;
}

const keepOpen = async (): Promise<void> => {};

/**
 * The store `store` names (default: a file store under `root`). A `postgres://` URL loads
 * `@process-summary/store-pg` now; `E_STORE_UNAVAILABLE` (as the CLI says) names the packages to install when it
 * cannot be loaded.
 */
export async function resolveStore(
  store: SummaryStore | string | undefined,
  root: string,
  logger: Logger,
): Promise<ResolvedStore> {
  if (store === undefined)
    return { store: new FileSummaryStore({ root, logger }), close: keepOpen };
  if (typeof store !== 'string') return { store, close: keepOpen };
  if (isPostgresUrl(store)) return openPostgres(store, logger);
  const path = store.startsWith('file://') ? fileURLToPath(store) : store;
  return { store: new FileSummaryStore({ root: path, logger }), close: keepOpen };
}

async function openPostgres(url: string, logger: Logger): Promise<ResolvedStore> {
  let module: StorePgModule;
  try {
    // A variable specifier: bundlers leave it to Node, and nothing loads it for a file store.
    module = (await import(STORE_PG_PACKAGE)) as StorePgModule;
    if (typeof module.PgSummaryStore !== 'function') {
      throw new TypeError(`${STORE_PG_PACKAGE} has no PgSummaryStore (an older version?)`);
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    const error = codedRangeError(
      'E_STORE_UNAVAILABLE',
      missing
        ? `process-summary: a postgres:// store needs ${STORE_PG_PACKAGE} and pg, which are not installed: npm install ${STORE_PG_PACKAGE} pg`
        : `process-summary: a postgres:// store needs ${STORE_PG_PACKAGE}, which could not be loaded (${(err as Error).message})`,
    );
    (error as Error & { cause?: unknown }).cause = err;
    throw error;
  }
  const pg = new module.PgSummaryStore({ url, logger });
  let closing: Promise<void> | undefined;
  return {
    store: pg,
    close: () => {
      closing ??= pg.close();
      return closing;
    },
  };
}
