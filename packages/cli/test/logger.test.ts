import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cliLogger } from '../src/logger.ts';
import { HOSTILE, hasRawControl } from './_helpers.ts';

test('the CLI logger: warnings and errors as one escaped line each, debug and info only with NODE_DEBUG', () => {
  const lines: string[] = [];
  const logger = cliLogger({ warn: (line) => lines.push(line) }, {});
  logger.debug({ a: 1 }, 'not shown');
  logger.info({}, 'not shown either');
  logger.warn({ run: HOSTILE }, `delivery to ${HOSTILE} failed\nsecond line`);
  logger.error({ err: Object.assign(new Error(`boom ${HOSTILE}`), { code: 'E_IO' }) }, 'gave up');
  assert.is(lines.length, 2);
  assert.match(lines[0] as string, /^warning: delivery to evil\\x1b\[31mRED/);
  assert.match(lines[0] as string, /failed\\nsecond line /);
  assert.match(lines[1] as string, /^error: gave up \{"err":\{"message":"boom evil/);
  assert.match(lines[1] as string, /"code":"E_IO"/);
  for (const line of lines) {
    assert.not.ok(hasRawControl(line), line);
    assert.not.match(line, /\n/);
  }

  const debug: string[] = [];
  const verbose = cliLogger(
    { warn: (line) => debug.push(line) },
    { NODE_DEBUG: 'http,process-summary' },
  );
  verbose.debug({}, 'a');
  verbose.info({ n: 1 }, 'b');
  assert.equal(debug, ['debug: a', 'info: b {"n":1}']);
});

test.run();
