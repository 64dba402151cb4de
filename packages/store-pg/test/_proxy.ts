import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between a store and the test server that can lose one exchange, for faults no
 * server restart can time: the statement lost on its way (`dropRequest`), or run and committed
 * with its answer lost on the way back (`dropAnswer`). Either cuts that one connection, as a
 * network failure would; the rest pass untouched.
 */
export class FaultyProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  /** Text in a request that arms the fault (the statement to hit). */
  #match: string | null = null;
  #mode: 'request' | 'answer' | null = null;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(target: { host: string; port: number }): Promise<FaultyProxy> {
    let proxy: FaultyProxy | null = null;
    const server = createServer((client) => proxy?.accept(client, target));
    proxy = new FaultyProxy(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as { port: number }).port;
  }

  dropRequest(match: string): void {
    this.#match = match;
    this.#mode = 'request';
  }

  dropAnswer(match: string): void {
    this.#match = match;
    this.#mode = 'answer';
  }

  accept(client: Socket, target: { host: string; port: number }): void {
    const upstream = connect(target.port, target.host);
    this.#sockets.add(client).add(upstream);
    let armed = false;
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      if (this.#match !== null && chunk.includes(this.#match)) {
        if (this.#mode === 'request') {
          this.#match = null;
          cut();
          return;
        }
        armed = true;
        this.#match = null;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      // ReadyForQuery ('Z', length 5) ends the exchange: the server has committed by then.
      if (armed && chunk.includes(Buffer.from([0x5a, 0, 0, 0, 5]))) {
        cut();
        return;
      }
      client.write(chunk);
    });
    for (const socket of [client, upstream]) {
      socket.on('error', cut);
      socket.on('close', () => {
        this.#sockets.delete(socket);
        cut();
      });
    }
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
