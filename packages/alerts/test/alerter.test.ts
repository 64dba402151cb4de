import { strict as assert } from 'node:assert';
import { test } from 'uvu';
import { createAlerter } from '../src/alerter.js';
import { parseRules } from '../src/rules.js';
import { memoryStore, saveSummary, startReceiver } from './_kit.js';

const rulesText = (url: string) => `
rules:
  - name: too-many-errors
    match: { run: "harvard_*", process: collect }
    when: { error_rate_percent: { above: 5 } }
    severity: critical
    labels: { team: digitization }
    annotations: { summary: "{{run}}/{{process}}: {{error_rate_percent}}% errors" }
notifiers:
  - { type: webhook, url: "${url}/hook" }
`;

test('a run crossing the error threshold fires once and resolves once', async () => {
  const receiver = await startReceiver();
  const { store, clock } = memoryStore();
  const rules = parseRules(rulesText(receiver.url), {
    format: 'yaml',
    source: 'r.yaml',
    baseDir: '/tmp',
  });
  const alerter = createAlerter({ store, rules, now: () => clock.now() });
  try {
    const s = await saveSummary(store, clock, { run: 'harvard_2024', process: 'collect' }, (s) =>
      s.incrementItems({ processed: 100, successful: 90, failed: 10 }),
    );
    const first = await alerter.evaluate();
    assert.equal(first.notifications.length, 1);
    clock.advance(15);
    const second = await alerter.evaluate();
    assert.equal(second.notifications.length, 0);
    assert.equal(receiver.received.length, 1);
    const body = JSON.parse(receiver.received[0]?.body ?? '{}');
    assert.equal(body.status, 'firing');
    assert.equal(body.alerts[0].annotations.summary, 'harvard_2024/collect: 10% errors');
    s.incrementItems({ processed: 1000, successful: 1000 });
    await store.save(s);
    clock.advance(15);
    const third = await alerter.evaluate();
    assert.equal(third.notifications.length, 1);
    assert.equal(third.notifications[0]?.status, 'resolved');
    assert.equal(receiver.received.length, 2);
  } finally {
    await alerter.close();
    await receiver.close();
  }
});

test.run();
