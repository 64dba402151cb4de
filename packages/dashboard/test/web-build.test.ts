import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const run = promisify(execFile);
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = join(packageDir, 'scripts', 'build-web.mjs');
const webDir = join(packageDir, 'web');

let out = '';

async function build(): Promise<{ html: string; assets: string[] }> {
  await run(process.execPath, [script, '--out', out, '--quiet'], { cwd: packageDir });
  return {
    html: await readFile(join(out, 'index.html'), 'utf8'),
    assets: (await readdir(join(out, 'assets'))).sort(),
  };
}

test.before(async () => {
  out = await mkdtemp(join(tmpdir(), 'dashboard-web-build-'));
});

test.after(async () => {
  await rm(out, { recursive: true, force: true });
});

test('index.html is a template under <base href="%BASE%"> linking hashed assets relatively', async () => {
  const { html, assets } = await build();
  const base = html.indexOf('<base href="%BASE%"');
  assert.ok(base > 0, 'the base element is there for the server to fill in');
  const firstUrl = html.search(/\s(src|href)="(?!%BASE%)/);
  assert.ok(firstUrl > base, 'the base comes before any relative URL');
  const refs = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1] as string);
  const assetRefs = refs.filter((ref) => ref !== '%BASE%');
  assert.equal(assetRefs.length, 3, 'script, stylesheet and favicon');
  for (const ref of assetRefs) {
    assert.match(ref, /^assets\/[A-Za-z0-9_-]+-[A-Za-z0-9]{8,}\.(js|css|svg)$/);
    assert.ok(assets.includes(ref.slice('assets/'.length)), `${ref} was written`);
  }
  assert.equal(assets.map((name) => name.replace(/-[A-Za-z0-9]+\./, '-HASH.')).sort(), [
    'app-HASH.css',
    'app-HASH.js',
    'favicon-HASH.svg',
  ]);
});

test('index.html holds no inline script, style or event handler (the CSP forbids them)', async () => {
  const { html } = await build();
  for (const tag of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(tag[1] as string, /\bsrc="/);
    assert.is((tag[2] as string).trim(), '');
  }
  assert.not.match(html, /<style\b/i);
  assert.not.match(html, /\sstyle=/i);
  assert.not.match(html, /\son[a-z]+=/i);
  assert.not.match(html, /(?:src|href)="(?:https?:)?\/\//i, 'nothing from another origin');
});

test('a rebuild writes the same names and removes files of earlier builds', async () => {
  const first = await build();
  await writeFile(join(out, 'assets', 'app-OLDHASH1.js'), 'old');
  await writeFile(join(out, 'assets', 'app-OLDHASH1.css'), 'old');
  const second = await build();
  assert.equal(second.assets, first.assets);
  assert.is(second.html, first.html);
});

test("the stylesheet bundles uPlot's rules with ours, light and dark", async () => {
  const { assets } = await build();
  const css = await readFile(
    join(out, 'assets', assets.find((a) => a.endsWith('.css')) as string),
    'utf8',
  );
  assert.match(css, /\.uplot\{/);
  assert.match(css, /prefers-color-scheme:\s*dark/);
  assert.not.match(css, /@import|url\(\s*["']?(?:https?:)?\/\//, 'no font or image from elsewhere');
});

test('the script and stylesheet stay well under 100 KB gzipped together', async () => {
  const { assets } = await build();
  let total = 0;
  for (const name of assets.filter((a) => /\.(js|css)$/.test(a))) {
    total += gzipSync(await readFile(join(out, 'assets', name)), { level: 9 }).length;
  }
  assert.ok(total < 60 * 1024, `${total} bytes gzipped`);
});

test('the web sources never turn strings into HTML or style attributes', async () => {
  const files = (await readdir(webDir)).filter((name) => /\.(ts|tsx)$/.test(name));
  assert.ok(files.length > 5);
  for (const name of files) {
    const source = await readFile(join(webDir, name), 'utf8');
    for (const pattern of [
      /dangerouslySetInnerHTML/,
      /\.(?:inner|outer)HTML\b/,
      /insertAdjacentHTML/,
      /document\.write/,
      /setAttribute\(\s*['"]style/,
      /\beval\(|new Function\(/,
    ]) {
      assert.not.match(source, pattern, `${name} uses ${pattern}`);
    }
  }
});

test.run();
