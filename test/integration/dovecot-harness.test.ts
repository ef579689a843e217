/**
 * Proves the test harness itself: a private Dovecot (test/support/dovecot.ts) serving messages
 * from the generator (test/support/mailgen.ts), checked with a hand-rolled raw POP3 reader.
 */
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { generateMessage, generateMessages, toCrlf } from '../support/mailgen.js';
import { pidAlive } from '../support/servers.js';

const unavailable = dovecotUnavailable();
// Locally a missing Dovecot skips (with the reason); in CI it must fail instead.
const skip = unavailable !== null && !process.env.CI;
if (skip) console.warn(`dovecot harness skipped: ${unavailable}`);

/** A minimal raw POP3 reader: status lines and dot-terminated multi-line bodies (still dot-stuffed). */
class RawPop3 {
  private buf: Buffer = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private ended: Error | null = null;

  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.wake?.();
    });
    sock.on('error', (e) => {
      this.ended = e;
      this.wake?.();
    });
    sock.on('close', () => {
      this.ended ??= new Error('connection closed');
      this.wake?.();
    });
  }

  static connect(port: number): Promise<RawPop3> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawPop3(s)));
      s.once('error', reject);
    });
  }

  static connectTls(port: number, ca: string): Promise<RawPop3> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => resolve(new RawPop3(s)));
      s.once('error', reject);
    });
  }

  /** Wraps an established connection after STLS. */
  static upgrade(raw: RawPop3, ca: string): Promise<RawPop3> {
    return new Promise((resolve, reject) => {
      raw.sock.removeAllListeners('data');
      const s = tls.connect({ socket: raw.sock, ca, servername: 'localhost' }, () => resolve(new RawPop3(s)));
      s.once('error', reject);
    });
  }

  private async waitFor(find: () => number): Promise<number> {
    for (;;) {
      const i = find();
      if (i >= 0) return i;
      if (this.ended) throw this.ended;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }

  async line(): Promise<string> {
    const i = await this.waitFor(() => this.buf.indexOf('\r\n'));
    const l = this.buf.subarray(0, i).toString('latin1');
    this.buf = this.buf.subarray(i + 2);
    return l;
  }

  async cmd(c: string): Promise<string> {
    this.sock.write(`${c}\r\n`);
    return this.line();
  }

  /** Sends a command expecting "+OK" and a multi-line answer; returns the raw data lines (CRLF, dot-stuffed). */
  async multi(c: string): Promise<Buffer> {
    const status = await this.cmd(c);
    if (!status.startsWith('+OK')) throw new Error(`${c}: ${status}`);
    if (this.buf.length < 3) await this.waitFor(() => (this.buf.length >= 3 ? 0 : -1));
    if (this.buf.subarray(0, 3).equals(Buffer.from('.\r\n'))) {
      this.buf = this.buf.subarray(3);
      return Buffer.alloc(0);
    }
    let from = 0;
    const i = await this.waitFor(() => {
      const j = this.buf.indexOf('\r\n.\r\n', from);
      from = Math.max(0, this.buf.length - 4);
      return j;
    });
    const data = this.buf.subarray(0, i + 2);
    this.buf = this.buf.subarray(i + 5);
    return data;
  }

  close(): void {
    this.sock.destroy();
  }
}

/** RFC 1939 dot-unstuffing: a line starting with "." loses that first ".". */
function unstuff(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf('\r\n', start);
    end = end < 0 ? data.length : end + 2;
    parts.push(data.subarray(data[start] === 0x2e ? start + 1 : start, end));
    start = end;
  }
  return Buffer.concat(parts);
}

const lines = (b: Buffer): string[] => b.toString('latin1').split('\r\n').filter(Boolean);

describe.skipIf(skip)(`private Dovecot harness${skip ? ` (skipped: ${unavailable})` : ''}`, () => {
  let server: DovecotServer | undefined;
  let messages: Buffer[] = [];

  beforeAll(async () => {
    if (unavailable) throw new Error(`Dovecot is required here (CI is set): ${unavailable}`);
    server = await startDovecot();
    messages = [
      generateMessage(101, 4000, { dotLines: true }),
      generateMessage(102, 9000, { eightBit: true }),
      generateMessage(103, 120_000, { attachment: true, dotLines: true }),
      ...generateMessages({ seed: 7, count: 2, mix: 'small' }),
    ];
    expect(messages[0]!.includes('\n.\n')).toBe(true); // a body line that is only "."
    expect(messages.some((m) => m.includes('\n..'))).toBe(true);
    const names = await server.deliver('alice', messages);
    expect(names).toHaveLength(5);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('serves the delivered messages, in order and byte-exact, over plain POP3', async () => {
    const s = server!;
    const c = await RawPop3.connect(s.plainPort);
    try {
      expect(await c.line()).toMatch(/^\+OK /);
      expect(await c.cmd('USER alice')).toMatch(/^\+OK/);
      expect(await c.cmd('PASS alice-pw')).toMatch(/^\+OK/);

      const uidl = lines(await c.multi('UIDL')).map((l) => l.split(' '));
      expect(uidl.map((u) => u[0])).toEqual(['1', '2', '3', '4', '5']);
      expect(new Set(uidl.map((u) => u[1])).size).toBe(5);
      // %g on Maildir = the base file name: UIDL order is the delivery order.
      const box = await s.mailbox('alice');
      expect(box.map((m) => m.name.split(':')[0])).toEqual(uidl.map((u) => u[1]));
      expect(box.map((m) => m.bytes)).toEqual(messages);

      const list = lines(await c.multi('LIST')).map((l) => l.split(' ').map(Number));
      expect(list).toEqual(messages.map((m, i) => [i + 1, toCrlf(m).length]));

      for (let i = 0; i < messages.length; i++) {
        const body = unstuff(await c.multi(`RETR ${i + 1}`));
        expect(body.equals(toCrlf(messages[i]!)), `RETR ${i + 1}`).toBe(true);
      }
      expect(await c.cmd('QUIT')).toMatch(/^\+OK/);
    } finally {
      c.close();
    }
    // pop3_no_flag_updates: RETR did not rename the files (no ":2,S").
    expect((await s.mailbox('alice')).every((m) => m.name.endsWith(':2,'))).toBe(true);
  });

  it('serves implicit TLS on tlsPort and STLS on plainPort with the generated certificate', async () => {
    const s = server!;
    const total = messages.reduce((n, m) => n + toCrlf(m).length, 0);

    const t = await RawPop3.connectTls(s.tlsPort, s.caPem);
    try {
      const sock = t.sock as tls.TLSSocket;
      expect(sock.authorized).toBe(true);
      expect(sock.getPeerCertificate().fingerprint256).toBe(s.fingerprint256);
      expect(await t.line()).toMatch(/^\+OK /);
      expect(await t.cmd('USER alice')).toMatch(/^\+OK/);
      expect(await t.cmd('PASS alice-pw')).toMatch(/^\+OK/);
      expect(await t.cmd('STAT')).toBe(`+OK 5 ${total}`);
      expect(await t.cmd('QUIT')).toMatch(/^\+OK/);
    } finally {
      t.close();
    }

    const p = await RawPop3.connect(s.plainPort);
    try {
      expect(await p.line()).toMatch(/^\+OK /);
      expect(lines(await p.multi('CAPA'))).toContain('STLS');
      expect(await p.cmd('STLS')).toMatch(/^\+OK/);
      const u = await RawPop3.upgrade(p, s.caPem);
      expect((u.sock as tls.TLSSocket).authorized).toBe(true);
      expect(await u.cmd('USER alice')).toMatch(/^\+OK/);
      expect(await u.cmd('PASS alice-pw')).toMatch(/^\+OK/);
      expect(await u.cmd('STAT')).toBe(`+OK 5 ${total}`);
      expect(await u.cmd('QUIT')).toMatch(/^\+OK/);
      u.close();
    } finally {
      p.close();
    }
  });

  it('appends later deliveries after existing ones, and clear() empties the mailbox', async () => {
    const s = server!;
    const more = generateMessages({ seed: 8, count: 3, mix: 'small' });
    const names = await s.deliver('alice', more);
    const c = await RawPop3.connect(s.plainPort);
    try {
      await c.line();
      await c.cmd('USER alice');
      expect(await c.cmd('PASS alice-pw')).toMatch(/^\+OK/);
      const uidl = lines(await c.multi('UIDL')).map((l) => l.split(' ')[1]);
      expect(uidl.slice(5)).toEqual(names.map((n) => n.split(':')[0]));
      const body = unstuff(await c.multi('RETR 8'));
      expect(body.equals(toCrlf(more[2]!))).toBe(true);
      await c.cmd('QUIT');
    } finally {
      c.close();
    }
    await s.clear('alice');
    expect(await s.mailbox('alice')).toEqual([]);
    const c2 = await RawPop3.connect(s.plainPort);
    try {
      await c2.line();
      await c2.cmd('USER alice');
      expect(await c2.cmd('PASS alice-pw')).toMatch(/^\+OK/);
      expect(await c2.cmd('STAT')).toBe('+OK 0 0');
      await c2.cmd('QUIT');
    } finally {
      c2.close();
    }
  });

  it('stop() leaves no process, no listener and no temp dir behind', async () => {
    const s = server!;
    const pid = s.masterPid;
    expect(pidAlive(pid)).toBe(true);
    expect(Number(readFileSync(`${s.dir}/run/master.pid`, 'utf8'))).toBe(pid);
    await s.stop();
    await s.stop(); // idempotent
    expect(pidAlive(pid)).toBe(false);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(existsSync(s.dir)).toBe(false);
    for (const port of [s.plainPort, s.tlsPort]) {
      await expect(RawPop3.connect(port)).rejects.toThrow(/ECONNREFUSED/);
    }
  });
});
