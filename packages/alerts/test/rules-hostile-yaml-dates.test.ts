/**
 * Rules files that must be refused, as the README says: YAML custom tags (core schema only,
 * no process warning), dates that are not calendar dates, globs with '/', reserved labels.
 */
import { strict as assert } from 'node:assert';
import { hasErrorCode } from '@process-summary/core';
import { test } from 'uvu';
import { parseRules } from '../src/rules.js';

test('a YAML custom tag (!!js/function) is refused with E_INVALID_ARGUMENT, and no process warning is written to stderr', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  let error: unknown = null;
  try {
    parseRules(
      'rules:\n  - name: r\n    when: { status: [failed] }\n    annotations: { summary: !!js/function "function () { return process.env }" }\n',
      { format: 'yaml', source: 'rules.yaml', baseDir: '/tmp' },
    );
  } catch (err) {
    error = err;
  }
  // Process warnings are emitted on the next tick.
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  assert.ok(
    hasErrorCode(error, 'E_INVALID_ARGUMENT'),
    'the tagged value is refused, not read as a string',
  );
  assert.deepEqual(
    warnings,
    [],
    'a library reports through its error or logger, not process warnings',
  );
});

test('an eta_after that is not a calendar date (February 30) is refused, not read as March 2', () => {
  let error: unknown = null;
  try {
    parseRules('rules:\n  - name: r\n    when: { eta_after: "2026-02-30T06:00:00Z" }\n', {
      format: 'yaml',
      source: 'rules.yaml',
      baseDir: '/tmp',
    });
  } catch (err) {
    error = err;
  }
  assert.ok(
    hasErrorCode(error, 'E_INVALID_ARGUMENT'),
    'README: dates that are not dates are refused',
  );
});

const refused = (text: string): string => {
  try {
    parseRules(text, { format: 'yaml', source: 'rules.yaml', baseDir: '/tmp' });
  } catch (err) {
    assert.ok(hasErrorCode(err, 'E_INVALID_ARGUMENT'));
    return (err as Error).message;
  }
  throw new Error(`accepted: ${text}`);
};

test('24:00 is refused; a real leap day with an offset is accepted', () => {
  assert.match(
    refused('rules:\n  - name: r\n    when: { eta_after: "2026-12-01T24:00:00Z" }\n'),
    /rules\/0\/when\/eta_after/,
  );
  const ok = parseRules(
    'rules:\n  - name: r\n    when: { eta_after: "2028-02-29T23:59:59+01:00" }\n',
    { format: 'yaml', source: 'rules.yaml', baseDir: '/tmp' },
  );
  assert.equal(ok.rules[0]?.when.eta_after?.deadline, Date.parse('2028-02-29T22:59:59Z') / 1000);
});

test('a glob containing "/" (it would match no name) is refused with its path', () => {
  assert.match(
    refused(
      'rules:\n  - name: r\n    match: { run: "harvard/2024" }\n    when: { status: [failed] }\n',
    ),
    /rules\/0\/match\/run: .*'\/'/,
  );
});

test('label names starting with "__" (reserved by Prometheus and Alertmanager; __proto__) are refused', () => {
  for (const name of ['__proto__', '__name__', '__x']) {
    assert.match(
      refused(`rules:\n  - name: r\n    labels: { ${name}: v }\n    when: { status: [failed] }\n`),
      new RegExp(`rules/0/labels/${name}: .*reserved`),
    );
  }
});

test.run();
