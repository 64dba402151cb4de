import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import { formatDuration, parseDuration } from '../src/duration.js';
import { loadRulesFile, parseRules, rulesSchema } from '../src/rules.js';
import { caught } from './_kit.js';

const yaml = (text: string) =>
  parseRules(text, { format: 'yaml', source: 'rules.yaml', baseDir: '/etc/alerts' });
const json = (value: unknown) =>
  parseRules(JSON.stringify(value), {
    format: 'json',
    source: 'rules.json',
    baseDir: '/etc/alerts',
  });

const ISSUE_EXAMPLE = `
rules:
  - name: too-many-errors
    match: { run: "harvard_*", process: collect }   # globs; worker optional
    when: { error_rate_percent: { above: 5 } }
    for: 2m
    severity: critical
    labels: { team: digitization }
    annotations: { summary: "{{run}}/{{process}}: {{error_rate_percent}}% errors" }
notifiers:
  - { type: webhook, url: "http://127.0.0.1:9000/hook", secret_file: hook.secret }
  - { type: slack, url: "https://hooks.slack.example/services/T/B/X" }
  - { type: alertmanager, url: "http://127.0.0.1:9093" }
  - { type: command, argv: ["./page-someone", "--quiet"] }
`;

test("the issue's example file is read with defaults filled in and paths resolved", () => {
  const config = yaml(ISSUE_EXAMPLE);
  assert.deepEqual(config.rules[0], {
    name: 'too-many-errors',
    match: { run: 'harvard_*', process: 'collect', worker: null },
    when: { error_rate_percent: { above: 5, window_seconds: null, min_attempted: 1 } },
    for_seconds: 120,
    repeat_every_seconds: null,
    severity: 'critical',
    labels: { team: 'digitization' },
    annotations: { summary: '{{run}}/{{process}}: {{error_rate_percent}}% errors' },
  });
  assert.deepEqual(
    config.notifiers.map((n) => [n.type, n.name, n.timeout_seconds, n.max_attempts]),
    [
      ['webhook', 'webhook', 10, 5],
      ['slack', 'slack', 10, 5],
      ['alertmanager', 'alertmanager', 10, 5],
      ['command', 'command', 10, 5],
    ],
  );
  const webhook = config.notifiers[0];
  assert.equal(webhook?.type === 'webhook' && webhook.secret_file, '/etc/alerts/hook.secret');
  const command = config.notifiers[3];
  assert.deepEqual(command?.type === 'command' && command.argv, [
    '/etc/alerts/page-someone',
    '--quiet',
  ]);
  assert.deepEqual(config.settings, {
    evaluate_every_seconds: 15,
    repeat_every_seconds: 4 * 3600,
    resolve_notify: true,
    stale_after_seconds: 300,
    forget_finished_after_seconds: 86_400,
    dashboard_url: null,
  });
});

test('every condition is read, durations in seconds', () => {
  const config = json({
    rules: [
      {
        name: 'all',
        match: { worker: 'w*' },
        when: {
          status: ['failed', 'crashed'],
          no_progress_for: '10m',
          stale_for: '1h30m',
          error_rate_percent: { above: 2.5, window: '10m', min_attempted: 20 },
          error_type_count: { type: 'NetworkError', above: 10 },
          rate_below_median_share: { share: 0.5 },
          eta_after: '2026-12-01T06:00:00Z',
          custom_metric: { name: 'queue', above: 100 },
        },
        repeat_every: '1d',
      },
    ],
    settings: {
      evaluate_every: 5,
      repeat_every: '2h',
      resolve_notify: false,
      stale_after: '2m',
      forget_finished_after: '7d',
      dashboard_url: 'http://127.0.0.1:4177/',
    },
  });
  const rule = config.rules[0];
  assert.deepEqual(rule?.match, { run: '*', process: '*', worker: 'w*' });
  assert.deepEqual(rule?.when, {
    status: ['failed', 'crashed'],
    no_progress_for_seconds: 600,
    stale_for_seconds: 5400,
    error_rate_percent: { above: 2.5, window_seconds: 600, min_attempted: 20 },
    error_type_count: { type: 'NetworkError', above: 10 },
    rate_below_median_share: { share: 0.5, min_runs: 3 },
    eta_after: {
      deadline: Date.parse('2026-12-01T06:00:00Z') / 1000,
      text: '2026-12-01T06:00:00Z',
    },
    custom_metric: { name: 'queue', above: 100 },
  });
  assert.equal(rule?.repeat_every_seconds, 86_400);
  assert.equal(rule?.severity, 'warning');
  assert.deepEqual(config.settings, {
    evaluate_every_seconds: 5,
    repeat_every_seconds: 7200,
    resolve_notify: false,
    stale_after_seconds: 120,
    forget_finished_after_seconds: 7 * 86_400,
    dashboard_url: 'http://127.0.0.1:4177/',
  });
});

test('a wrong type is refused naming its JSON path, in YAML and in JSON', async () => {
  const fromYaml = await caught(() =>
    yaml('rules:\n  - name: x\n    when: { error_rate_percent: { above: "5" } }\n'),
  );
  assert.equal(fromYaml.code, 'E_INVALID_ARGUMENT');
  assert.match(
    fromYaml.message,
    /rules\.yaml: rules\/0\/when\/error_rate_percent\/above: must be number/,
  );
  const fromJson = await caught(() =>
    json({
      rules: [
        { name: 'x', when: { status: ['failed'] } },
        { name: 'y', when: { error_rate_percent: { above: true } } },
      ],
    }),
  );
  assert.equal(fromJson.code, 'E_INVALID_ARGUMENT');
  assert.match(
    fromJson.message,
    /rules\.json: rules\/1\/when\/error_rate_percent\/above: must be number/,
  );
});

test('every problem of a file is reported, each with its path', async () => {
  const err = await caught(() =>
    yaml(`
rules:
  - name: x
    when: { bogus: 1, status: [exploded] }
    for: soon
  - when: { stale_for: 10m }
notifiers:
  - { type: pager, url: "http://x" }
  - { type: webhook }
  - { type: slack, url: "ftp://x" }
settings: { evaluate_every: -1 }
`),
  );
  for (const expected of [
    'rules/0/when: unknown key "bogus"',
    'rules/0/when/status/0: must be one of',
    'rules/0/for: must be a duration',
    'rules/1: missing key "name"',
    'notifiers/0: type must be one of',
    'notifiers/1: missing key "url"',
    'notifiers/2/url: must match pattern',
    'settings/evaluate_every: must be a duration',
  ]) {
    assert.ok(err.message.includes(expected), `${expected} in ${err.message}`);
  }
});

test('refused after the schema: duplicates, reserved labels, unknown template names, bad dates and durations', async () => {
  const cases: [string, RegExp][] = [
    [
      'rules:\n  - { name: a, when: { status: [failed] } }\n  - { name: a, when: { status: [crashed] } }\n',
      /rules\/1\/name: duplicate rule name "a" \(also rules\/0\)/,
    ],
    [
      'rules:\n  - { name: a, when: { status: [failed] }, labels: { severity: x } }\n',
      /rules\/0\/labels\/severity: "severity" is set by the alerter/,
    ],
    [
      'rules:\n  - { name: a, when: { status: [failed] }, annotations: { summary: "{{ process.env }}" } }\n',
      /rules\/0\/annotations\/summary: unknown template name "process.env"/,
    ],
    [
      'rules:\n  - { name: a, when: { status: [failed] }, annotations: { s: "{{labels.team}}" } }\n',
      /unknown template name "labels.team"/,
    ],
    [
      'rules:\n  - { name: a, when: { eta_after: "2026-13-45T99:00Z" } }\n',
      /rules\/0\/when\/eta_after: "2026-13-45T99:00Z" is not a date/,
    ],
    [
      'rules:\n  - { name: a, when: { no_progress_for: 1m2h } }\n',
      /rules\/0\/when\/no_progress_for: must be a duration/,
    ],
    [
      'rules:\n  - { name: a, when: { no_progress_for: 400d } }\n',
      /rules\/0\/when\/no_progress_for: "400d" is not a duration/,
    ],
    [
      'rules:\n  - { name: a, when: { status: [failed] } }\nnotifiers:\n  - { type: webhook, url: "http://a" }\n  - { type: webhook, url: "http://b", name: webhook-2 }\n  - { type: webhook, url: "http://c" }\n',
      /notifiers\/2\/name: duplicate notifier name "webhook-2" \(also notifiers\/1\)/,
    ],
    [
      'rules: []\nsettings: { evaluate_every: 0s }\n',
      /settings\/evaluate_every: must be at least 1s/,
    ],
    [
      'rules:\n  - { name: a, when: {} }\n',
      /rules\/0\/when: must NOT have fewer than 1 properties/,
    ],
    [
      'rules:\n  - { name: a, when: { custom_metric: { name: q, above: 1, equals: 2 } } }\n',
      /rules\/0\/when\/custom_metric: must NOT have more than 2 properties/,
    ],
  ];
  for (const [text, pattern] of cases) {
    const err = await caught(() => yaml(text));
    assert.equal(err.code, 'E_INVALID_ARGUMENT', text);
    assert.match(err.message, pattern);
  }
});

test('not YAML, not JSON, not an object: refused with the source named', async () => {
  for (const [text, format] of [
    ['rules: [', 'yaml'],
    ['{"rules": ', 'json'],
    ['a: 1\na: 2\n', 'yaml'],
  ] as const) {
    const err = await caught(() => parseRules(text, { format, source: 'f', baseDir: '/' }));
    assert.equal(err.code, 'E_INVALID_ARGUMENT');
    assert.match(err.message, /^alerts: f: not (YAML|JSON)/);
  }
  const list = await caught(() => yaml('- 1\n'));
  assert.match(list.message, /\(root\): must be object/);
  const bad = await caught(() =>
    parseRules('{}', { format: 'toml' as 'json', source: 'f', baseDir: '/' }),
  );
  assert.equal(bad.code, 'E_INVALID_ARGUMENT');
});

test('YAML aliases cannot expand without bound', async () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 0; i < 8; i += 1) {
    const prev = String.fromCharCode(97 + i);
    const next = String.fromCharCode(98 + i);
    bomb.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(',')}]`);
  }
  const err = await caught(() => yaml(`${bomb.join('\n')}\nrules: []\n`));
  assert.equal(err.code, 'E_INVALID_ARGUMENT');
});

test('durations: units largest first, each once; numbers are seconds', async () => {
  assert.equal(parseDuration('30s', 'x'), 30);
  assert.equal(parseDuration('2m', 'x'), 120);
  assert.equal(parseDuration('1h30m', 'x'), 5400);
  assert.equal(parseDuration('1d', 'x'), 86_400);
  assert.equal(parseDuration('1d2h3m4s', 'x'), 93_784);
  assert.equal(parseDuration(90, 'x'), 90);
  for (const bad of [
    '',
    '10',
    '1m1h',
    '1h1h',
    '5 m',
    '-5s',
    '1.5h',
    'PT5M',
    -1,
    Number.NaN,
    '400d',
  ]) {
    const err = await caught(() => parseDuration(bad, 'where/it/is'));
    assert.equal(err.code, 'E_INVALID_ARGUMENT');
    assert.match(err.message, /where\/it\/is/);
  }
  assert.equal(formatDuration(5400), '1h30m');
  assert.equal(formatDuration(0), '0s');
});

test('loadRulesFile reads by extension and resolves paths against the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'alerts-rules-'));
  try {
    await writeFile(
      join(dir, 'a.yml'),
      'rules: []\nnotifiers:\n  - { type: webhook, url: "http://127.0.0.1:1/", secret_file: s }\n',
    );
    await writeFile(
      join(dir, 'a.json'),
      '{"rules": [], "notifiers": [{"type": "command", "argv": ["bin/x", "$(touch /tmp/x)"]}]}',
    );
    await writeFile(join(dir, 'a.txt'), 'rules: []');
    await writeFile(
      join(dir, 'bad.yaml'),
      'rules:\n  - name: a\n    when: { stale_for: 5 minutes }\n',
    );
    const yml = await loadRulesFile(join(dir, 'a.yml'));
    assert.equal(
      yml.notifiers[0]?.type === 'webhook' && yml.notifiers[0].secret_file,
      join(dir, 's'),
    );
    const js = await loadRulesFile(join(dir, 'a.json'));
    assert.deepEqual(js.notifiers[0]?.type === 'command' && js.notifiers[0].argv, [
      join(dir, 'bin/x'),
      '$(touch /tmp/x)',
    ]);
    assert.equal(
      (await caught(() => loadRulesFile(join(dir, 'a.txt')))).code,
      'E_INVALID_ARGUMENT',
    );
    assert.equal((await caught(() => loadRulesFile(join(dir, 'none.yaml')))).code, 'E_NOT_FOUND');
    const bad = await caught(() => loadRulesFile(join(dir, 'bad.yaml')));
    assert.match(bad.message, /bad\.yaml: rules\/0\/when\/stale_for: must be a duration/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the shipped schema file is the one the validator uses', () => {
  const shipped = JSON.parse(
    readFileSync(new URL('../src/rules.schema.json', import.meta.url), 'utf8'),
  );
  assert.deepEqual(shipped, rulesSchema);
  assert.equal(shipped.$schema, 'https://json-schema.org/draft/2020-12/schema');
});

test.run();
