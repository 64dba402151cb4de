import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { examplesDir, runExample } from './_helpers.js';

const test = suite('end to end: pnpm demo');

const repoRoot = join(examplesDir, '..');

/** The binary as its package declares it. */
function binary(): string {
  const manifest = createRequire(import.meta.url).resolve('@process-summary/cli/package.json');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> };
  return join(dirname(manifest), bin['summary-inspect'] as string);
}

test('the demo ends by printing the dashboard command, and that command serves the demo’s runs', async () => {
  const demo = runExample('demo.ts', []);
  const end = await demo.exited;
  assert.is(end.code, 0, demo.output());
  const lines = demo.output().trimEnd().split('\n');
  const last = lines[lines.length - 1] ?? '';
  assert.is(last, '  npx pnpm@12.4.2 summary-inspect serve --root examples/runs');

  // What the line says, run where it says (the repository root), on a free port.
  const args = last.trim().split(/\s+/).slice(3);
  assert.equal(args, ['serve', '--root', 'examples/runs']);
  const server = spawn(process.execPath, [binary(), ...args, '--port', '0'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  server.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => server.on('close', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      server.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /^dashboard: (http:\/\/\S+) /m.exec(out);
        if (m !== null) resolve(m[1] as string);
      });
      void exited.then((code) => reject(new Error(`serve exited ${code}: ${out}${err}`)));
    });
    const response = await fetch(`${url}api/runs`);
    assert.is(response.status, 200);
    const { rows } = (await response.json()) as {
      rows: { run_name: string; process_name: string; worker_count: number; status: string }[];
    };
    const shown = rows
      .filter((r) => r.run_name === 'demo' || r.run_name === 'demo-workers')
      .map((r) => [r.run_name, r.process_name, r.worker_count]);
    assert.equal(shown, [
      ['demo', 'collect', 0],
      ['demo', 'sync', 0],
      ['demo-workers', 'collect', 3],
    ]);
  } finally {
    server.kill('SIGINT');
  }
  assert.is(await exited, 0, err);
});

test.run();
