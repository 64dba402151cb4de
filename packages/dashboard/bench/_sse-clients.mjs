// N raw event-stream clients in a process of their own (so they share no event loop with the
// server they measure): each one a socket of its own on GET /api/stream, parsed by hand, as a
// browser's EventSource would. For every `row` event of (run, process) it records the row's
// items_processed and when it arrived (epoch ms, high resolution).
// Usage: node _sse-clients.mjs URL COUNT RUN PROCESS; IPC: "ready" (answers once every client
// has its hello), "report", "close".
import { get } from 'node:http';

const [url, countText, runName, processName] = process.argv.slice(2);
const count = Number(countText);
const clients = [];

function connect() {
  const client = { hellos: 0, events: [], other: 0, errors: [], ended: false };
  clients.push(client);
  let buffer = '';
  const request = get(`${url}api/stream`, { agent: false }, (response) => {
    if (response.statusCode !== 200) {
      client.errors.push(`status ${response.statusCode}`);
      response.resume();
      return;
    }
    response.setEncoding('utf8');
    response.on('data', (chunk) => {
      const at = performance.timeOrigin + performance.now();
      buffer += chunk;
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end < 0) break;
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let type = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) type = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length === 0) continue; // a comment (keep-alive)
        if (type === 'hello') client.hellos += 1;
        else if (type === 'row') {
          const { row } = JSON.parse(data.join('\n'));
          if (row.run_name === runName && row.process_name === processName) {
            client.events.push([row.items_processed, at]);
          } else client.other += 1;
        } else client.other += 1;
      }
    });
    response.on('end', () => {
      client.ended = true;
    });
  });
  request.on('error', (err) => client.errors.push(err.message));
  client.request = request;
}

for (let i = 0; i < count; i++) connect();

process.on('message', (message) => {
  if (message === 'ready') {
    const check = () => {
      const failed = clients.filter((c) => c.errors.length > 0).length;
      const ready = clients.filter((c) => c.hellos > 0).length;
      if (ready + failed >= count) process.send({ type: 'ready', ready, failed });
      else setTimeout(check, 20);
    };
    check();
  } else if (message === 'report') {
    process.send({
      type: 'report',
      clients: clients.map(({ hellos, events, other, errors, ended }) => ({
        hellos,
        events,
        other,
        errors,
        ended,
      })),
    });
  } else if (message === 'close') {
    for (const c of clients) c.request.destroy();
    process.exit(0);
  }
});
