/**
 * The POP3 client against our own scriptable fault server (loopback): everything a real server
 * does not do on purpose. Each test asserts what a user would notice: the bytes delivered, the
 * typed error, that nothing hangs, and what the server received.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Pop3Client, Pop3Error, type Pop3ConnectOptions } from '../../electron/core/pop3/index.js';
import {
  FAULT_CERT,
  FAULT_FINGERPRINT,
  dotStuff,
  miniPop3,
  sleep,
  startFaultServer,
  type FaultConn,
  type FaultServer,
} from '../support/fault-server.js';
import { readAll } from '../support/streams.js';

let server: FaultServer | undefined;
afterEach(async () => {
  await server?.close();
  expect(server?.errors ?? []).toEqual([]);
  server = undefined;
});

async function serve(script: (conn: FaultConn, i: number) => Promise<void>, opts: { tls?: boolean } = {}) {
  server = await startFaultServer(script, opts);
  return server;
}

function connect(extra: Partial<Pop3ConnectOptions> = {}): Promise<Pop3Client> {
  return Pop3Client.connect({
    host: '127.0.0.1',
    port: server!.port,
    security: 'plain',
    timeouts: { connectMs: 2000, greetingMs: 2000, idleMs: 2000 },
    ...extra,
  });
}

async function loggedIn(extra: Partial<Pop3ConnectOptions> = {}): Promise<Pop3Client> {
  const pop = await connect(extra);
  await pop.login({ user: 'alice', password: 'pw', allowInsecure: true });
  return pop;
}

async function expectError(p: Promise<unknown>, code: string): Promise<Pop3Error> {
  const err = await p.then(
    () => {
      throw new Error(`expected a ${code} error, got success`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Pop3Error);
  expect((err as Pop3Error).code).toBe(code);
  return err as Pop3Error;
}

const MSG = Buffer.from('From: a@example.org\r\nSubject: hi\r\n\r\nHello\r\n.\r\n..two\r\nend\r\n');

describe('POP3 client against the fault server', () => {
  it('reads replies whose terminator is split at every offset', async () => {
    const wire = Buffer.concat([Buffer.from('+OK\r\n'), dotStuff(MSG), Buffer.from('.\r\n')]);
    await serve((conn) =>
      miniPop3(conn, {
        messages: [MSG],
        override: async (c, verb, args) => {
          if (verb !== 'RETR') return false;
          const cut = Number(args[0]) - 1; // message number k is served split at offset k-1
          await c.write(wire.subarray(0, cut));
          await sleep(2);
          await c.write(wire.subarray(cut));
          return true;
        },
      }),
    );
    const pop = await loggedIn({ pipelining: false });
    for (let cut = 0; cut <= wire.length; cut++) {
      // RETR n where n-1 is the cut offset; the server answers every n with the same message.
      const body = await readAll(await pop.retr(cut + 1));
      expect(body.equals(MSG), `split at ${cut}`).toBe(true);
    }
    await pop.quit();
  });

  it('works with a bare-LF server', async () => {
    await serve(async (conn) => {
      await conn.write('+OK lf server\n');
      for (;;) {
        const line = await conn.readLine();
        if (line === null) return;
        if (line === 'CAPA') await conn.write('+OK\nUSER\nUIDL\n.\n');
        else if (line.startsWith('USER') || line.startsWith('PASS')) await conn.write('+OK\n');
        else if (line === 'UIDL') await conn.write('+OK\n1 abc\n2 def\n.\n');
        else if (line === 'RETR 1') await conn.write('+OK\nSubject: x\n\n..dot\nbody\n.\n');
        else if (line === 'QUIT') {
          await conn.write('+OK\n');
          return;
        }
      }
    });
    const pop = await loggedIn();
    expect(await pop.uidl()).toEqual([
      { id: 1, uid: 'abc' },
      { id: 2, uid: 'def' },
    ]);
    expect((await readAll(await pop.retr(1))).toString()).toBe('Subject: x\n\n.dot\nbody\n');
    await pop.quit();
  });

  it('reads a listing split at every offset, 8-bit UIDL bytes and all, the same as in one piece', async () => {
    // Latin-1 on the wire: é (0xe9) and ÿ (0xff) stay one byte each, so a cut can fall inside nothing but a line.
    const listing = Buffer.from('+OK\r\n1 abc\r\n2 d\xe9f-\xff\r\n3 x.y\n4 last\r\n.\r\n', 'latin1');
    await serve(async (conn) => {
      await conn.write('+OK ready\r\n');
      let cut = 0;
      for (;;) {
        const line = await conn.readLine();
        if (line === null) return;
        if (line === 'CAPA') await conn.write('+OK\r\nUSER\r\nUIDL\r\n.\r\n');
        else if (line.startsWith('USER') || line.startsWith('PASS')) await conn.write('+OK\r\n');
        else if (line === 'UIDL') {
          // Each UIDL is answered in two writes, cut one byte further on than the last.
          await conn.write(listing.subarray(0, cut));
          await sleep(2);
          await conn.write(listing.subarray(cut++));
        } else if (line === 'QUIT') {
          await conn.write('+OK\r\n');
          return;
        }
      }
    });
    const pop = await loggedIn();
    const expected = [
      { id: 1, uid: 'abc' },
      { id: 2, uid: 'd\u00e9f-\u00ff' },
      { id: 3, uid: 'x.y' },
      { id: 4, uid: 'last' },
    ];
    for (let cut = 0; cut <= listing.length; cut++) expect(await pop.uidl(), `split at ${cut}`).toEqual(expected);
    await pop.quit();
  });

  it('turns an -ERR greeting into a clean typed error', async () => {
    await serve(async (conn) => void (await conn.send('-ERR [SYS/PERM] mailbox service disabled')));
    const err = await expectError(connect(), 'sys-perm');
    expect(err.respCode).toBe('SYS/PERM');
    expect(err.serverText).toBe('mailbox service disabled');
    await serve(async (conn) => void (await conn.send('-ERR too many connections')));
    await expectError(connect(), 'sys-temp');
  });

  for (const [code, expected] of [
    ['[IN-USE] maildrop locked', 'in-use'],
    ['[LOGIN-DELAY] wait 15 minutes', 'login-delay'],
    ['[SYS/TEMP] backend down', 'sys-temp'],
    ['[SYS/PERM] account disabled', 'sys-perm'],
    ['[AUTH] bad password', 'auth'],
    ['wrong password', 'auth'],
    ['[SYS/SOMETHING-NEW] unknown sub-level', 'auth'],
    ['[X-VENDOR] unknown code', 'auth'],
  ] as const) {
    it(`maps "-ERR ${code}" at login to ${expected}, keeping the response code`, async () => {
      await serve((conn) =>
        miniPop3(conn, {
          capa: ['USER', 'RESP-CODES'], // no AUTH-RESP-CODE: a bare -ERR at PASS means the password
          override: async (c, verb) => (verb === 'PASS' ? (await c.send(`-ERR ${code}`), true) : false),
        }),
      );
      const pop = await connect();
      const err = await expectError(pop.login({ user: 'alice', password: 'pw', allowInsecure: true }), expected);
      const m = /^\[([^\]]+)\]/.exec(code);
      expect(err.respCode).toBe(m ? m[1] : undefined);
      expect(err.message).not.toContain('pw');
      pop.close();
    });
  }

  it('uses LIST sizes only as hints: a lying LIST does not cut or pad a message', async () => {
    const big = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), Buffer.alloc(100_000, 'x'), Buffer.from('\r\n')]);
    await serve((conn) => miniPop3(conn, { messages: [MSG, big], listSizes: [3, 10] }));
    const pop = await loggedIn();
    expect(await pop.list()).toEqual([
      { id: 1, size: 3 },
      { id: 2, size: 10 },
    ]);
    expect((await readAll(await pop.retr(1))).equals(MSG)).toBe(true);
    expect((await readAll(await pop.retr(2))).equals(big)).toBe(true);
    await pop.quit();
  });

  it('keeps a 200-character UIDL intact', async () => {
    const uid = 'U'.repeat(100) + '!~#' + 'z'.repeat(97);
    await serve((conn) => miniPop3(conn, { messages: [MSG], uids: [uid] }));
    const pop = await loggedIn();
    expect(await pop.uidl()).toEqual([{ id: 1, uid }]);
    expect(await pop.uidlOne(1)).toEqual({ id: 1, uid });
    await pop.quit();
  });

  it('fails fast with bounded memory on a 10 MB status line', async () => {
    let sent = 0;
    await serve(async (conn) => {
      await conn.write('+OK ');
      const block = Buffer.alloc(64 * 1024, 'A');
      while (sent < 10 * 1024 * 1024 && (await conn.write(block))) sent += block.length;
    });
    const before = process.memoryUsage().rss;
    const started = Date.now();
    await expectError(connect(), 'protocol');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(process.memoryUsage().rss - before).toBeLessThan(32 * 1024 * 1024);
    await sleep(50);
    expect(sent).toBeLessThan(10 * 1024 * 1024); // we hung up long before the end
  });

  it('fails a flooding listing line and a flooding listing', async () => {
    await serve((conn) =>
      miniPop3(conn, {
        override: async (c, verb) => {
          if (verb !== 'UIDL') return false;
          await c.write('+OK\r\n1 ');
          const block = Buffer.alloc(64 * 1024, 'u');
          for (let i = 0; i < 64 && !c.closed; i++) await c.write(block);
          return true;
        },
      }),
    );
    const pop = await loggedIn();
    const err = await expectError(pop.uidl(), 'protocol');
    expect(err.message).toMatch(/listing line/);
  });

  it('times out on a multi-line reply that never ends', async () => {
    await serve((conn) =>
      miniPop3(conn, {
        messages: [MSG],
        override: async (c, verb) => {
          if (verb !== 'RETR') return false;
          await c.write('+OK\r\nSubject: never ending\r\n\r\nfirst line\r\n');
          await c.waitClosed();
          return true;
        },
      }),
    );
    const pop = await loggedIn({ timeouts: { idleMs: 300 } });
    const started = Date.now();
    const body = await pop.retr(1);
    const err = await expectError(readAll(body), 'timeout');
    expect(err.command).toBe('RETR 1');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports a drop in the middle of RETR as a network error on the body stream', async () => {
    await serve((conn) =>
      miniPop3(conn, {
        messages: [MSG],
        override: async (c, verb) => {
          if (verb !== 'RETR') return false;
          await c.write('+OK\r\nSubject: cut\r\n\r\nhalf a mess');
          c.reset();
          return true;
        },
      }),
    );
    const pop = await loggedIn();
    const body = await pop.retr(1);
    const err = await expectError(readAll(body), 'network');
    expect(err.message).toMatch(/middle of a message/);
    // Everything after is refused at once, not hung.
    await expectError(pop.noop(), 'network');
  });

  it('never reads bytes injected after the STLS +OK as a reply', async () => {
    await serve((conn) =>
      miniPop3(conn, {
        capa: ['USER', 'STLS', 'UIDL'],
        override: async (c, verb) => {
          if (verb !== 'STLS') return false;
          // A man in the middle answers CAPA in advance, in clear, in the same packet.
          await c.write('+OK Begin TLS\r\n+OK\r\nUSER\r\nSASL INJECTED\r\n.\r\n');
          await c.startTls();
          return true;
        },
      }),
    );
    const pop = await connect({ security: 'starttls', tls: { ca: FAULT_CERT, servername: 'localhost' } });
    expect(pop.secure).toBe(true);
    expect(pop.capabilities?.sasl).toEqual([]);
    expect(pop.capabilities?.lines).toEqual(['USER', 'STLS', 'UIDL']);
    // The CAPA after STLS is a new command, answered over TLS.
    expect(server!.connections[0]!.received.filter((l) => l === 'CAPA')).toHaveLength(2);
    await pop.login({ user: 'alice', password: 'pw' });
    await pop.quit();
  });

  it('refuses to go on when STLS is refused', async () => {
    await serve((conn) => miniPop3(conn, { capa: ['USER'] }));
    const err = await expectError(connect({ security: 'starttls', tls: { ca: FAULT_CERT } }), 'tls');
    expect(err.message).toMatch(/refused STLS/);
    expect(server!.connections[0]!.received).not.toContain('USER alice');
  });

  it('reports a wrong password as auth when the server hangs up right after', async () => {
    await serve((conn) => miniPop3(conn, { closeAfterWrongPassword: true }));
    const pop = await connect();
    const err = await expectError(pop.login({ user: 'alice', password: 'nope', allowInsecure: true }), 'auth');
    expect(err.respCode).toBe('AUTH');
    expect(err.message).not.toContain('nope');
  });

  it('never sends a password in clear on a plain connection unless allowed', async () => {
    await serve((conn) => miniPop3(conn, { capa: ['USER', 'SASL PLAIN LOGIN'] }));
    const pop = await connect();
    await expectError(pop.login({ user: 'alice', password: 'pw' }), 'insecure');
    pop.close();
    await sleep(20);
    expect(server!.connections[0]!.received.some((l) => /^(USER|PASS|AUTH)/.test(l))).toBe(false);
  });

  it('refuses user names that would inject a command', async () => {
    await serve((conn) => miniPop3(conn, { capa: ['USER'] }));
    const pop = await connect();
    await expectError(pop.login({ user: 'alice\r\nDELE 1', password: 'pw', allowInsecure: true }), 'protocol');
    pop.close();
    await sleep(20);
    expect(server!.connections[0]!.received).not.toContain('DELE 1');
  });

  it('enables UTF8 when offered (RFC 6856), before login, so a UTF-8 user name goes through', async () => {
    await serve((conn) => miniPop3(conn, { capa: ['USER', 'UTF8'], user: 'jürgen' }));
    const pop = await connect();
    await pop.login({ user: 'jürgen', password: 'pw', allowInsecure: true });
    const received = server!.connections[0]!.received;
    expect(received.indexOf('UTF8')).toBeGreaterThan(-1);
    expect(received.indexOf('UTF8')).toBeLessThan(received.indexOf('USER jürgen'));
    await pop.quit();
  });

  it('rejects an unsolicited reply as a protocol error', async () => {
    await serve(async (conn) => {
      await conn.send('+OK hello');
      await conn.send('+OK nobody asked');
      await conn.waitClosed();
    });
    // The extra line arrives while CAPA is outstanding and is taken as CAPA's answer, whose
    // body then never ends: the idle timeout, not a hang, ends it.
    await expect(connect({ timeouts: { idleMs: 300 } })).rejects.toBeInstanceOf(Pop3Error);
  });

  it('pipelines RETR batches within the window when offered, and not when switched off', async () => {
    const messages = Array.from({ length: 20 }, (_, i) => Buffer.from(`Subject: m${i}\r\n\r\nbody ${i}\r\n`));
    for (const pipelining of [true, false]) {
      await serve((conn) => miniPop3(conn, { messages }));
      const pop = await loggedIn({ pipelining, pipelineWindow: 8 });
      expect(pop.pipelining).toBe(pipelining);
      const got: Buffer[] = [];
      for await (const m of pop.retrieveMany(messages.map((_, i) => i + 1))) got.push(await readAll(m.body!));
      expect(got.map((b) => b.toString())).toEqual(messages.map((b) => b.toString()));
      await pop.quit();
      const conn = server!.connections[0]!;
      const maxPerRead = Math.max(...conn.commandsPerRead);
      if (pipelining) {
        expect(maxPerRead).toBeGreaterThan(1);
        expect(maxPerRead).toBeLessThanOrEqual(8);
      } else {
        expect(maxPerRead).toBe(1);
      }
      await server!.close();
    }
  });

  it('holds pipelined RETRs back while half the window is unanswered, then sends them together, and delivers every body in order', async () => {
    const messages = Array.from({ length: 200 }, (_, i) => Buffer.from(`Subject: m${i}\r\n\r\nbody ${i}\r\n`));
    // What the server sees, not the client's write() calls: at each read that brings RETRs, how
    // many earlier ones it had not answered yet, and how many came. The server answers one RETR
    // a turn, so replies reach the client one at a time, as from a real server over a network.
    // Answered at once, they came 30 to a read under load, the client emptied its window in one
    // go and then wrote each refill alone (session 15: 40 writes at load 13-20, ~12 when quiet).
    const arrivals: { unanswered: number; came: number }[] = [];
    let received = 0;
    let answered = 0;
    await serve((conn) => {
      conn.socket.setNoDelay(true);
      let partial = '';
      conn.socket.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('latin1')).split('\n');
        partial = lines.pop()!;
        const came = lines.filter((l) => l.startsWith('RETR ')).length;
        if (came === 0) return;
        arrivals.push({ unanswered: received - answered, came });
        received += came;
      });
      return miniPop3(conn, {
        messages,
        override: async (c, verb, args) => {
          if (verb !== 'RETR') return false;
          await new Promise((r) => setImmediate(r));
          // Counted as it is handed to the socket: the client cannot have read a reply not counted here.
          answered++;
          await c.write(Buffer.concat([Buffer.from('+OK message follows\r\n'), dotStuff(messages[Number(args[0]) - 1]!), Buffer.from('.\r\n')]));
          return true;
        },
      });
    });
    const pop = await loggedIn({ pipelineWindow: 32 });
    const got: Buffer[] = [];
    for await (const m of pop.retrieveMany(messages.map((_, i) => i + 1))) got.push(await readAll(m.body!));
    expect(got.map((b) => b.toString())).toEqual(messages.map((b) => b.toString()));
    await pop.quit();
    expect(received).toBe(200);
    const said = JSON.stringify(arrivals);
    // The first window in one go; after it none while 16 (half the window) or more are unanswered,
    // then those that fit, several at once; never more than 32 outstanding. Sent whenever one
    // fits (before 7167ada), RETRs came one at a time with 31 unanswered.
    expect(arrivals[0]).toEqual({ unanswered: 0, came: 32 });
    for (const a of arrivals.slice(1)) expect(a.unanswered, said).toBeLessThan(16);
    for (const a of arrivals.slice(1, -1)) expect(a.came, said).toBeGreaterThan(1);
    for (const a of arrivals) expect(a.unanswered + a.came, said).toBeLessThanOrEqual(32);
  });

  it('does not pipeline when the server only announces PIPELINING before login', async () => {
    await serve((conn) => miniPop3(conn, { capa: ['USER', 'PIPELINING'], capaAfterLogin: ['USER'] }));
    const pop = await loggedIn();
    expect(pop.pipelining).toBe(false);
    await pop.quit();
  });

  it('skips a message that vanished between UIDL and RETR, and goes on', async () => {
    const messages = [MSG, MSG, MSG];
    await serve((conn) =>
      miniPop3(conn, {
        messages,
        override: async (c, verb, args) => (verb === 'RETR' && args[0] === '2' ? (await c.send('-ERR no such message'), true) : false),
      }),
    );
    const pop = await loggedIn();
    const seen: string[] = [];
    for await (const m of pop.retrieveMany([1, 2, 3])) {
      if (m.error) seen.push(`${m.id}:${m.error.code}`);
      else seen.push(`${m.id}:${(await readAll(m.body)).length}`);
    }
    expect(seen).toEqual([`1:${MSG.length}`, '2:command', `3:${MSG.length}`]);
    await pop.quit();
  });

  it('applies backpressure: a slow reader holds the server back, memory stays bounded', async () => {
    const size = 64 * 1024 * 1024;
    let written = 0;
    await serve((conn) =>
      miniPop3(conn, {
        messages: [MSG],
        override: async (c, verb) => {
          if (verb !== 'RETR') return false;
          await c.write('+OK\r\n');
          const line = Buffer.alloc(1024, 'b');
          line.write('\r\n', 1022);
          const block = Buffer.concat(Array.from({ length: 256 }, () => line));
          while (written < size && !c.closed) {
            await c.write(block);
            written += block.length;
          }
          await c.write('.\r\n');
          return true;
        },
      }),
    );
    const pop = await loggedIn();
    const body = await pop.retr(1);
    await sleep(400); // nobody reads
    expect(body.readableLength).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(written).toBeLessThan(size / 2); // the server is blocked by TCP flow control
    let total = 0;
    for await (const chunk of body) total += (chunk as Buffer).length;
    expect(total).toBe(size);
    await pop.quit();
  });

  it('cancels with an AbortSignal: pending calls fail with cancelled, nothing hangs', async () => {
    await serve((conn) =>
      miniPop3(conn, {
        messages: [MSG],
        override: async (c, verb) => (verb === 'RETR' ? (await c.waitClosed(), true) : false),
      }),
    );
    const ac = new AbortController();
    const pop = await loggedIn({ signal: ac.signal, timeouts: { idleMs: 10_000 } });
    const pending = pop.retr(1);
    setTimeout(() => ac.abort(), 50);
    await expectError(pending, 'cancelled');
  });

  it('cancels a connect that is waiting for the greeting', async () => {
    await serve((conn) => conn.waitClosed());
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await expectError(connect({ signal: ac.signal, timeouts: { greetingMs: 10_000 } }), 'cancelled');
  });

  it('times out a server that never greets', async () => {
    await serve((conn) => conn.waitClosed());
    await expectError(connect({ timeouts: { greetingMs: 200 } }), 'timeout');
  });

  it('survives a drop while the next message is read ahead, and reports it on that message', async () => {
    const big = Buffer.concat([Buffer.from('Subject: two\r\n\r\n'), Buffer.alloc(200_000, 'y'), Buffer.from('\r\n')]);
    await serve((conn) =>
      miniPop3(conn, {
        messages: [MSG, big],
        override: async (c, verb, args) => {
          if (verb !== 'RETR' || args[0] !== '2') return false;
          await c.write('+OK\r\nSubject: two\r\n\r\nyyyy');
          await sleep(20);
          c.reset();
          return true;
        },
      }),
    );
    const pop = await loggedIn();
    const results: string[] = [];
    try {
      for await (const m of pop.retrieveMany([1, 2])) {
        await sleep(100); // the consumer is busy (writing to disk) while message 2 fails
        results.push((await readAll(m.body!)).equals(MSG) ? 'ok' : 'bad');
      }
    } catch (e) {
      results.push((e as Pop3Error).code);
    }
    expect(results).toEqual(['ok', 'network']);
  });

  it('goes on after retrieveMany is left early or a body is destroyed', async () => {
    const messages = Array.from({ length: 6 }, (_, i) => Buffer.from(`Subject: m${i}\r\n\r\n${'z'.repeat(50_000)}\r\n`));
    await serve((conn) => miniPop3(conn, { messages }));
    const pop = await loggedIn({ pipelineWindow: 4 });
    for await (const m of pop.retrieveMany([1, 2, 3, 4, 5])) {
      m.body!.destroy();
      if (m.id === 2) break;
    }
    await pop.noop();
    expect((await readAll(await pop.retr(6))).equals(messages[5]!)).toBe(true);
    expect(await pop.stat()).toEqual({ count: 6, size: messages.reduce((s, m) => s + m.length, 0) });
    await pop.quit();
  });

  it('reports the later error when a fallback mechanism fails for another reason', async () => {
    await serve(
      (conn) =>
        miniPop3(conn, {
          capa: ['USER', 'SASL CRAM-MD5 PLAIN'],
          override: async (c, verb, args) => {
            if (verb !== 'AUTH') return false;
            if (args[0] === 'CRAM-MD5') {
              await c.send(`+ ${Buffer.from('<1.2@host>').toString('base64')}`);
              await c.readLine();
              await c.send('-ERR [AUTH] cannot verify');
            } else {
              await c.send('+ ');
              await c.readLine();
              await c.send('-ERR [SYS/TEMP] backend unavailable');
            }
            return true;
          },
        }),
      { tls: true },
    );
    const pop = await connect({ security: 'tls', tls: { ca: FAULT_CERT, servername: 'localhost' } });
    await expectError(pop.login({ user: 'alice', password: 'pw' }), 'sys-temp');
    pop.close();
  });

  it('with AUTH-RESP-CODE, a login -ERR without [AUTH] does not blame the password', async () => {
    await serve((conn) =>
      miniPop3(conn, {
        capa: ['USER', 'RESP-CODES', 'AUTH-RESP-CODE'],
        override: async (c, verb) => (verb === 'PASS' ? (await c.send('-ERR database unreachable'), true) : false),
      }),
    );
    const pop = await connect();
    await expectError(pop.login({ user: 'alice', password: 'pw', allowInsecure: true }), 'sys-temp');
    pop.close();
  });

  it('cancels a SASL exchange that asks for more than the mechanism has, and stays logged out', async () => {
    await serve((conn) =>
      miniPop3(conn, {
        capa: ['USER', 'SASL PLAIN'],
        override: async (c, verb) => {
          if (verb !== 'AUTH') return false;
          for (;;) {
            await c.send('+ ');
            const line = await c.readLine();
            if (line === '*' || line === null) break;
          }
          await c.send('+OK cancelled, but logged in anyway?');
          return true;
        },
      }),
    );
    const pop = await connect();
    await expectError(pop.login({ user: 'alice', password: 'pw', allowInsecure: true }), 'auth');
    expect(server!.connections[0]!.received).toContain('*');
    pop.close();
  });

  it('puts a total deadline on a status line that drips in', async () => {
    await serve(async (conn) => {
      await conn.write('+OK ');
      for (let i = 0; i < 100 && (await conn.write('a')); i++) await sleep(50);
    });
    const started = Date.now();
    const err = await expectError(connect({ timeouts: { idleMs: 1000, greetingMs: 300 }, limits: { replyDeadlineMs: 300 } }), 'timeout');
    expect(err.message).toMatch(/more than/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('caps the size of a message body and the line count of a listing', async () => {
    const huge = Buffer.concat([Buffer.from('Subject: huge\r\n\r\n'), Buffer.alloc(3 * 1024 * 1024, 'h'), Buffer.from('\r\n')]);
    const uids = Array.from({ length: 300 }, (_, i) => `u${i}`);
    await serve((conn) => miniPop3(conn, { messages: uids.map((_, i) => (i === 0 ? huge : MSG)), uids }));
    const pop = await loggedIn({ limits: { maxMessageBytes: 1024 * 1024, maxListingLines: 100 } });
    const err = await expectError(pop.uidl(), 'protocol');
    expect(err.message).toMatch(/more than 100 lines/);
    const pop2 = await loggedIn({ limits: { maxMessageBytes: 1024 * 1024 } });
    const body = await pop2.retr(1);
    const err2 = await expectError(readAll(body), 'protocol');
    expect(err2.message).toMatch(/larger than/);
  });

  it('never reads bytes injected after the STLS +OK in a separate packet', async () => {
    await serve((conn) =>
      miniPop3(conn, {
        capa: ['USER', 'STLS', 'UIDL'],
        override: async (c, verb) => {
          if (verb !== 'STLS') return false;
          await c.write('+OK Begin TLS\r\n');
          await sleep(30);
          await c.write('+OK\r\nSASL INJECTED\r\n.\r\n');
          await c.startTls().catch(() => c.reset());
          return true;
        },
      }),
    );
    // The injected bytes land in the TLS handshake and break it; either way they are never a reply.
    const outcome = await connect({ security: 'starttls', tls: { ca: FAULT_CERT, servername: 'localhost' } }).then(
      (pop) => {
        const caps = pop.capabilities?.lines;
        pop.close();
        return caps;
      },
      (e: Pop3Error) => e.code,
    );
    expect(['tls', 'network', ['USER', 'STLS', 'UIDL']]).toContainEqual(outcome);
  });

  describe('TLS', () => {
    it('rejects an untrusted certificate and says which one it was', async () => {
      await serve((conn) => miniPop3(conn), { tls: true });
      const err = await expectError(connect({ security: 'tls' }), 'certificate');
      expect(err.fingerprint256).toBe(FAULT_FINGERPRINT);
    });

    it('accepts a self-signed certificate pinned by its fingerprint', async () => {
      await serve((conn) => miniPop3(conn, { messages: [MSG] }), { tls: true });
      const pop = await connect({ security: 'tls', tls: { pinnedFingerprint256: FAULT_FINGERPRINT.toLowerCase() } });
      expect(pop.secure).toBe(true);
      expect(pop.fingerprint256).toBe(FAULT_FINGERPRINT);
      await pop.login({ user: 'alice', password: 'pw' });
      expect((await readAll(await pop.retr(1))).equals(MSG)).toBe(true);
      await pop.quit();
    });

    it('rejects a certificate that does not match the pin, even when the CA trusts it', async () => {
      await serve((conn) => miniPop3(conn), { tls: true });
      const wrong = FAULT_FINGERPRINT.replace(/^../, FAULT_FINGERPRINT.startsWith('00') ? '11' : '00');
      const err = await expectError(connect({ security: 'tls', tls: { ca: FAULT_CERT, pinnedFingerprint256: wrong } }), 'certificate');
      expect(err.fingerprint256).toBe(FAULT_FINGERPRINT);
    });

    it('checks the host name against the certificate', async () => {
      await serve((conn) => miniPop3(conn), { tls: true });
      const err = await expectError(connect({ security: 'tls', tls: { ca: FAULT_CERT, servername: 'mail.example.org' } }), 'certificate');
      expect(err.message).toMatch(/not trusted/);
    });
  });

  describe('SASL', () => {
    it('speaks XOAUTH2 in the two-step form and handles the error challenge', async () => {
      const token = 'ya29.token';
      await serve((conn) =>
        miniPop3(conn, {
          capa: ['USER', 'SASL XOAUTH2'],
          override: async (c, verb, args) => {
            if (verb !== 'AUTH') return false;
            expect(args).toEqual(['XOAUTH2']); // no initial response
            await c.send('+ ');
            const resp = Buffer.from((await c.readLine())!, 'base64').toString();
            if (resp === `user=alice\x01auth=Bearer ${token}\x01\x01`) {
              await c.send('+OK welcome');
            } else {
              await c.send(`+ ${Buffer.from('{"status":"401"}').toString('base64')}`);
              expect(await c.readLine()).toBe('');
              await c.send('-ERR [AUTH] invalid token');
            }
            return true;
          },
        }),
      );
      const ok = await connect();
      await ok.login({ user: 'alice', oauth2Token: token, allowInsecure: true });
      await ok.quit();
      const bad = await connect();
      await expectError(bad.login({ user: 'alice', oauth2Token: 'expired', allowInsecure: true }), 'auth');
      bad.close();
    });

    it('falls back from CRAM-MD5 to a clear mechanism on a secure channel when CRAM-MD5 is refused', async () => {
      await serve(
        (conn) =>
          miniPop3(conn, {
            // Without PLAIN (which comes first on a verified TLS channel, alone).
            capa: ['USER', 'SASL CRAM-MD5'],
            override: async (c, verb, args) => {
              if (verb === 'AUTH' && args[0] === 'CRAM-MD5') {
                await c.send(`+ ${Buffer.from('<1.2@host>').toString('base64')}`);
                await c.readLine();
                await c.send('-ERR [AUTH] cannot verify');
                return true;
              }
              return false;
            },
          }),
        { tls: true },
      );
      const pop = await connect({ security: 'tls', tls: { ca: FAULT_CERT, servername: 'localhost' } });
      await pop.login({ user: 'alice', password: 'pw' });
      const received = server!.connections[0]!.received;
      expect(received.filter((l) => /^(AUTH|USER|PASS) /.test(l))).toEqual(['AUTH CRAM-MD5', 'USER alice', 'PASS pw']);
      await pop.quit();
    });
  });
});
