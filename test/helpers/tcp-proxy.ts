/**
 * A real TCP proxy on loopback for failure and latency tests: put it between the worker and a
 * simulator (latency, like a vendor 150 ms away) or PostgreSQL (an outage: `goDown()` closes the
 * listener and cuts every open connection, so new connections are refused; `comeBack()` listens
 * again on the same port).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private latencyMs: number;
  port = 0;
  /** Connections accepted over the proxy's life. */
  accepted = 0;

  constructor(
    private readonly target: { host: string; port: number },
    opts: { latencyMs?: number } = {},
  ) {
    this.latencyMs = opts.latencyMs ?? 0;
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  async start(port = 0): Promise<number> {
    const server = createServer((client) => this.pipe(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /** Refuses new connections and cuts the open ones, as a crashed or unreachable server would. */
  async goDown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async comeBack(): Promise<void> {
    await this.start(this.port);
  }

  async stop(): Promise<void> {
    await this.goDown();
  }

  private pipe(client: Socket): void {
    this.accepted++;
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const forward = (from: Socket, to: Socket) => {
      from.on('data', (chunk) => {
        // Latency on the way in only: one delay per request/response exchange, like a distant server.
        if (this.latencyMs > 0 && from === client) {
          from.pause();
          setTimeout(() => {
            if (!to.destroyed) to.write(chunk);
            from.resume();
          }, this.latencyMs);
        } else if (!to.destroyed) {
          to.write(chunk);
        }
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  }
}
