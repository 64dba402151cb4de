/**
 * The store an example writes to and reads from, from its `--store` / `--root` options: a
 * `postgres://` URL is the PostgreSQL store (`?schema=NAME` picks the PostgreSQL schema, as
 * `summary-inspect --store` reads it), anything else a directory of the file store. The
 * PostgreSQL store's package (and with it the `pg` driver) is imported only for such a URL,
 * so the file-only examples never load a database driver.
 */
import type { SummaryStore } from '@process-summary/core';
import { defaultLogger, FileSummaryStore } from '@process-summary/store-fs';

export interface OpenedStore {
  store: SummaryStore;
  /** What to tell a user: the directory, or the URL without its password. */
  label: string;
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

/** `postgres://…?schema=NAME` as store-pg's `url` and `schema` options. */
export function postgresOptions(url: string): { url: string; schema?: string } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  if (schema === null) return { url };
  parsed.searchParams.delete('schema');
  return { url: parsed.href, schema };
}

export async function openStore(options: { store?: string; root: string }): Promise<OpenedStore> {
  const spec = options.store ?? options.root;
  if (!isPostgresUrl(spec)) {
    return {
      store: new FileSummaryStore({ root: spec, logger: defaultLogger }),
      label: spec,
      close: async () => {},
    };
  }
  const { PgSummaryStore } = await import('@process-summary/store-pg');
  // The store's own notices (a dropped connection, a reconnect) go where the pipeline's go.
  const store = new PgSummaryStore({ ...postgresOptions(spec), logger: defaultLogger });
  return { store, label: redactUrl(spec), close: () => store.close() };
}
