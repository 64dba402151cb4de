import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { packageDir } from './_helpers.ts';

const test = suite('thin shell');

const src = join(packageDir, 'src');
const sources = (readdirSync(src, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ file: f, text: readFileSync(join(src, f), 'utf8') }));

test('the CLI spells no file of the store layout: every path is the store’s', () => {
  const layout = [
    /process_summary_/,
    /\.json\.bak/,
    /\.events\.jsonl/,
    /\.corrupt-/,
    /\.archived-/,
    /['"`]\.owner['"`]/,
  ];
  const offenders = sources.flatMap(({ file, text }) =>
    layout.filter((pattern) => pattern.test(text)).map((pattern) => `${file}: ${pattern}`),
  );
  // Examples in help texts name a summary file a user may pass: not a path the CLI builds.
  assert.equal(
    offenders.filter((o) => !/commands\/\w+\/spec\.ts: /.test(o)),
    [],
  );
});

test('the CLI reads owners through the store, never through recovery', () => {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  assert.not.ok('@process-summary/recovery' in manifest.dependencies);
  const importers = sources.filter(({ text }) => text.includes("'@process-summary/recovery'"));
  assert.equal(
    importers.map((s) => s.file),
    [],
  );
});

test.run();
