/**
 * The POP3 client against a real Dovecot on loopback: every transport, every mechanism Dovecot
 * offers, byte-exact downloads, and what DELE does to the mailbox on the server's disk.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pop3Client, Pop3Error, type AuthMechanism, type Pop3ConnectOptions } from '../../electron/core/pop3/index.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { generateMessage, generateMessages, toCrlf } from '../support/mailgen.js';
import { readAll } from '../support/streams.js';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI) throw new Error(`Dovecot is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the Dovecot suite: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Messages with the corners that matter: dot lines, 8-bit bytes, a large one. */
function fixtureMessages(): Buffer[] {
  const edge = Buffer.from(
    [
      'From: =?UTF-8?B?w4lsb2RpZQ==?= <elodie@example.org>',
      'To: alice@example.org',
      'Subject: dots',
      'Message-ID: <dots@example.org>',
      '',
      '.',
      '..',
      '.leading dot',
      'caf\u00e9 8-bit \u2713',
      '',
    ].join('\n'),
    'utf8',
  );
  return [edge, ...generateMessages({ seed: 42, count: 8, mix: 'small' }), generateMessage(7, 3 * 1024 * 1024, { attachment: true })];
}

suite('POP3 client against Dovecot', () => {
  let dc: DovecotServer;
  const messages = fixtureMessages();
  const served = messages.map(toCrlf);

  beforeAll(async () => {
    dc = await startDovecot({
      users: [
        { name: 'alice', password: 'alice-pw' },
        { name: 'bob', password: 'bob-pw' },
        { name: 'carol', password: 'carol-pw' },
      ],
    });
    await dc.deliver('alice', messages);
  });

  afterAll(async () => {
    await dc?.stop();
  });

  const opts = (extra: Partial<Pop3ConnectOptions> = {}): Pop3ConnectOptions => ({
    host: '127.0.0.1',
    port: dc.tlsPort,
    security: 'tls',
    tls: { ca: dc.caPem, servername: 'localhost' },
    timeouts: { connectMs: 5000, greetingMs: 5000, idleMs: 10_000 },
    ...extra,
  });

  describe('transports', () => {
    it('implicit TLS with the certificate checked against the host name', async () => {
      const pop = await Pop3Client.connect(opts());
      expect(pop.secure).toBe(true);
      expect(pop.fingerprint256).toBe(dc.fingerprint256);
      await pop.login({ user: 'alice', password: 'alice-pw' });
      expect((await pop.stat()).count).toBe(messages.length);
      await pop.quit();
    });

    it('STLS on the plain port, then capabilities read again over TLS', async () => {
      const pop = await Pop3Client.connect(opts({ port: dc.plainPort, security: 'starttls' }));
      expect(pop.secure).toBe(true);
      expect(pop.capabilities?.stls).toBe(false); // Dovecot no longer offers STLS once secure
      await pop.login({ user: 'alice', password: 'alice-pw' });
      expect((await pop.stat()).count).toBe(messages.length);
      await pop.quit();
    });

    it('plain, without TLS: no login without the insecure opt-in; with it, challenge-response that never sends the password', async () => {
      const refused = await Pop3Client.connect(opts({ port: dc.plainPort, security: 'plain', tls: {} }));
      const err = await refused.login({ user: 'alice', password: 'alice-pw' }).catch((e: unknown) => e);
      expect((err as Pop3Error).code).toBe('insecure');
      refused.close();
      const lines: string[] = [];
      const pop = await Pop3Client.connect(opts({ port: dc.plainPort, security: 'plain', tls: {}, log: (d, l) => lines.push(`${d} ${l}`) }));
      expect(pop.secure).toBe(false);
      await pop.login({ user: 'alice', password: 'alice-pw', allowInsecure: true });
      expect(lines).toContain('C AUTH CRAM-MD5');
      expect(lines.join('\n')).not.toContain('alice-pw');
      await pop.quit();
    });

    it('refuses an untrusted certificate and reports its fingerprint; accepts it pinned', async () => {
      const err = await Pop3Client.connect(opts({ tls: {} })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Pop3Error);
      expect((err as Pop3Error).code).toBe('certificate');
      expect((err as Pop3Error).fingerprint256).toBe(dc.fingerprint256);

      const pop = await Pop3Client.connect(opts({ tls: { pinnedFingerprint256: dc.fingerprint256 } }));
      await pop.login({ user: 'alice', password: 'alice-pw' });
      await pop.quit();
    });
  });

  describe('authentication', () => {
    for (const mechanism of ['USER', 'PLAIN', 'LOGIN', 'CRAM-MD5', 'APOP'] as AuthMechanism[]) {
      it(`logs in with ${mechanism}`, async () => {
        const lines: string[] = [];
        const pop = await Pop3Client.connect(opts({ log: (d, l) => lines.push(`${d} ${l}`) }));
        await pop.login({ user: 'alice', password: 'alice-pw', mechanism });
        expect(lines.some((l) => l.startsWith(`C ${mechanism === 'USER' ? 'USER' : mechanism === 'APOP' ? 'APOP' : `AUTH ${mechanism}`}`))).toBe(true);
        const trace = lines.join('\n');
        expect(trace).not.toContain('alice-pw');
        // Nor in the forms the mechanisms encode it in.
        expect(trace).not.toContain(Buffer.from('alice-pw').toString('base64'));
        expect(trace).not.toContain(Buffer.from('\0alice\0alice-pw').toString('base64'));
        expect((await pop.stat()).count).toBe(messages.length);
        await pop.quit();
      });
    }

    it('picks the strongest mechanism by itself, and reports a wrong password as auth', async () => {
      const pop = await Pop3Client.connect(opts());
      const err = await pop.login({ user: 'alice', password: 'wrong' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Pop3Error);
      expect((err as Pop3Error).code).toBe('auth');
      pop.close();
    });

    it('re-reads CAPA after login: PIPELINING is used', async () => {
      const pop = await Pop3Client.connect(opts());
      await pop.login({ user: 'alice', password: 'alice-pw' });
      expect(pop.capabilities?.pipelining).toBe(true);
      expect(pop.pipelining).toBe(true);
      await pop.quit();
    });
  });

  describe('commands', () => {
    let pop: Pop3Client;
    beforeAll(async () => {
      pop = await Pop3Client.connect(opts());
      await pop.login({ user: 'alice', password: 'alice-pw' });
    });
    afterAll(async () => {
      await pop?.quit();
    });

    it('STAT, LIST and UIDL describe the mailbox as placed', async () => {
      const total = served.reduce((s, m) => s + m.length, 0);
      expect(await pop.stat()).toEqual({ count: messages.length, size: total });
      expect(await pop.list()).toEqual(served.map((m, i) => ({ id: i + 1, size: m.length })));
      expect(await pop.listOne(2)).toEqual({ id: 2, size: served[1]!.length });
      const uids = await pop.uidl();
      expect(uids.map((u) => u.id)).toEqual(messages.map((_, i) => i + 1));
      expect(new Set(uids.map((u) => u.uid)).size).toBe(messages.length);
      expect(await pop.uidlOne(3)).toEqual(uids[2]);
      await pop.noop();
    });

    it('RETR is byte-exact: LF on disk, CRLF served, dots unstuffed', async () => {
      for (let i = 0; i < served.length; i++) {
        const body = await readAll(await pop.retr(i + 1));
        expect(sha256(body), `message ${i + 1}`).toBe(sha256(served[i]!));
      }
    });

    it('TOP n 0 gives the header and the blank line; TOP n 2 two body lines', async () => {
      const header = served[0]!.subarray(0, served[0]!.indexOf('\r\n\r\n') + 4);
      expect((await readAll(await pop.top(1, 0))).toString()).toBe(header.toString());
      expect((await readAll(await pop.top(1, 2))).toString()).toBe(`${header.toString()}.\r\n..\r\n`);
    });

    it('a RETR of a message that does not exist is a command error, and the session goes on', async () => {
      const err = await pop.retr(999).catch((e: unknown) => e);
      expect((err as Pop3Error).code).toBe('command');
      await pop.noop();
    });
  });

  it('pipelined and unpipelined downloads give identical bytes', async () => {
    const digests: string[][] = [];
    for (const pipelining of [true, false]) {
      const pop = await Pop3Client.connect(opts({ pipelining, pipelineWindow: 4 }));
      await pop.login({ user: 'alice', password: 'alice-pw' });
      expect(pop.pipelining).toBe(pipelining);
      const got: string[] = [];
      for await (const m of pop.retrieveMany(messages.map((_, i) => i + 1))) got.push(sha256(await readAll(m.body!)));
      digests.push(got);
      await pop.quit();
    }
    expect(digests[0]).toEqual(served.map(sha256));
    expect(digests[1]).toEqual(digests[0]);
  });

  it('DELE then QUIT removes the messages from the server', async () => {
    const mine = generateMessages({ seed: 3, count: 5, mix: 'small' });
    await dc.deliver('bob', mine);
    const pop = await Pop3Client.connect(opts());
    await pop.login({ user: 'bob', password: 'bob-pw' });
    const result = await pop.deleteMany([1, 3, 5]);
    expect(result).toEqual({ deleted: [1, 3, 5], failed: [] });
    await pop.quit();
    const left = await dc.mailbox('bob');
    expect(left.map((m) => sha256(m.bytes))).toEqual([mine[1]!, mine[3]!].map(sha256));
  });

  it('DELE then a dropped connection removes nothing', async () => {
    const mine = generateMessages({ seed: 4, count: 3, mix: 'small' });
    await dc.deliver('carol', mine);
    const pop = await Pop3Client.connect(opts());
    await pop.login({ user: 'carol', password: 'carol-pw' });
    await pop.deleteMany([1, 2, 3]);
    pop.close(); // no QUIT
    // Dovecot notices the drop; the mailbox must be whole afterwards.
    const again = await Pop3Client.connect(opts());
    await again.login({ user: 'carol', password: 'carol-pw' });
    expect((await again.stat()).count).toBe(3);
    await again.quit();
    expect((await dc.mailbox('carol')).map((m) => sha256(m.bytes))).toEqual(mine.map(sha256));
  });
});
