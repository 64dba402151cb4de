import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy for faults _proxy.ts's FaultyProxy cannot time:
 * - `cutClientAfter(match)`: the request reaches the server, then only the client's side is cut
 *   (a network failure the server has not noticed yet): the statement goes on running there and
 *   may commit after the client was told the connection died.
 * - `hold(match)` / `release()`: a request is held on its way (nothing is cut) and sent on later:
 *   a transaction stays open between two of its statements for as long as a test needs.
 * - `pauseNew()` / `resumeNew()`: new connections are accepted but not put through until resumed
 *   (a client that cannot get back to the server for a while); `cutAll()` cuts every one now.
 */
export class HoldingProxy {
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket | null }>();
  #cutMatch: string | null = null;
  #holdMatch: string | null = null;
  #held: { upstream: Socket; chunk: Buffer }[] = [];
  #heldSeen: (() => void)[] = [];
  #paused = false;
  readonly #kept = new Set<Socket>();
  #waiting: (() => void)[] = [];
  readonly #target: { host: string; port: number };

  private constructor(server: Server, target: { host: string; port: number }) {
    this.#server = server;
    this.#target = target;
  }

  static async start(url: string): Promise<{ proxy: HoldingProxy; url: string }> {
    const target = new URL(url);
    let proxy: HoldingProxy | null = null;
    const server = createServer((client) => proxy?.accept(client));
    proxy = new HoldingProxy(server, { host: target.hostname, port: Number(target.port) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const via = new URL(target.href);
    via.port = String((server.address() as { port: number }).port);
    return { proxy, url: via.href };
  }

  cutClientAfter(match: string): void {
    this.#cutMatch = match;
  }

  /** Holds the next request containing `match`; resolves once one was held. */
  hold(match: string): Promise<void> {
    this.#holdMatch = match;
    return new Promise((resolve) => this.#heldSeen.push(resolve));
  }

  /** Sends every held request on. */
  release(): void {
    const held = this.#held;
    this.#held = [];
    for (const { upstream, chunk } of held) upstream.write(chunk);
  }

  pauseNew(): void {
    this.#paused = true;
  }

  resumeNew(): void {
    this.#paused = false;
    for (const go of this.#waiting.splice(0)) go();
  }

  /** Connections waiting for `resumeNew`. */
  get waitingCount(): number {
    return this.#waiting.length;
  }

  cutAll(): void {
    for (const pair of this.#pairs) {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
  }

  accept(client: Socket): void {
    const pair: { client: Socket; upstream: Socket | null } = { client, upstream: null };
    this.#pairs.add(pair);
    const early: Buffer[] = [];
    client.on('data', (chunk: Buffer) => {
      if (pair.upstream === null) early.push(chunk);
      else this.#forward(pair, chunk);
    });
    client.on('error', () => {});
    client.on('close', () => {
      // The client's side only: an upstream whose client was cut on purpose stays up.
      if (pair.upstream !== null && !(pair.upstream as { keep?: boolean }).keep) {
        pair.upstream.destroy();
      }
      this.#pairs.delete(pair);
    });
    const go = () => {
      if (client.destroyed) return;
      const upstream = connect(this.#target.port, this.#target.host);
      pair.upstream = upstream;
      upstream.on('data', (chunk: Buffer) => {
        if (!client.destroyed) client.write(chunk);
      });
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => {
        if (!(upstream as { keep?: boolean }).keep) client.destroy();
      });
      for (const chunk of early.splice(0)) this.#forward(pair, chunk);
    };
    if (this.#paused) this.#waiting.push(go);
    else go();
  }

  #forward(pair: { client: Socket; upstream: Socket | null }, chunk: Buffer): void {
    const upstream = pair.upstream as Socket;
    if (this.#holdMatch !== null && chunk.includes(this.#holdMatch)) {
      this.#holdMatch = null;
      this.#held.push({ upstream, chunk });
      for (const seen of this.#heldSeen.splice(0)) seen();
      return;
    }
    upstream.write(chunk);
    if (this.#cutMatch !== null && chunk.includes(this.#cutMatch)) {
      this.#cutMatch = null;
      // The server goes on with the statement; its answer goes nowhere.
      (upstream as { keep?: boolean }).keep = true;
      this.#kept.add(upstream);
      upstream.removeAllListeners('data');
      upstream.on('data', () => {});
      pair.client.destroy();
    }
  }

  async close(): Promise<void> {
    for (const pair of this.#pairs) {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
    for (const socket of this.#kept) socket.destroy();
    this.#waiting.splice(0);
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
