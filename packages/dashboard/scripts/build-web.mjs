// Builds the dashboard's pages into dist/web: one minified script and one stylesheet (ours and
// uPlot's) with content hashes in their names, an SVG favicon likewise, and index.html from
// web/index.html. The HTML keeps `%BASE%` for the server to fill in; every URL in it is
// relative to that <base>, and it holds no inline script or style (the CSP allows neither).
// Hashed files of earlier builds are removed once the new ones are written.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const webDir = join(packageDir, 'web');
// `--out DIR` builds elsewhere (the build's own test); the server serves dist/web.
const outFlag = process.argv.indexOf('--out');
const outDir =
  outFlag === -1 ? join(packageDir, 'dist', 'web') : resolve(process.argv[outFlag + 1] ?? '');
const assetsDir = join(outDir, 'assets');
const quiet = process.argv.includes('--quiet');

function hashOf(bytes) {
  return createHash('sha256').update(bytes).digest('base64url').slice(0, 10).replace(/[-_]/g, 'x');
}

async function writeAtomically(path, bytes) {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, bytes);
  await rename(temp, path);
}

await mkdir(assetsDir, { recursive: true });

const result = await build({
  entryPoints: { app: join(webDir, 'main.tsx') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: join(webDir, 'tsconfig.json'),
  outdir: assetsDir,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  legalComments: 'none',
  charset: 'utf8',
  metafile: true,
  write: false,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
});

const written = new Set();
let js = null;
let css = null;
for (const file of result.outputFiles) {
  const name = relative(assetsDir, file.path);
  if (name.includes('/') || name.startsWith('..'))
    throw new Error(`build-web: unexpected output ${file.path}`);
  await writeAtomically(file.path, file.contents);
  written.add(name);
  if (name.endsWith('.js')) js = { name, bytes: file.contents };
  else if (name.endsWith('.css')) css = { name, bytes: file.contents };
}
if (js === null || css === null)
  throw new Error('build-web: esbuild wrote no script or no stylesheet');

const favicon = await readFile(join(webDir, 'favicon.svg'));
const faviconName = `favicon-${hashOf(favicon)}.svg`;
await writeAtomically(join(assetsDir, faviconName), favicon);
written.add(faviconName);

const template = await readFile(join(webDir, 'index.html'), 'utf8');
if (!template.includes('<base href="%BASE%"')) {
  throw new Error('build-web: web/index.html must hold <base href="%BASE%">');
}
const html = template
  .replace('%APP_JS%', `assets/${js.name}`)
  .replace('%APP_CSS%', `assets/${css.name}`)
  .replace('%FAVICON%', `assets/${faviconName}`);
if (/%(APP_JS|APP_CSS|FAVICON)%/.test(html))
  throw new Error('build-web: a placeholder was left in index.html');
await writeAtomically(join(outDir, 'index.html'), html);

for (const name of await readdir(assetsDir)) {
  if (!written.has(name)) await rm(join(assetsDir, name), { force: true });
}

if (!quiet) {
  const size = (bytes) =>
    `${(bytes.length / 1024).toFixed(1)} KiB (${(gzipSync(bytes, { level: 9 }).length / 1024).toFixed(1)} KiB gz)`;
  const total = gzipSync(js.bytes, { level: 9 }).length + gzipSync(css.bytes, { level: 9 }).length;
  process.stdout.write(
    `build-web: dist/web/assets/${js.name} ${size(js.bytes)}, ${css.name} ${size(css.bytes)}; ${(total / 1024).toFixed(1)} KiB gz in all\n`,
  );
}
