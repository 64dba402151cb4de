import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, completedRun, tempRoot, writeSummary } from './_helpers.ts';

const test = suite('repair');

test('restores a corrupt summary from its backup, keeps the bad file, lists it', async () => {
  const { root, cleanup } = tempRoot();
  try {
    const { summary, store, path } = await writeSummary(root, 'nightly', 'collect', completedRun);
    await store.save(summary); // the first version becomes the .bak
    assert.ok(existsSync(`${path}.bak`));
    writeFileSync(path, '{"torn": ');
    // Inspection never moves files.
    assert.is(cli(['list', '--root', root]).code, 1);
    assert.is(cli(['show', 'nightly', 'collect', '--root', root]).code, 1);
    assert.equal(
      readdirSync(dirname(path)).filter((n) => n.includes('corrupt')),
      [],
    );
    const result = cli(['repair', 'nightly', 'collect', '--root', root]);
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stdout, /restored from .*\.bak/);
    assert.match(
      result.stdout,
      /quarantined \(kept, never deleted\):\n {2}.*process_summary_collect\.json\.corrupt-/,
    );
    assert.is(cli(['show', 'nightly', 'collect', '--root', root]).code, 0);
    const quarantined = readdirSync(dirname(path)).filter((n) => n.includes('.corrupt-'));
    assert.is(quarantined.length, 1);
    assert.is(readFileSync(`${dirname(path)}/${quarantined[0]}`, 'utf8'), '{"torn": ');
    const again = JSON.parse(
      cli(['repair', 'nightly', 'collect', '--root', root, '--json']).stdout,
    ) as {
      action: string;
      quarantined: { path: string; size_bytes: number }[];
    };
    assert.is(again.action, 'none');
    assert.is(again.quarantined[0]?.size_bytes, 9);
  } finally {
    cleanup();
  }
});

test('nothing to restore from: exit 1 and nothing deleted', async () => {
  const { root, cleanup } = tempRoot();
  try {
    const { path } = await writeSummary(root, 'nightly', 'collect', completedRun);
    writeFileSync(path, 'garbage');
    const result = cli(['repair', 'nightly', 'collect', '--root', root]);
    assert.is(result.code, 1);
    assert.match(result.stdout, /Nothing was deleted/);
    const kept = readdirSync(dirname(path)).filter((n) => n.includes('.corrupt-'));
    assert.is(kept.length, 1);
  } finally {
    cleanup();
  }
});

test.run();
