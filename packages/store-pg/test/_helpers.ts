import { randomBytes } from 'node:crypto';
import { testPostgres } from '@process-summary/test-kit';
import pg from 'pg';
import { PgSummaryStore, type PgSummaryStoreOptions } from '../src/index.js';

let admin: pg.Pool | null = null;

/** A pool on the test server for looking behind the store's back (and dropping schemas). */
export async function adminPool(): Promise<pg.Pool> {
  if (admin === null) {
    const { url } = await testPostgres();
    admin = new pg.Pool({ connectionString: url, max: 4, allowExitOnIdle: true });
  }
  return admin;
}

/** A schema name no other test uses. */
export function freshSchema(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

/** A store on the test server in a schema of its own; `drop()` closes it and drops the schema. */
export async function freshStore(
  options: Omit<PgSummaryStoreOptions, 'url' | 'pool'> = {},
): Promise<{ store: PgSummaryStore; url: string; schema: string; drop(): Promise<void> }> {
  const { url } = await testPostgres();
  const schema = options.schema ?? freshSchema();
  const store = new PgSummaryStore({ ...options, url, schema });
  return {
    store,
    url,
    schema,
    drop: async () => {
      await store.close();
      await (await adminPool()).query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}
