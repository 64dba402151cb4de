import type { Database, Tx } from './db.js';

/**
 * The schema, as versioned steps applied in order, each once. A step is never edited after it
 * shipped: a change is a new step. `{s}` is the (validated, unquoted-safe) schema name.
 */
const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE {s}.summaries (
  run_name text NOT NULL,
  process_name text NOT NULL,
  -- '' for a process run as one (worker names are never empty)
  worker text NOT NULL DEFAULT '',
  -- The summary dictionary as the library wrote it. json, not jsonb: jsonb refuses \\u0000 in
  -- strings (an error message may hold one) and reorders keys; json keeps the text verbatim
  -- and still answers ->, ->> and a ::jsonb cast for ad-hoc queries.
  body json,
  size_bytes integer,
  written_at timestamptz,
  written_epoch bigint,
  -- The highest epoch ever granted: kept after remove, so an epoch is never handed out twice.
  last_epoch bigint NOT NULL DEFAULT 0,
  owner_epoch bigint,
  owner_host text,
  owner_pid integer,
  owner_boot_id text,
  owner_pid_namespace text,
  owner_pid_start text,
  owner_since timestamptz,
  owner_heartbeat timestamptz,
  -- Bumped from {s}.changes at every change: watch catches up from it after a reconnect.
  change_seq bigint NOT NULL DEFAULT 0,
  -- The id of the last write: after a save whose answer was lost (the connection dropped), the
  -- writer asks whether it committed before appending its journal lines again.
  last_write_id text,
  PRIMARY KEY (run_name, process_name, worker)
);
CREATE SEQUENCE {s}.changes;
CREATE INDEX summaries_change_seq ON {s}.summaries (change_seq);
CREATE TABLE {s}.journal (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_name text NOT NULL,
  process_name text NOT NULL,
  worker text NOT NULL,
  event json NOT NULL
);
CREATE INDEX journal_ref_seq ON {s}.journal (run_name, process_name, worker, seq);
-- Summaries set aside (archive, or a damaged body moved aside by load), with their journals.
CREATE TABLE {s}.archive (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_name text NOT NULL,
  process_name text NOT NULL,
  worker text NOT NULL,
  reason text NOT NULL,
  body json,
  written_epoch bigint,
  archived_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE {s}.archive_journal (
  archive_id bigint NOT NULL REFERENCES {s}.archive (id) ON DELETE CASCADE,
  seq bigint NOT NULL,
  event json NOT NULL,
  PRIMARY KEY (archive_id, seq)
);
`,
  },
];

/** The newest schema version this library knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/**
 * Brings `schema` to the newest version, once, however many processes start together: each
 * takes a transaction-scoped advisory lock keyed by the schema name, so the first applies the
 * steps and the others, waiting on the lock, find them applied. A schema newer than this
 * library is left alone and refused.
 */
export async function migrate(db: Database, schema: string): Promise<void> {
  await db.transaction(`preparing schema ${schema}`, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`process-summary:${schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const current = await currentVersion(tx, schema);
    if (current > SCHEMA_VERSION) {
      throw Object.assign(
        new Error(
          `process-summary: schema ${schema} is at version ${current}, newer than this library (${SCHEMA_VERSION}); upgrade @process-summary/store-pg`,
        ),
        { code: 'E_UNSUPPORTED_VERSION' },
      );
    }
    for (const step of MIGRATIONS) {
      if (step.version <= current) continue;
      await tx.query(step.sql.replaceAll('{s}', schema));
      await tx.query(`INSERT INTO ${schema}.schema_migrations (version) VALUES ($1)`, [
        step.version,
      ]);
    }
  });
}

async function currentVersion(tx: Tx, schema: string): Promise<number> {
  const result = await tx.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${schema}.schema_migrations`,
  );
  return result.rows[0]?.version ?? 0;
}
