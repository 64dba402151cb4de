import { ProcessSummary } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { adminPool, freshStore } from './_helpers.js';

// "Readers are safe on untrusted files: a hostile, deep or huge file gives an error, not a hang."
// The file store refuses a summary over 64 MiB unread (E_TOO_LARGE). This store fetches the
// whole body of every row it reads (read, readMany: a dashboard reading 10,000 rows) and parses
// it, whatever its size: a row written by anyone with write access to the table (a copy tool,
// a hand edit, another version) takes the reader's memory with it.
const test = suite('a huge row is refused unread');
const REF = { runName: 'huge', processName: 'collect' };

test('read of a 70 MB summary row reports E_TOO_LARGE with its size, and does not parse it', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    await store.save(new ProcessSummary(REF));
    const admin = await adminPool();
    // A valid JSON object of 70 MB: a summary whose custom metric grew by hand.
    await admin.query(
      `UPDATE ${schema}.summaries
       SET body = json_build_object('process_name', 'collect', 'run_name', 'huge',
         'custom_metrics', json_build_object('blob', repeat('x', 70 * 1024 * 1024)))`,
    );
    const read = await store.read(REF);
    assert.is(read?.problem?.code, 'E_TOO_LARGE', read?.problem?.message);
    assert.is(read?.dict, null);
    assert.ok((read?.sizeBytes ?? 0) > 64 * 1024 * 1024, `sizeBytes ${read?.sizeBytes}`);
  } finally {
    await drop();
  }
});

test.run();
