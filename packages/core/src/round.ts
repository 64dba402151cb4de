/**
 * Python's `round(x, 2)`, which the seed's derived values use: the nearest 2-decimal value,
 * ties to even. A tie at 2 decimals needs an exact binary value ending in 5 at the third
 * decimal, i.e. a multiple of 1/8 that is not a multiple of 1/4 (x.125, x.375, x.625, x.875);
 * every other value is rounded exactly by `toFixed`, which only differs from Python on ties.
 */
export function roundHalfEven2(x: number): number {
  if (!Number.isFinite(x)) return x;
  // An integer rounds to itself (most rates are 0 or 100): no string round trip. Zero takes the
  // path below, which turns -0 into 0 as it always did.
  if (Number.isInteger(x) && x !== 0) return x;
  if (Number.isInteger(x * 8) && !Number.isInteger(x * 4)) {
    const scaled = x * 100; // exact: x = k/8, so x * 100 = 12.5 k
    const floor = Math.floor(scaled);
    return (floor % 2 === 0 ? floor : floor + 1) / 100;
  }
  return Number(x.toFixed(2));
}
