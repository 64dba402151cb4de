import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
// @ts-expect-error: a plain .mjs build script, without type declarations
import { GENERATED_PATH, generateValidatorsModule } from '../scripts/generate-validators.mjs';
import { checkSummaryDict } from '../src/index.js';
import { fresh } from './_helpers.js';

const generated = suite('the precompiled schema validators');

generated('the committed module is what the generator writes for the schema and ajv of now', () => {
  const committed = readFileSync(GENERATED_PATH, 'utf8');
  assert.ok(
    committed === generateValidatorsModule(),
    'src/summary-validators.generated.ts is out of date: run pnpm --filter @process-summary/core generate',
  );
});

generated('a name is measured in code points, as ajv counts maxLength (the inlined helper)', () => {
  const dict = fresh().summary.getSummaryDict() as unknown as Record<string, unknown>;
  // 128 astral characters: 256 UTF-16 code units, 128 code points.
  assert.is(checkSummaryDict({ ...dict, run_name: '😀'.repeat(128) }).valid, true);
  const over = checkSummaryDict({ ...dict, run_name: '😀'.repeat(129) });
  assert.is(over.valid, false);
  assert.is(over.issues[0]?.path, '/run_name');
});

generated('every problem is reported by the all-issues validator', () => {
  const dict = fresh().summary.getSummaryDict() as unknown as Record<string, unknown>;
  const check = checkSummaryDict({ ...dict, items_failed: -1, error_count: 'x' });
  assert.equal(check.issues.map((issue) => issue.path).sort(), ['/error_count', '/items_failed']);
});

generated.run();
