/**
 * A TCP fault proxy of our own (loopback only) between a client and a real server: it forwards
 * bytes both ways and, on command, resets the connection at byte N, stalls for T ms, truncates
 * (closes cleanly) at byte N, adds latency to every chunk, or throttles bandwidth. Byte counts
 * are per connection and per direction ('down': server → client, 'up': client → server).
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export type Direction = 'down' | 'up';

export interface FaultPlan {
  /** Destroy both sockets (RST) once this many bytes went this way. */
  reset?: { dir: Direction; at: number };
  /** Hold this direction for `ms` once `at` bytes went this way. */
  stall?: { dir: Direction; at: number; ms: number };
  /** Forward exactly `at` bytes this way, then end both sockets cleanly (FIN). */
  truncate?: { dir: Direction; at: number };
  /** Added to every chunk, both ways (a round trip pays it twice). */
  latencyMs?: number;
  /** Both ways. */
  bytesPerSecond?: number;
}

export interface FaultProxy {
  port: number;
  /** The plan for connections opened from now on (null: forward faithfully). */
  setPlan(plan: FaultPlan | null): void;
  /** Bytes each way on the last connection (to size the next plan). */
  lastBytes(): { down: number; up: number };
  /** The bytes forwarded each way on the last connection (its first 4 MB), to find where each protocol step starts. */
  lastTranscript(): { down: Buffer; up: Buffer };
  /** How many connections were opened. */
  connections(): number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  if (target.host !== '127.0.0.1' && target.host !== '::1') throw new Error('the fault proxy forwards to loopback only');
  let plan: FaultPlan | null = null;
  let opened = 0;
  let last = { down: 0, up: 0 };
  let lastChunks: { down: Buffer[]; up: Buffer[] } = { down: [], up: [] };
  const TRANSCRIPT_LIMIT = 4 * 1024 * 1024;
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    opened++;
    const p = plan;
    const counts = { down: 0, up: 0 };
    last = counts;
    const chunks: { down: Buffer[]; up: Buffer[] } = { down: [], up: [] };
    lastChunks = chunks;
    const keep = (dir: Direction, b: Buffer) => {
      if (b.length && counts[dir] <= TRANSCRIPT_LIMIT) chunks[dir].push(Buffer.from(b));
    };
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    /** Set once a reset or truncation fired: nothing more goes either way. */
    let dead = false;
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', kill);
    upstream.on('error', kill);
    // The client gone: the server connection goes too. The server gone: its 'end' reaches the
    // client after the bytes still queued (below), or a fault decides.
    client.on('close', () => {
      sockets.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => sockets.delete(upstream));

    const pipe = (from: net.Socket, to: net.Socket, dir: Direction) => {
      // Chunks go through one promise chain per direction, so delays keep them in order.
      let chain = Promise.resolve();
      let stalled = false;
      // Latency delays each chunk from the moment it arrived (chunks in flight overlap, as on a
      // real link); the source is paused only when much is queued, never per chunk.
      let queued = 0;
      const HIGH_WATER = 1024 * 1024;
      from.on('data', (chunk: Buffer) => {
        const arrived = performance.now();
        queued += chunk.length;
        if (queued > HIGH_WATER) from.pause();
        chain = chain.then(async () => {
          queued -= chunk.length;
          if (queued <= HIGH_WATER && from.isPaused() && !from.destroyed) from.resume();
          if (to.destroyed || dead) return;
          let data = chunk;
          const before = counts[dir];
          const after = before + data.length;
          if (p?.latencyMs) {
            const wait = arrived + p.latencyMs - performance.now();
            if (wait > 0) await sleep(wait);
          }
          if (p?.bytesPerSecond) await sleep((data.length / p.bytesPerSecond) * 1000);
          if (p?.stall && p.stall.dir === dir && !stalled && after >= p.stall.at) {
            stalled = true;
            const head = data.subarray(0, Math.max(0, p.stall.at - before));
            keep(dir, head);
            if (head.length) to.write(head);
            counts[dir] += head.length;
            data = data.subarray(head.length);
            await sleep(p.stall.ms);
            if (to.destroyed) return;
          }
          if (p?.truncate && p.truncate.dir === dir && counts[dir] + data.length >= p.truncate.at) {
            const head = data.subarray(0, Math.max(0, p.truncate.at - counts[dir]));
            keep(dir, head);
            counts[dir] += head.length;
            dead = true;
            to.end(head);
            (dir === 'down' ? client : upstream).end();
            from.destroy();
            return;
          }
          if (p?.reset && p.reset.dir === dir && counts[dir] + data.length >= p.reset.at) {
            const head = data.subarray(0, Math.max(0, p.reset.at - counts[dir]));
            keep(dir, head);
            counts[dir] += head.length;
            dead = true;
            // Let the head reach the kernel, then drop both ends hard.
            const rst = () => {
              client.resetAndDestroy();
              upstream.resetAndDestroy();
            };
            if (head.length) to.write(head, () => setImmediate(rst));
            else rst();
            return;
          }
          keep(dir, data);
          counts[dir] += data.length;
          if (!to.write(data)) await new Promise((r) => to.once('drain', r));
        });
      });
      from.on('end', () => void chain.then(() => !to.destroyed && !dead && to.end()));
    };
    pipe(upstream, client, 'down');
    pipe(client, upstream, 'up');
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    setPlan: (next) => {
      plan = next;
    },
    lastBytes: () => ({ ...last }),
    lastTranscript: () => ({ down: Buffer.concat(lastChunks.down), up: Buffer.concat(lastChunks.up) }),
    connections: () => opened,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
