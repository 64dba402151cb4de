import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLogger, silentLogger } from '../src/index.js';

test('isLogger accepts an object with the four methods and refuses anything less', () => {
  assert.ok(isLogger(silentLogger));
  assert.ok(isLogger(console));
  assert.not.ok(isLogger(null));
  assert.not.ok(isLogger('logger'));
  assert.not.ok(isLogger({ debug() {}, info() {}, warn() {} }));
  assert.not.ok(isLogger({ debug() {}, info() {}, warn() {}, error: 'stderr' }));
});

test.run();
