import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freshStore } from './_helpers.js';

// "Bad input: coded error before anything is touched." The file store refuses a bad intervalMs
// with E_INVALID_ARGUMENT; this store takes it as its reconnect pause: 0, a negative number or
// NaN make a watch whose server is down retry in a tight loop (a connection attempt per tick).
const test = suite('watch options are checked');

async function refusal(run: () => AsyncIterable<unknown>): Promise<unknown> {
  try {
    const iterator = run()[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.return?.();
  } catch (err) {
    return err;
  }
  return null;
}

for (const intervalMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '50']) {
  test(`watch({ intervalMs: ${typeof intervalMs === 'string' ? JSON.stringify(intervalMs) : String(intervalMs)} }) is refused with E_INVALID_ARGUMENT`, async () => {
    const { store, drop } = await freshStore();
    const controller = new AbortController();
    try {
      // Aborted already: a store that accepts the option ends at once instead of hanging.
      controller.abort();
      const err = await refusal(() =>
        store.watch({ intervalMs: intervalMs as number, signal: controller.signal }),
      );
      assert.is((err as { code?: string } | null)?.code, 'E_INVALID_ARGUMENT', String(err));
    } finally {
      await drop();
    }
  });
}

test('watch({ signal: not a signal }) is refused with E_INVALID_ARGUMENT', async () => {
  const { store, drop } = await freshStore();
  try {
    const err = await refusal(() => store.watch({ signal: 'stop' as unknown as AbortSignal }));
    assert.is((err as { code?: string } | null)?.code, 'E_INVALID_ARGUMENT', String(err));
  } finally {
    await drop();
  }
});

test.run();
