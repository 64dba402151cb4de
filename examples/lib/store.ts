/**
 * A store to read from, named the way every consumer names one (`--store` of the examples,
 * `summary-inspect --store`, `createProcessSummary`'s `store` option): a `postgres://` URL is
 * the PostgreSQL store (`?schema=NAME` picks the PostgreSQL schema), anything else a directory
 * of the file store. The PostgreSQL store's package (and with it the `pg` driver) is imported
 * only for such a URL, so the file-only examples never load a database driver.
 */
import type { SummaryStore } from '@process-summary/core';
import { defaultLogger, FileSummaryStore } from '@process-summary/store-fs';

export interface OpenedStore {
  store: SummaryStore;
  /** Ends the PostgreSQL store's pool (a no-op for the file store). */
  close(): Promise<void>;
}

export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/** The URL without its password, fit for a terminal or a log. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.href;
}

export async function openStore(spec: string): Promise<OpenedStore> {
  if (!isPostgresUrl(spec)) {
    return {
      store: new FileSummaryStore({ root: spec, logger: defaultLogger }),
      close: async () => {},
    };
  }
  const { PgSummaryStore } = await import('@process-summary/store-pg');
  const store = new PgSummaryStore({ url: spec, logger: defaultLogger });
  return { store, close: () => store.close() };
}
