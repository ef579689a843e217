/**
 * A TCP relay on 127.0.0.1 whose destination can be swapped while it runs: the same host and
 * port suddenly answered by another server with another certificate, as a network attacker (or
 * a provider's renewal) would make it.
 */
import net from 'node:net';

export interface SwitchRelay {
  port: number;
  /** The loopback port new connections go to. */
  target: number;
  /** Connections accepted so far (a TLS client that gives up after the handshake sends no command). */
  readonly accepted: number;
  close(): Promise<void>;
}

/** One address whose server can be swapped underneath: what a network attacker (or a renewal) does. */
export async function startSwitch(initialPort: number): Promise<SwitchRelay> {
  const state = { target: initialPort, accepted: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    state.accepted++;
    const upstream = net.connect(state.target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get target() {
      return state.target;
    },
    set target(p: number) {
      state.target = p;
    },
    get accepted() {
      return state.accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
