/**
 * A pipeline child for the live tests: acquires (run, process) in the file store at argv[2],
 * saves a running summary, says `{"event":"saved"}` and then waits to be killed.
 */
import { hostname } from 'node:os';
import { ProcessSummary } from '@process-summary/core';
import { FileSummaryStore } from '@process-summary/store-fs';

const [root, runName, processName] = process.argv.slice(2) as [string, string, string];
const store = new FileSummaryStore({ root });
const ref = { runName, processName };
const { lease } = await store.acquire(ref);
const summary = new ProcessSummary(ref);
summary.startProcess({ host: hostname(), pid: process.pid });
summary.incrementItems({ processed: 7, successful: 7 });
await store.save(summary, lease);
process.stdout.write(`${JSON.stringify({ event: 'saved', pid: process.pid })}\n`);
setInterval(() => {}, 60_000);
