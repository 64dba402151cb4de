/**
 * Review of the rules file as the README describes it ("YAML is read with the core schema only
 * (no custom tags)"). Fails now because of a defect named in REVIEW-ALERTS.md.
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

test.run();
