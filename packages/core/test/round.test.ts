import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { roundHalfEven2 } from '../src/index.js';

const test = suite('rounding like Python round(x, 2)');

test('exact ties go to the even neighbour', () => {
  // Values printed by Python 3: round(x, 2)
  assert.is(roundHalfEven2(0.125), 0.12);
  assert.is(roundHalfEven2(0.375), 0.38);
  assert.is(roundHalfEven2(0.625), 0.62);
  assert.is(roundHalfEven2(0.875), 0.88);
  assert.is(roundHalfEven2(2.5), 2.5);
  assert.is(roundHalfEven2(1000.125), 1000.12);
});

test('values that only look like ties round by their exact binary value', () => {
  assert.is(roundHalfEven2(2.675), 2.67); // 2.67499999…
  assert.is(roundHalfEven2(1.005), 1); // 1.00499999…
  assert.is(roundHalfEven2(0.615), 0.61); // 0.61499999…
  assert.is(roundHalfEven2(1.115), 1.11); // 1.11499999…
});

test('agrees with values Python 3 printed for round(x, 2)', () => {
  const fromPython: [number, number][] = [
    [323.83276483316234, 323.83],
    [150.8491739245019, 150.85],
    [650.9344730398537, 650.93],
    [72.43628666754276, 72.44],
    [535.8820043066892, 535.88],
    [365.6889169125855, 365.69],
    [57.99892477470681, 58],
    [507.43573318942026, 507.44],
    [614.25, 614.25],
    [1408.125, 1408.12],
    [7104.75, 7104.75],
    [6851.25, 6851.25],
    [1144.5, 1144.5],
    [3943.0, 3943],
    [1486.125, 1486.12],
    [9028.25, 9028.25],
    [0.005, 0.01],
    [0.015, 0.01],
    [0.025, 0.03],
    [0.035, 0.04],
    [0.045, 0.04],
    [1.115, 1.11],
    [2.675, 2.67],
    [10.005, 10.01],
  ];
  for (const [x, expected] of fromPython) assert.is(roundHalfEven2(x), expected, String(x));
});

test('the seed fixtures derived values', () => {
  assert.is(roundHalfEven2((400 / 420) * 100), 95.24);
  assert.is(roundHalfEven2(1000 / 0.00758946600001309), 131761.58);
  assert.is(roundHalfEven2((996 / 1000) * 100), 99.6);
});

test('property: the result is within half a cent and has at most 2 decimals', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), (x) => {
      const r = roundHalfEven2(x);
      assert.ok(Math.abs(r - x) <= 0.005 + 1e-9 * Math.max(1, x));
      assert.is(Number(r.toFixed(2)), r);
    }),
  );
});

test.run();
