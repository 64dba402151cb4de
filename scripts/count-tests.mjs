// Sums uvu's per-file totals ("Total: N" / "Passed: N") across test logs and prints one line
// "N passed, N failed". Exits non-zero if any test failed or no test ran.
import { readFileSync } from 'node:fs';

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what we strip.
const ansi = /\u001b\[[0-9;]*m/g;
let total = 0;
let passed = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8').replace(ansi, '');
  for (const match of text.matchAll(/Total:\s+(\d+)/g)) total += Number(match[1]);
  for (const match of text.matchAll(/Passed:\s+(\d+)/g)) passed += Number(match[1]);
}
const failed = total - passed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || total === 0 ? 1 : 0);
