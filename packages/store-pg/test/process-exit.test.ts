import { fileURLToPath } from 'node:url';
import { startChild, testPostgres } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { adminPool, freshSchema } from './_helpers.js';

// Holds today; kept so it stays so. A pipeline that is done exits: the store's pool must not
// hold the process open, whether or not the pipeline remembered close().
const test = suite('a process with a store exits by itself when its work is done');
const CHILD = fileURLToPath(new URL('./_pipeline-child.ts', import.meta.url));

for (const mode of ['save-once', 'busy-once']) {
  test(`${mode}, without close(): the process exits`, async () => {
    const { url } = await testPostgres();
    const schema = freshSchema();
    const child = startChild([
      process.execPath,
      '--conditions=@process-summary/source',
      '--import',
      'tsx',
      CHILD,
      url,
      schema,
      mode,
    ]);
    try {
      const last = await child.waitFor(mode === 'save-once' ? 'saved' : 'done');
      // Nothing of the store keeps the event loop alive once its last call resolved (waiting for
      // the exit alone would pass anyway after the pool's 10 s idle timeout).
      const holding = (last.holding as string[]).filter((r) => /TCP|Timeout/.test(r));
      assert.equal(holding, [], `still held by ${holding.join(', ')}`);
      assert.is((await child.exited).code, 0, child.stderr());
    } finally {
      child.child.kill('SIGKILL');
      await (await adminPool()).query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }
  });
}

test.run();
