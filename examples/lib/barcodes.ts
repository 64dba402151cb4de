import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { seededRandom } from './random.js';

/**
 * The barcode list at `file`, generated the first time (Harvard-style: 14 digits starting
 * 32044, the same on every machine). Written under a temporary name then renamed, so a worker
 * starting beside the one that generates it never reads half a list.
 */
export function loadBarcodes(file: string, count: number): string[] {
  if (!existsSync(file)) {
    const random = seededRandom(2024);
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      lines.push(`32044${String(Math.floor(random() * 1e9)).padStart(9, '0')}`);
    }
    mkdirSync(dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, `${lines.join('\n')}\n`);
    renameSync(temp, file);
  }
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}
