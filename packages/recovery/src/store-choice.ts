/**
 * Which store a pipeline writes to, from one value (DESIGN.md "Store choice"): a
 * `SummaryStore`, a path or `file://` URL (the file store), or a `postgres://` URL (the
 * PostgreSQL store, not available yet).
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

/** Whether `value` has every owner-side method of the contract. */
export function isSummaryStore(value: unknown): value is SummaryStore {
  if (typeof value !== 'object' || value === null) return false;
  const store = value as Record<string, unknown>;
  return OWNER_METHODS.every((name) => typeof store[name] === 'function');
}

/**
 * Checks a `store` option without touching anything: a store object, a non-empty path, or a
 * `file://` / `postgres://` URL. Throws `E_INVALID_ARGUMENT`.
 */
export function checkStoreOption(store: unknown): void {
  if (store === undefined || isSummaryStore(store)) return;
  if (typeof store === 'string' && store !== '' && !store.includes('\0')) return;
  throw codedTypeError(
    'E_INVALID_ARGUMENT',
    `process-summary: store must be a SummaryStore (with ${OWNER_METHODS.join(', ')}), a path, or a file:// or postgres:// URL`,
  );
}

/** The store `store` names (default: a file store under `root`). Throws `E_UNSUPPORTED` for PostgreSQL. */
export function resolveStore(
  store: SummaryStore | string | undefined,
  root: string,
  logger: Logger,
): SummaryStore {
  if (store === undefined) return new FileSummaryStore({ root, logger });
  if (typeof store !== 'string') return store;
  if (/^postgres(ql)?:\/\//i.test(store)) {
    throw codedRangeError(
      'E_UNSUPPORTED',
      'process-summary: a postgres:// store needs @process-summary/store-pg, which is not available yet; use a directory (a path or file:// URL) for now',
    );
  }
  const path = store.startsWith('file://') ? fileURLToPath(store) : store;
  return new FileSummaryStore({ root: path, logger });
}
