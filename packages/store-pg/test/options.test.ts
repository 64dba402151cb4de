import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PgSummaryStore } from '../src/index.js';

function refused(options: unknown, pattern: RegExp): void {
  try {
    new PgSummaryStore(options as ConstructorParameters<typeof PgSummaryStore>[0]);
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT', String(err));
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`accepted ${JSON.stringify(options)}`);
}

// Nothing listens on port 1: a constructor that connected would fail differently (or hang).
const URL = 'postgres://u:p@127.0.0.1:1/db';

test('the constructor refuses bad options with E_INVALID_ARGUMENT before connecting', () => {
  refused(undefined, /options must be an object/);
  refused({}, /either url/);
  refused({ url: URL, pool: {} }, /either url/);
  refused({ url: 'mysql://x/y' }, /postgres:\/\//);
  refused({ url: 'postgres://[::1/db' }, /not a valid URL/);
  refused({ url: URL, listenUrl: 'http://x' }, /listenUrl/);
  refused({ pool: 42 }, /pool must be a pg.Pool/);
  refused({ url: URL, poolSize: 0 }, /poolSize/);
  refused({ url: URL, poolSize: 1.5 }, /poolSize/);
  refused({ url: URL, statementTimeoutMs: -1 }, /statementTimeoutMs/);
  refused({ url: URL, staleAfterSeconds: 0 }, /staleAfterSeconds/);
  refused({ url: URL, staleAfterSeconds: Number.NaN }, /staleAfterSeconds/);
  refused({ url: URL, preparedStatements: 'yes' }, /preparedStatements/);
});

test('schema names that would need quoting or break the channel name are refused', () => {
  for (const schema of [
    '',
    'Public',
    'a-b',
    'a b',
    '1abc',
    'x;drop table y',
    'a"b',
    'é',
    'a'.repeat(49),
  ]) {
    refused({ url: URL, schema }, /schema must match/);
  }
  for (const schema of ['process_summary', '_x', 'a1', 'a'.repeat(48)]) {
    assert.is(new PgSummaryStore({ url: URL, schema }).schema, schema);
  }
});

test('a server that cannot be reached gives E_STORE_UNAVAILABLE, not a hang or a crash', async () => {
  const store = new PgSummaryStore({ url: URL, connectTimeoutMs: 2000 });
  try {
    await store.list();
    assert.unreachable('listed without a server');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_STORE_UNAVAILABLE', String(err));
    assert.match((err as Error).message, /cannot be reached/);
  } finally {
    await store.close();
  }
});

test('?schema=NAME in the url picks the schema; a different schema option is refused', () => {
  assert.is(new PgSummaryStore({ url: `${URL}?schema=from_url` }).schema, 'from_url');
  assert.is(new PgSummaryStore({ url: `${URL}?schema=same`, schema: 'same' }).schema, 'same');
  refused({ url: `${URL}?schema=a`, schema: 'b' }, /give one/);
  refused({ url: `${URL}?schema=Bad-Name` }, /schema must match/);
});

test.run();
