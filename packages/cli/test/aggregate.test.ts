import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, copySeedFixtures, tempRoot, writeSummary } from './_helpers.ts';

const test = suite('aggregate');

interface AggregateJson {
  processes: {
    process_name: string;
    runs: { run_name: string; rate_per_second: number; rate_change_percent: number | null }[];
    totals: { runs: number; items_processed: number; rate_per_second: number };
    trend: { percent_per_run: number | null; direction: string };
  }[];
}

test('one row per run per process, totals and the trend of the rate', async () => {
  const { root, cleanup } = tempRoot();
  try {
    copySeedFixtures(root);
    // Three nightly runs, each faster: 100, 200, 400 items in 100 s.
    for (const [i, items] of [100, 200, 400].entries()) {
      await writeSummary(root, `night_${i}`, 'collect', (s, clock) => {
        s.incrementItems({ processed: items, successful: items });
        clock.advance(100);
        s.endProcess();
      });
    }
    const json = JSON.parse(
      cli(['aggregate', '--root', root, '--process', 'collect', '--json']).stdout,
    ) as AggregateJson;
    assert.is(json.processes.length, 1);
    const collect = json.processes[0];
    assert.equal(
      collect?.runs.map((r) => [r.run_name, r.rate_per_second, r.rate_change_percent]),
      [
        ['night_0', 1, null],
        ['night_1', 2, 100],
        ['night_2', 4, 100],
        // The seed run was saved later (2026) than the nightly runs (2025).
        ['harvard_2024', 131761.58, 3293939.5],
      ],
    );
    assert.is(collect?.totals.runs, 4);
    assert.is(collect?.trend.direction, 'improving');
    const since = JSON.parse(
      cli(['aggregate', '--root', root, '--process', 'collect', '--since', '2026-01-01', '--json'])
        .stdout,
    ) as AggregateJson;
    assert.equal(
      since.processes[0]?.runs.map((r) => r.run_name),
      ['harvard_2024'],
    );
    const text = cli(['aggregate', '--root', root]);
    assert.is(text.code, 0);
    assert.match(text.stdout, /process collect/);
    assert.match(text.stdout, /process sync/);
    assert.match(text.stdout, /rate trend: improving/);
    assert.is(cli(['aggregate', '--root', root, '--since', 'yesterday-ish']).code, 2);
  } finally {
    cleanup();
  }
});

test.run();
