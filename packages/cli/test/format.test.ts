import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatCount } from '../src/render/format.ts';

const test = suite('format');

test('formatCount groups digits exactly as toLocaleString("en-US") does', () => {
  const values = [
    0,
    -0,
    1,
    7,
    12,
    999,
    1000,
    1001,
    9999,
    10_000,
    99_999,
    100_000,
    123_456,
    999_999,
    1_000_000,
    1_234_567,
    12_345_678,
    987_654_321,
    2 ** 31,
    2 ** 32 + 5,
    Number.MAX_SAFE_INTEGER,
    -1,
    -999,
    -1000,
    -1_234_567,
    -Number.MAX_SAFE_INTEGER,
    0.4,
    0.5,
    1.5,
    2.5,
    -0.5,
    -1.5,
    999.5,
    1234.49,
    2 ** 53 + 2,
    1e21,
    1e300,
    -1e22,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.NaN,
  ];
  for (let i = 0; i < 2000; i++)
    values.push(Math.floor(Math.random() * 10 ** (i % 17)) * (i % 2 ? 1 : -1));
  for (const value of values) {
    assert.is(formatCount(value), Math.round(value).toLocaleString('en-US'), String(value));
  }
});

test.run();
