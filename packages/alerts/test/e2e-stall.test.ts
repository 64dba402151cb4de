import { startReceiver } from '@process-summary/test-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAlerter, loadRulesFile } from '../src/index.js';
import { fileStore, killChild, startPipelineChild, tempDir, writeRules } from './_e2e.ts';

const RUN = 'harvard_2024';

test('a stalled pipeline (SIGSTOP) fires the no-progress rule, not before; SIGCONT resolves it', async () => {
  const { dir, cleanup } = tempDir();
  const hook = await startReceiver();
  const root = `${dir}/runs`;
  const pipeline = startPipelineChild(root, RUN, 'collect', 200);
  const rulesPath = writeRules(dir, {
    settings: { evaluate_every: '1s' },
    rules: [
      {
        name: 'no-progress',
        match: { run: RUN, process: 'collect' },
        when: { no_progress_for: '3s' },
        for: '2s',
        severity: 'warning',
        annotations: { summary: '{{run}}/{{process}}: no progress' },
      },
    ],
    notifiers: [{ type: 'webhook', url: `${hook.url}/hook` }],
  });
  const alerter = createAlerter({ store: fileStore(root), rules: await loadRulesFile(rulesPath) });
  try {
    await pipeline.waitFor('saved');
    await alerter.start();
    // Longer than the rule's window and its `for` together, saving all along: nothing fires.
    const saves = () => pipeline.messages.filter((m) => m.event === 'saved').length;
    const before = saves();
    while (saves() < before + 40) await new Promise((r) => setTimeout(r, 100));
    assert.equal(hook.requests, [], 'nothing sent while the pipeline progressed');

    pipeline.child.kill('SIGSTOP');
    const firing = await hook.waitFor((r) => (r.json as { status?: string }).status === 'firing', {
      limitMs: 60_000,
    });
    const fired = (firing.json as { alerts: Record<string, unknown>[] }).alerts[0] as Record<
      string,
      unknown
    >;
    assert.is(fired.rule, 'no-progress');
    assert.is(fired.run, RUN);
    assert.is(fired.process, 'collect');
    assert.is((fired.annotations as Record<string, string>).summary, `${RUN}/collect: no progress`);

    pipeline.child.kill('SIGCONT');
    const resolved = await hook.waitFor(
      (r) => (r.json as { status?: string }).status === 'resolved',
      { limitMs: 60_000 },
    );
    assert.is(
      (resolved.json as { alerts: { fingerprint: string }[] }).alerts[0]?.fingerprint,
      fired.fingerprint,
    );
    assert.is(hook.requests.length, 2, 'one firing, one resolved');
  } finally {
    await alerter.close();
    await killChild(pipeline);
    await hook.close();
    cleanup();
  }
});

test.run();
