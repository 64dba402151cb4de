import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createManualClock, ProcessSummary } from '@process-summary/core';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { seedFormatSummary } from './_seed-file.js';

const root = '/tmp/rd/loadroot';
mkdirSync(join(root, 'bench'), { recursive: true });
const store = new FileSummaryStore({ root, logger: silentLogger });
const clock = createManualClock(1_750_000_000);
const s = new ProcessSummary({ runName: 'bench', processName: 'metrics', clock });
s.startProcess();
s.setCustomMetric(
  'histogram',
  Array.from({ length: 43000 }, (_, r) => Array.from({ length: 10 }, (_, c) => (r + c) % 10)),
);
s.endProcess();
writeFileSync(
  store.pathFor('bench', 'metrics'),
  `${JSON.stringify(s.getSummaryDict(), null, 2)}\n`,
);
writeFileSync(
  store.pathFor('bench', 'collect'),
  JSON.stringify(seedFormatSummary(20_000), null, 2),
);
const which = process.argv[2] ?? 'metrics';
const path = store.pathFor('bench', which);
const a: number[] = [],
  b: number[] = [];
for (let i = 0; i < 40; i++) {
  let t = performance.now();
  await store.load('bench', which);
  a.push(performance.now() - t);
  t = performance.now();
  JSON.parse(readFileSync(path, 'utf8'));
  b.push(performance.now() - t);
}
const med = (x: number[]) => x.sort((p, q) => p - q)[x.length >> 1] as number;
console.log(
  which,
  'load',
  med(a).toFixed(1),
  'parse',
  med(b).toFixed(1),
  'ratio',
  (med(a) / med(b)).toFixed(2),
);
