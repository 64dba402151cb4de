import { spawn } from 'node:child_process';

/**
 * When a round SIGKILLs its loop: `after-ready` 5–60 ms after the child printed `ready` (the kill
 * may land before its first operation resolved, while one is in flight, or between two);
 * `after-first-resolved` 0–60 ms after it reported its first resolved operation, so the round
 * makes progress however slow or loaded the machine is, and the kill still lands at a random
 * point of a later one.
 */
export type KillMoment = 'after-ready' | 'after-first-resolved';

/** The moment of round `round`: the two kinds alternate, so every run has both. */
export function killMomentOf(round: number): KillMoment {
  return round % 2 === 0 ? 'after-ready' : 'after-first-resolved';
}

export interface KilledLoop {
  /** The highest number the loop reported after `<verb> `, or -1 if it reported none. */
  lastReported: number;
  stderr: string;
}

/**
 * Only a guard against a hung loop, which would otherwise hold CI until its own limit with no
 * word of why: no machine takes this long for one operation, so no result depends on it.
 */
const HUNG_AFTER_MS = 300_000;

/**
 * Runs a loop fixture (`node <fixture> <root>`) that prints `ready`, then `<verb> <n>` after each
 * resolved operation, and SIGKILLs it at a random moment of the kind asked for. Resolves once the
 * child is reaped (its pid free, its lock judged dead); rejects if it ended any other way.
 */
export function runAndKill(
  fixture: string,
  root: string,
  verb: string,
  moment: KillMoment,
): Promise<KilledLoop> {
  const reported = new RegExp(`^${verb} (\\d+)$`, 'gm');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    const hung = setTimeout(() => child.kill('SIGKILL'), HUNG_AFTER_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (killTimer !== undefined) return;
      if (moment === 'after-ready' && stdout.includes('ready\n')) {
        killTimer = setTimeout(() => child.kill('SIGKILL'), 5 + Math.random() * 55);
      } else if (moment === 'after-first-resolved' && stdout.includes(`\n${verb} `)) {
        killTimer = setTimeout(() => child.kill('SIGKILL'), Math.random() * 60);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      clearTimeout(hung);
      if (signal !== 'SIGKILL' || killTimer === undefined) {
        const why = killTimer === undefined ? `no kill moment in ${HUNG_AFTER_MS} ms` : '';
        reject(new Error(`${fixture} ended with ${code} ${signal} ${why}: ${stderr}`));
        return;
      }
      const numbers = [...stdout.matchAll(reported)].map((m) => Number(m[1]));
      resolve({ lastReported: numbers.length > 0 ? Math.max(...numbers) : -1, stderr });
    });
  });
}
