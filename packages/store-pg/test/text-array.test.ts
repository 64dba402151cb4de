import { testPostgres } from '@process-summary/test-kit';
import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { textArray } from '../src/db.js';

test('a text[] literal of any strings comes back from the server as those strings', async () => {
  const { url } = await testPostgres();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const values = [
      '',
      'plain',
      'NULL',
      'null',
      ' leading and trailing ',
      'a,b',
      '{braces}',
      '"quoted"',
      'back\\slash',
      '\\"',
      'é',
      '😀',
      'tab\there',
      "'single'",
    ];
    for (const list of [values, [''], [], ['"'], values.slice().reverse()]) {
      const result = await client.query('SELECT $1::text[] AS a', [textArray(list)]);
      assert.equal(result.rows[0].a, list);
    }
  } finally {
    await client.end();
  }
});

test.run();
