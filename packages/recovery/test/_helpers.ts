import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Child, startChild } from '@process-summary/test-kit';

export const pipelineScript = join(
  dirname(fileURLToPath(import.meta.url)),
  'fixtures',
  'pipeline.mjs',
);

export function tempRoot(): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'ps-recovery-'));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** A pipeline child (test/fixtures/pipeline.mjs) printing one JSON object per line. */
export type Pipeline = Child;

export function startPipeline(
  root: string,
  mode: string,
  options: Record<string, unknown> = {},
  names: { run?: string; process?: string } = {},
): Pipeline {
  return startChild([
    process.execPath,
    pipelineScript,
    root,
    names.run ?? 'harvard_2024',
    names.process ?? 'collect',
    mode,
    JSON.stringify(options),
  ]);
}

/** Waits for the process to end; kills it (and fails) if it has not within `ms`: a hang guard, not a timing check. */
export async function endsWithin(
  p: Pipeline,
  ms: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }> {
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    p.child.kill('SIGKILL');
  }, ms);
  const result = await p.exited;
  clearTimeout(timer);
  return { ...result, killed };
}
