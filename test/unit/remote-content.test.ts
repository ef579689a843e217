/**
 * The remote-content proxy (issue 13 §3): every IANA special-purpose range refused, the address
 * checked where the connection is made (DNS rebinding) and after every redirect, and the limits
 * on fetches at once and on a message's bytes. A real HTTP server on 127.0.0.1 plays the remote
 * site; a resolver of the test's own plays DNS, and tests that need 127.0.0.1 to count as
 * "public" say so with isBlocked.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPECIAL_IPV4, SPECIAL_IPV6, ipv6Bytes } from '../../electron/core/net/special-addresses.js';
import { fetchRemote, isPrivateAddress, type Resolve } from '../../electron/core/remote-content.js';
import { RemoteContentProxy } from '../../electron/core/remote-proxy.js';

const PUBLIC = '93.184.216.34';
/** 127.0.0.1 stands in for a public site; everything else keeps its real verdict. */
const loopbackIsPublic = (ip: string) => ip !== '127.0.0.1' && isPrivateAddress(ip);

function v4Range(address: string, prefix: number): [string, string] {
  const n = address.split('.').reduce((a, b) => a * 256 + Number(b), 0);
  const last = n + 2 ** (32 - prefix) - 1;
  const text = (x: number) => [24, 16, 8, 0].map((s) => Math.floor(x / 2 ** s) % 256).join('.');
  return [text(n), text(last)];
}

function v6Range(address: string, prefix: number): [string, string] {
  const n = ipv6Bytes(address)!.reduce((a, b) => (a << 8n) | BigInt(b), 0n);
  const last = n | ((1n << BigInt(128 - prefix)) - 1n);
  const text = (x: bigint) => x.toString(16).padStart(32, '0').match(/.{4}/g)!.join(':');
  return [text(n), text(last)];
}

/**
 * A DNS server on loopback as an attacker runs one for rebinding: A records with a TTL of 0,
 * the first answer for a name one address and every later one another.
 */
async function rebindingDns(first: string, then: string): Promise<{ port: number; queries: string[]; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (msg, from) => {
    const labels: string[] = [];
    let at = 12;
    while (msg[at]! > 0) {
      labels.push(msg.subarray(at + 1, at + 1 + msg[at]!).toString());
      at += msg[at]! + 1;
    }
    const question = msg.subarray(12, at + 5);
    const isA = msg.readUInt16BE(at + 1) === 1;
    if (isA) queries.push(labels.join('.'));
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180, 2); // a response, recursion available, no error
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(isA ? 1 : 0, 6);
    const address = queries.length <= 1 ? first : then;
    const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, ...address.split('.').map(Number)]);
    socket.send(Buffer.concat([header, question, ...(isA ? [answer] : [])]), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, queries, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

describe('isPrivateAddress', () => {
  it('refuses the first and last address of every IANA special-purpose range', () => {
    const edges = [...SPECIAL_IPV4.flatMap(([a, p]) => v4Range(a, p)), ...SPECIAL_IPV6.flatMap(([a, p]) => v6Range(a, p))];
    expect(edges.length).toBe(2 * (SPECIAL_IPV4.length + SPECIAL_IPV6.length));
    expect(edges.filter((ip) => !isPrivateAddress(ip))).toEqual([]);
    // The ranges the issue found open, by name.
    for (const ip of ['198.18.0.0', '198.19.255.255', '192.0.0.0', '192.0.0.255', '192.0.2.0', '192.0.2.255', '203.0.113.7', '240.0.0.1', '255.255.255.255']) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
  });

  it('judges IPv6 forms that carry an IPv4 address by that address', () => {
    const refused = [
      '::127.0.0.1', // IPv4-compatible
      '::7f00:1',
      '::ffff:127.0.0.1', // IPv4-mapped
      '::ffff:a00:1',
      '::ffff:0:7f00:1', // SIIT IPv4-translated ::ffff:0:0:0/96
      '::ffff:0:808:808',
      '64:ff9b::10.0.0.1', // NAT64 carrying private addresses
      '64:ff9b::a9fe:a9fe',
      '64:ff9b::7f00:1',
      '2002:c0a8:101::1', // 6to4 carrying 192.168.1.1
      '2002:7f00:1::',
      '2002:a00:1:ffff:ffff:ffff:ffff:ffff',
      '64:ff9b:1::808:808', // local-use translation, whatever it carries
      'fe80::1%eth0',
      'not an address',
    ];
    expect(refused.filter((ip) => !isPrivateAddress(ip))).toEqual([]);
    const allowed = [PUBLIC, '8.8.8.8', '198.17.255.255', '198.20.0.0', '192.0.3.0', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', '2606:4700::1111', '2a00:1450:4001::1'];
    expect(allowed.filter(isPrivateAddress)).toEqual([]);
  });
});

describe('fetchRemote against a server on 127.0.0.1', () => {
  let server: http.Server;
  let port: number;
  const hits: string[] = [];
  let onRequest: (req: http.IncomingMessage, res: http.ServerResponse) => void = () => {};

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url?.startsWith('/hop')) {
        res.writeHead(302, { location: decodeURIComponent(req.url.slice('/hop?to='.length)) }).end();
        return;
      }
      onRequest(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const png = (res: http.ServerResponse, bytes = 4) => res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(bytes, 1));

  it('checks the address it connects to: a name that rebinds from public to 127.0.0.1 never reaches it', async () => {
    onRequest = (_req, res) => png(res);
    hits.length = 0;
    // A rebinding DNS server with a zero TTL: the first answer is public, every later one is not.
    let asked = 0;
    const rebinding: Resolve = async () => [{ address: asked++ === 0 ? PUBLIC : '127.0.0.1', family: 4 }];
    expect(await fetchRemote(`http://rebind.test:${port}/pixel.png`, { resolve: rebinding })).toMatchObject({ ok: false, status: 403, reason: expect.stringMatching(/local network/) });
    expect(asked).toBe(2);
    // Both at once: the client would pick.
    const both: Resolve = async () => [
      { address: PUBLIC, family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    expect(await fetchRemote(`http://both.test:${port}/pixel.png`, { resolve: both })).toMatchObject({ ok: false, status: 403 });
    expect(hits).toEqual([]);
  });

  it('refuses a name rebound by a DNS server of our own on loopback (TTL 0: public, then 127.0.0.1)', async () => {
    onRequest = (_req, res) => png(res);
    hits.length = 0;
    const server = await rebindingDns(PUBLIC, '127.0.0.1');
    try {
      const resolver = new dns.promises.Resolver({ timeout: 2_000, tries: 1 });
      resolver.setServers([`127.0.0.1:${server.port}`]);
      const resolve: Resolve = async (host) => (await resolver.resolve4(host)).map((address) => ({ address, family: 4 }));
      expect(await fetchRemote(`http://rebind.test:${port}/pixel.png`, { resolve })).toMatchObject({ ok: false, status: 403 });
      expect(server.queries).toEqual(['rebind.test', 'rebind.test']);
      expect(hits).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('connects where its own resolver says, so the check and the connection see the same address', async () => {
    onRequest = (_req, res) => png(res);
    hits.length = 0;
    const resolve: Resolve = async () => [{ address: '127.0.0.1', family: 4 }];
    // "site.test" exists nowhere but in this resolver: a 200 means the socket used it.
    expect(await fetchRemote(`http://site.test:${port}/a.png`, { resolve, isBlocked: loopbackIsPublic })).toMatchObject({ ok: true, contentType: 'image/png' });
    expect(hits).toEqual(['/a.png']);
  });

  it('checks every redirect hop the same way', async () => {
    onRequest = (_req, res) => png(res);
    hits.length = 0;
    const names: Record<string, string> = { 'site.test': '127.0.0.1', 'intranet.test': '10.0.0.1' };
    let intranetAsked = 0;
    const resolve: Resolve = async (host) => {
      if (host === 'rebind.test') return [{ address: intranetAsked++ === 0 ? PUBLIC : '127.0.0.2', family: 4 }];
      return names[host] ? [{ address: names[host]!, family: 4 }] : [];
    };
    const via = (to: string) => `http://site.test:${port}/hop?to=${encodeURIComponent(to)}`;
    for (const to of ['http://intranet.test/', 'http://169.254.169.254/latest/meta-data/', `http://[::ffff:10.0.0.1]:${port}/`, `http://[64:ff9b::7f00:2]:${port}/`, `http://rebind.test:${port}/x.png`]) {
      expect(await fetchRemote(via(to), { resolve, isBlocked: loopbackIsPublic }), to).toMatchObject({ ok: false, status: 403 });
    }
    expect(hits.every((h) => h.startsWith('/hop'))).toBe(true);
    expect(await fetchRemote(via(`http://site.test:${port}/b.png`), { resolve, isBlocked: loopbackIsPublic })).toMatchObject({ ok: true });
  });

  it('runs at most 6 fetches of one message and 12 in all at once; the rest wait their turn', async () => {
    const open = new Map<string, number>();
    let openAll = 0;
    let most = 0;
    const mostPerMessage = new Map<string, number>();
    const held: (() => void)[] = [];
    let releasing = false;
    onRequest = (req, res) => {
      const message = new URL(req.url!, 'http://x').searchParams.get('m')!;
      open.set(message, (open.get(message) ?? 0) + 1);
      openAll++;
      most = Math.max(most, openAll);
      mostPerMessage.set(message, Math.max(mostPerMessage.get(message) ?? 0, open.get(message)!));
      const answer = () => {
        open.set(message, open.get(message)! - 1);
        openAll--;
        png(res);
      };
      if (releasing) return answer();
      held.push(answer);
      // Everything that may run at once has arrived: from now on answer at once.
      if (held.length === 12) {
        releasing = true;
        for (const h of held.splice(0)) h();
      }
    };
    const proxy = new RemoteContentProxy({ allowPrivateAddresses: true });
    const all = ['a', 'b', 'c'].flatMap((m) => Array.from({ length: 10 }, (_, i) => proxy.fetch(`http://127.0.0.1:${port}/img${i}.png?m=${m}`, m)));
    expect(proxy.active).toBe(12);
    const results = await Promise.all(all);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(most).toBe(12);
    expect(Math.max(...mostPerMessage.values())).toBe(6);
  });

  it("stops a message's remote content at its byte budget, in plain words, and other messages still load", async () => {
    onRequest = (_req, res) => png(res, 400 * 1024);
    const proxy = new RemoteContentProxy({ allowPrivateAddresses: true }, { messageBytes: 1024 * 1024 });
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await proxy.fetch(`http://127.0.0.1:${port}/big${i}.png`, 'heavy'));
    expect(got.map((r) => r.ok)).toEqual([true, true, false, false]);
    expect(got[2]).toMatchObject({ status: 413, reason: "this message's remote content passed 1 MB; the rest is not loaded" });
    expect(await proxy.fetch(`http://127.0.0.1:${port}/other.png`, 'light')).toMatchObject({ ok: true });
    // Opened again after another message: a new viewing, a new allowance.
    expect(await proxy.fetch(`http://127.0.0.1:${port}/big0.png`, 'heavy')).toMatchObject({ ok: true });
  });

  it('refuses a message that asks for more remote items than may wait', async () => {
    const held: (() => void)[] = [];
    let released = false;
    onRequest = (_req, res) => (released ? png(res) : held.push(() => png(res)));
    const proxy = new RemoteContentProxy({ allowPrivateAddresses: true }, { perMessage: 2, waitingPerMessage: 3 });
    const all = Array.from({ length: 7 }, (_, i) => proxy.fetch(`http://127.0.0.1:${port}/many${i}.png`, 'many'));
    const refused = await Promise.all(all.slice(5));
    expect(refused).toEqual(Array(2).fill({ ok: false, status: 429, reason: 'this message asks for too many remote items; the rest is not loaded' }));
    await expect.poll(() => held.length).toBe(2);
    released = true;
    for (const h of held.splice(0)) h();
    expect((await Promise.all(all.slice(0, 5))).every((r) => r.ok)).toBe(true);
  });
});
