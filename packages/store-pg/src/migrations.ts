import { ProcessSummaryError } from '@process-summary/core';
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
  -- The transaction of the last change: after a reconnect, watch reports the rows changed by
  -- transactions its previous snapshot did not see (commit order, which no sequence gives).
  change_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  -- A token of the acquire that granted owner_epoch: an acquire whose answer was lost is
  -- recognised as its own by the same store.
  owner_token text,
  -- The owner that acquire took over from, as it returned it (for that same recovered acquire).
  owner_previous json,
  -- The id of the last write: after a save whose answer was lost (the connection dropped), the
  -- writer asks whether it committed before appending its journal lines again.
  last_write_id text,
  PRIMARY KEY (run_name, process_name, worker)
);
-- Sessions that watch: a write notifies only while one is registered here (a NOTIFY makes
-- PostgreSQL commit notifying transactions one at a time), and watchers catch up by
-- snapshot for what was written unannounced.
-- size_bytes is kept by the database, whoever writes the body (a hand edit, a copy tool):
-- readers refuse an oversized body by this column without fetching it.
CREATE FUNCTION {s}.set_size_bytes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.size_bytes := octet_length(NEW.body::text);
  RETURN NEW;
END $$;
CREATE TRIGGER summaries_size_bytes BEFORE INSERT OR UPDATE OF body ON {s}.summaries
  FOR EACH ROW EXECUTE FUNCTION {s}.set_size_bytes();
CREATE TABLE {s}.listeners (
  id text PRIMARY KEY,
  seen_at timestamptz NOT NULL DEFAULT now()
);
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
  {
    version: 2,
    sql: `
-- Consumer state (readState/writeState: the alerter's), apart from the summaries: never
-- listed, never notified. json for the reason the summaries are: \\u0000 in strings, verbatim.
CREATE TABLE {s}.consumer_state (
  key text PRIMARY KEY,
  value json NOT NULL,
  -- Compare-and-swap: a write names the version it read, and changes the row only if it is still the one.
  version bigint NOT NULL CHECK (version > 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 3,
    sql: `
-- The listing projection (core's LISTING_FIELDS of the body, made by the writer from the same
-- dict in the same statement; its form is in src/listing.ts): a listing fetches these few
-- hundred bytes instead of the whole body. Not computed here from the body: PostgreSQL's json functions refuse a body holding
-- \\u0000 or a lone surrogate anywhere (an error message may), which json itself keeps.
-- listing_digest is the sha256 of the body text the projection was made from; a body written
-- without its projection (a hand edit, a copy tool, rows from before version 3) leaves it NULL,
-- and readers then cut the projection from the body itself: never a stale listing.
-- listing_fields names the field list and form it was written with (a later version may list
-- more): a reader whose list differs cuts the body itself too.
ALTER TABLE {s}.summaries ADD COLUMN listing json, ADD COLUMN listing_digest bytea,
  ADD COLUMN listing_fields text;
CREATE FUNCTION {s}.check_listing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.listing IS NOT NULL AND (NEW.body IS NULL OR NEW.listing_digest IS NULL
      OR NEW.listing_digest <> sha256(convert_to(NEW.body::text, 'UTF8'))) THEN
    NEW.listing := NULL;
  END IF;
  IF NEW.listing IS NULL THEN
    NEW.listing_digest := NULL;
    NEW.listing_fields := NULL;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER summaries_listing BEFORE INSERT OR UPDATE OF body, listing, listing_digest, listing_fields
  ON {s}.summaries FOR EACH ROW EXECUTE FUNCTION {s}.check_listing();
`,
  },
  {
    version: 4,
    sql: `
-- Whether the row has journal entries, kept by the database from the journal itself, whoever
-- changes it (this library, an older version still running beside a migrated schema, a hand
-- edit): readers test this flag instead of probing the journal's index once per row, which
-- cost a listing of 10,000 runs more than reading their projections.
-- Taken in this order (summaries, then journal), the locks every writer takes: no deadlock
-- with a writer of an older version; the journal's lock (its triggers) is held from before
-- the backfill until commit, so no journal change is missed between them.
ALTER TABLE {s}.summaries ADD COLUMN has_history boolean NOT NULL DEFAULT false;
-- Rows whose journal grew: flagged (a row already flagged is left alone, so a save appending
-- to a flagged row writes nothing more).
CREATE FUNCTION {s}.journal_appended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {s}.summaries s SET has_history = true
  FROM (SELECT DISTINCT run_name, process_name, worker FROM appended) a
  WHERE s.run_name = a.run_name AND s.process_name = a.process_name AND s.worker = a.worker
    AND NOT s.has_history;
  RETURN NULL;
END $$;
-- Rows whose journal shrank or moved (remove, archive, a hand edit): flagged by what is left.
CREATE FUNCTION {s}.journal_dropped() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {s}.summaries s SET has_history = false
  FROM (SELECT DISTINCT run_name, process_name, worker FROM dropped) d
  WHERE s.run_name = d.run_name AND s.process_name = d.process_name AND s.worker = d.worker
    AND s.has_history AND NOT EXISTS (SELECT 1 FROM {s}.journal j
      WHERE j.run_name = s.run_name AND j.process_name = s.process_name AND j.worker = s.worker);
  RETURN NULL;
END $$;
CREATE FUNCTION {s}.journal_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {s}.summaries SET has_history = false WHERE has_history;
  RETURN NULL;
END $$;
CREATE TRIGGER journal_history_insert AFTER INSERT ON {s}.journal
  REFERENCING NEW TABLE AS appended FOR EACH STATEMENT EXECUTE FUNCTION {s}.journal_appended();
CREATE TRIGGER journal_history_delete AFTER DELETE ON {s}.journal
  REFERENCING OLD TABLE AS dropped FOR EACH STATEMENT EXECUTE FUNCTION {s}.journal_dropped();
-- An update may move entries from one ref to another: the old refs are judged again, the new
-- ones flagged.
CREATE TRIGGER journal_history_update_old AFTER UPDATE ON {s}.journal
  REFERENCING OLD TABLE AS dropped FOR EACH STATEMENT EXECUTE FUNCTION {s}.journal_dropped();
CREATE TRIGGER journal_history_update_new AFTER UPDATE ON {s}.journal
  REFERENCING NEW TABLE AS appended FOR EACH STATEMENT EXECUTE FUNCTION {s}.journal_appended();
CREATE TRIGGER journal_history_truncate AFTER TRUNCATE ON {s}.journal
  FOR EACH STATEMENT EXECUTE FUNCTION {s}.journal_truncated();
UPDATE {s}.summaries s SET has_history = true WHERE EXISTS (SELECT 1 FROM {s}.journal j
  WHERE j.run_name = s.run_name AND j.process_name = s.process_name AND j.worker = s.worker);
`,
  },
  {
    version: 5,
    sql: `
-- A narrow row: the body (a few KB, compressed to about a third) goes to the TOAST table
-- whenever the row would need toasting at all, instead of staying compressed in the row, and
-- the small columns stay in the row. A listing scans every row and looks up its projection
-- by key: with the bodies in the rows it touched five times the pages (20 MB for 10,000 runs
-- of 5 KB, against 4 MB), and a new connection pays for the first touch of every page it
-- reads. toast_tuple_target (bytes) is how small the toaster makes a row once a row is over
-- its threshold (about 2 KB): the smallest allowed, so the body always moves out. MAIN keeps
-- a column in the row unless the row cannot fit a page otherwise. Rows written before this
-- version keep their layout until their next save.
ALTER TABLE {s}.summaries SET (toast_tuple_target = 128);
ALTER TABLE {s}.summaries ALTER COLUMN run_name SET STORAGE MAIN,
  ALTER COLUMN process_name SET STORAGE MAIN, ALTER COLUMN worker SET STORAGE MAIN,
  ALTER COLUMN owner_host SET STORAGE MAIN, ALTER COLUMN owner_boot_id SET STORAGE MAIN,
  ALTER COLUMN owner_pid_namespace SET STORAGE MAIN, ALTER COLUMN owner_pid_start SET STORAGE MAIN,
  ALTER COLUMN owner_token SET STORAGE MAIN, ALTER COLUMN owner_previous SET STORAGE MAIN,
  ALTER COLUMN last_write_id SET STORAGE MAIN, ALTER COLUMN listing SET STORAGE MAIN,
  ALTER COLUMN listing_digest SET STORAGE MAIN, ALTER COLUMN listing_fields SET STORAGE MAIN;
-- A listing's entry for the row, made when the row is written rather than at every listing
-- (building it cost a listing of 10,000 runs more server time than reading it): the key, size,
-- when and under which epoch it was written, and the projection, as the JSON members of the
-- entry a scan answers (its form is in pg-store.ts, ScanEntry). Made by the trigger that checks
-- the projection, from the row itself, whoever writes it; NULL without a usable projection.
ALTER TABLE {s}.summaries ADD COLUMN listing_entry text;
ALTER TABLE {s}.summaries ALTER COLUMN listing_entry SET STORAGE MAIN;
CREATE OR REPLACE FUNCTION {s}.check_listing() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  entry text;
BEGIN
  IF NEW.listing IS NOT NULL AND (NEW.body IS NULL OR NEW.listing_digest IS NULL
      OR NEW.listing_digest <> sha256(convert_to(NEW.body::text, 'UTF8'))) THEN
    NEW.listing := NULL;
  END IF;
  IF NEW.listing IS NULL THEN
    NEW.listing_digest := NULL;
    NEW.listing_fields := NULL;
    NEW.listing_entry := NULL;
  ELSE
    -- The members without the brackets: a scan puts more in front of them.
    entry := json_build_array(NEW.run_name, NEW.process_name, NEW.worker, NEW.size_bytes,
      date_part('epoch', NEW.written_at), NEW.written_epoch, NEW.listing)::text;
    NEW.listing_entry := substr(entry, 2, length(entry) - 2);
  END IF;
  RETURN NEW;
END $$;
DROP TRIGGER summaries_listing ON {s}.summaries;
CREATE TRIGGER summaries_listing BEFORE INSERT OR UPDATE OF body, listing, listing_digest,
  listing_fields, listing_entry, run_name, process_name, worker, size_bytes, written_at,
  written_epoch ON {s}.summaries FOR EACH ROW EXECUTE FUNCTION {s}.check_listing();
`,
  },
];

/** The newest schema version this library knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/**
 * Brings `schema` to the newest version, once, however many processes start together: each
 * takes a transaction-scoped advisory lock keyed by the schema name, so the first applies the
 * steps and the others, waiting on the lock, find them applied. A schema already at this
 * version is only read (a role with table privileges alone can use it); a schema newer than
 * this library is left alone and refused.
 */
export async function migrate(
  db: Database,
  schema: string,
  target: number = SCHEMA_VERSION,
): Promise<void> {
  const q = `"${schema}"`;
  // One round trip where the schema is there (every start but the first): its version, read
  // directly; a schema or table not there yet is PostgreSQL's undefined_table (42P01).
  let current: number | null = null;
  try {
    const version = await db.query<{ version: number | null }>(
      `preparing schema ${schema}`,
      `SELECT max(version) AS version FROM ${q}.schema_migrations`,
    );
    current = version.rows[0]?.version ?? 0;
  } catch (err) {
    if ((err as { cause?: { code?: unknown } }).cause?.code !== UNDEFINED_TABLE) throw err;
  }
  if (current !== null) {
    refuseNewer(schema, current);
    if (current >= target) return;
  }
  await db.transaction(`preparing schema ${schema}`, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`process-summary:${schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${q}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${q}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const current = await currentVersion(tx, q);
    refuseNewer(schema, current);
    for (const step of MIGRATIONS) {
      if (step.version <= current || step.version > target) continue;
      await tx.query(step.sql.replaceAll('{s}', q));
      await tx.query(`INSERT INTO ${q}.schema_migrations (version) VALUES ($1)`, [step.version]);
    }
  });
}

/** SQLSTATE undefined_table. */
const UNDEFINED_TABLE = '42P01';

function refuseNewer(schema: string, current: number): void {
  if (current > SCHEMA_VERSION) {
    throw new ProcessSummaryError(
      'E_UNSUPPORTED_VERSION',
      `process-summary: schema ${schema} is at version ${current}, newer than this library (${SCHEMA_VERSION}); upgrade @process-summary/store-pg`,
    );
  }
}

async function currentVersion(tx: Tx, q: string): Promise<number> {
  const result = await tx.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${q}.schema_migrations`,
  );
  return result.rows[0]?.version ?? 0;
}
