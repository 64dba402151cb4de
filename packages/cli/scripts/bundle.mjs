/**
 * Bundles the built CLI (`dist/main.js`, with the workspace packages it imports) into
 * `dist/summary-inspect.js` and its lazily loaded chunks (one per command), which
 * `bin/summary-inspect.js` runs. Loading some eighty modules one by one costs every
 * invocation about 40 ms of module resolution and linking, a third of the start-up of a
 * `list` (see bench/list.bench.ts); one file per command costs a few.
 *
 * Runs after `tsc -b` in `build`. The entry stays at the depth of `dist/main.js`, so paths it
 * resolves from `import.meta.url` (`../package.json`) are the same; code that ends up in a
 * chunk (`dist/chunks/`) must not resolve files from `import.meta.url`.
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

// Chunk names carry a hash: the previous build's would otherwise pile up.
rmSync(join(dist, 'chunks'), { recursive: true, force: true });
await build({
  entryPoints: { 'summary-inspect': join(dist, 'main.js') },
  outdir: dist,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The PostgreSQL store and its driver stay packages of their own, imported by Node only for a
  // postgres:// store (an optional peer dependency): a file-only user installs and loads
  // neither, and pg's CommonJS never meets this ESM bundle.
  // The dashboard finds its built pages (`dist/web`) from its own `import.meta.url`: bundled
  // here, that URL would be this bundle's chunk. It stays a package Node loads, for `serve` only.
  // The alerts package likewise (its rules schema is a file of its own), for `alert` and
  // `serve --rules` only.
  external: [
    '@process-summary/store-pg',
    'pg',
    'pg-native',
    '@process-summary/dashboard',
    '@process-summary/alerts',
  ],
  // A bundled ESM file has no `require`: packages that need one (none today) would fail here.
  sourcemap: 'linked',
  logLevel: 'warning',
});
