/**
 * Sync real files from a source folder to a destination folder, verifying every copy by
 * checksum, and keep a process summary of it. Files already synced (same size and checksum)
 * are skipped, so a rerun after Ctrl-C resumes where it stopped.
 *
 *   node --import tsx sync/sync.ts --run harvard_2024 [--source DIR] [--dest DIR]
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createProcessSummary, saveProcessSummary } from '@process-summary/recovery';
import { numberOption, parse } from '../lib/args.js';
import { seededRandom } from '../lib/random.js';

const usage = `sync: copy files with checksum verification, tracked by a process summary

Options:
  --run NAME        run name (default demo)
  --root DIR        where summaries live (default runs)
  --source DIR      files to sync (generated the first time; default data/source)
  --dest DIR        where they go (default data/dest)
  --files N         files to generate in an empty source (default 300)
  --fresh           archive the previous summary of this run and start over
  --quiet           no progress lines`;

const here = dirname(fileURLToPath(import.meta.url));
const options = parse(
  {
    source: { type: 'string', default: join(here, '..', 'data', 'source') },
    dest: { type: 'string', default: join(here, '..', 'data', 'dest') },
    files: { type: 'string', default: '300' },
  },
  usage,
);
const fileCount = numberOption('files', options.files);
const say = (line: string) => {
  if (!options.quiet) console.log(line);
};

async function generateSource(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) return;
  const random = seededRandom(7);
  for (let i = 0; i < fileCount; i++) {
    const size = 1024 + Math.floor(random() * 256 * 1024);
    const data = Buffer.alloc(size + 3); // room for the last 4-byte word
    for (let j = 0; j < size; j += 4) data.writeUInt32LE(Math.floor(random() * 2 ** 32), j);
    await writeFile(join(dir, `book_${String(i).padStart(5, '0')}.tar.gz`), data.subarray(0, size));
  }
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

class ChecksumMismatchError extends Error {
  override name = 'ChecksumMismatchError';
}

/** Copies via a temp name and renames, so a destination file is complete or absent. */
async function syncFile(name: string): Promise<'copied' | 'skipped'> {
  const from = join(options.source, name);
  const to = join(options.dest, name);
  const expected = await sha256(from);
  if (existsSync(to) && (await stat(to)).size === (await stat(from)).size) {
    if ((await sha256(to)) === expected) return 'skipped';
  }
  const partial = `${to}.partial`;
  await copyFile(from, partial);
  const actual = await sha256(partial);
  if (actual !== expected) {
    throw new ChecksumMismatchError(
      `${name}: copied checksum ${actual.slice(0, 12)} ≠ ${expected.slice(0, 12)}`,
    );
  }
  await rename(partial, to);
  return 'copied';
}

await generateSource(options.source);
await mkdir(options.dest, { recursive: true });
const files = (await readdir(options.source)).filter((f) => !f.startsWith('.')).sort();
const summary = await createProcessSummary(options.run, 'sync', {
  root: options.root,
  fresh: options.fresh,
});
summary.setItemsTotal(summary.itemsProcessed + files.length);
summary.setCustomMetric('source', options.source);
summary.setCustomMetric('destination', options.dest);
let skipped = 0;
let copied = 0;
say(`sync ${options.run}: ${files.length} files (session ${summary.sessionCount})`);
try {
  for (const [index, name] of files.entries()) {
    try {
      const size = (await stat(join(options.source, name))).size;
      if ((await syncFile(name)) === 'skipped') {
        skipped += 1;
        summary.incrementItems({ processed: 1, successful: 1 });
      } else {
        copied += 1;
        summary.incrementItems({ processed: 1, successful: 1, bytes: size });
      }
    } catch (err) {
      summary.addError((err as Error).name, (err as Error).message);
      summary.incrementItems({ processed: 1, failed: 1 });
    }
    if ((index + 1) % 50 === 0 || index + 1 === files.length) {
      summary.checkpoint();
      summary.setCustomMetric('files_copied', copied);
      summary.setCustomMetric('files_skipped', skipped);
      summary.addProgressUpdate(`Synced ${index + 1} of ${files.length} files`, {
        copied,
        skipped,
      });
      await saveProcessSummary(summary);
      say(`  ${index + 1}/${files.length} files: ${copied} copied, ${skipped} already there`);
    }
  }
} finally {
  summary.setCustomMetric('files_copied', copied);
  summary.setCustomMetric('files_skipped', skipped);
  summary.endProcess({ outcome: summary.itemsFailed > 0 ? 'failed' : 'completed' });
  await saveProcessSummary(summary);
  say(`sync ${options.run}: ${summary.status}, ${copied} copied, ${skipped} skipped`);
}
process.exitCode = summary.status === 'completed' ? 0 : 1;
