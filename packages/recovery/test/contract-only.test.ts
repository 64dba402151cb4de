import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

test('recovery never touches the file system itself: summaries and owners go through the store', () => {
  const files = readdirSync(src).filter((name) => name.endsWith('.ts'));
  assert.ok(files.length > 0);
  for (const name of files) {
    const text = readFileSync(join(src, name), 'utf8');
    assert.not.match(text, /from 'node:fs(\/promises)?'/, `${name} imports node:fs`);
    assert.not.match(
      text,
      /from '@process-summary\/store-fs\/.+'/,
      `${name} reaches into store-fs`,
    );
  }
});

test.run();
