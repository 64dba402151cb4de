// A dashboard server in a process of its own, for the benchmarks: what they measure of it
// (its CPU time, its memory) is then its own, and it shares no event loop with the clients or
// the pipeline. Prints one JSON line `{ "url": … }` once listening; answers the IPC message
// "stats" with its resident memory and CPU time, and "close" by closing and exiting.
// Usage: node _server.mjs ROOT
import { createDashboardServer } from '@process-summary/dashboard';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';

const root = process.argv[2];
const store = new FileSummaryStore({ root, logger: silentLogger });
// Every request reads the store afresh (no reuse window: a repeated /api/runs within a second
// would otherwise be served from the last listing, which measures nothing), and the benchmark's
// clients, all on 127.0.0.1, are not held to the per-address stream cap a real server keeps.
const server = createDashboardServer(
  { store, storeLabel: root, port: 0, maxStreamClients: 5000 },
  { reuseMs: 0, maxStreamsPerAddress: 5000 },
);
const url = await server.listen();
process.stdout.write(`${JSON.stringify({ url })}\n`);
process.on('message', async (message) => {
  if (message === 'stats') {
    const cpu = process.cpuUsage();
    process.send?.({
      type: 'stats',
      rss: process.memoryUsage.rss(),
      heapUsed: process.memoryUsage().heapUsed,
      cpuMicros: cpu.user + cpu.system,
    });
  } else if (message === 'gc') {
    globalThis.gc?.();
    process.send?.({ type: 'gc' });
  } else if (message === 'close') {
    await server.close();
    process.exit(0);
  }
});
