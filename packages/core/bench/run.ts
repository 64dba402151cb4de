// Runs every bench/*.bench.ts of this package in turn (or the ones named on the command line).
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((name) => f.startsWith(name)))
  .sort();
for (const file of files) {
  const mod = (await import(pathToFileURL(`${here}/${file}`).href)) as {
    default: () => Promise<void>;
  };
  await mod.default();
}
