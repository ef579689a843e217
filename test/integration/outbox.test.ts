/**
 * The durable outbox (issue 15 §3, DESIGN §3 invariant 9) against a real Postfix delivering by
 * LMTP into a real Dovecot: what the user sends arrives exactly once and the bytes the server
 * got are what is filed in Sent; a network that fails before the final dot means sending again,
 * silence after it means "may have been sent" and never a second copy; a refusal waits for the
 * user with the server's words; Undo send never sends.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { OutboxItem } from '../../electron/core/outbox/index.js';
import { Pop3Client } from '../../electron/core/pop3/index.js';
import { sendRaw, SmtpError, type SmtpSettings } from '../../electron/core/smtp/index.js';
import type { DovecotServer } from '../support/dovecot.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { mulberry32, toCrlf } from '../support/mailgen.js';
import type { ChildConfig } from '../support/outbox-child.js';
import { runChild, type ChildRun } from '../support/outbox-child-run.js';
import { messageIdIn, openOutbox, plainMessage, type OutboxHarness } from '../support/outbox-harness.js';
import { submissionSettings } from '../support/outbox-suite.js';
import type { PostfixServer } from '../support/postfix.js';
import { sendSuite, startSendServers, type SendServers } from '../support/send-servers.js';
import { sleep, until } from '../support/servers.js';
import { readAll } from '../support/streams.js';

const suite = sendSuite('the outbox suite');

const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
];
const ACCOUNT = 'acct-alice';
const KILLS = process.env.POPBOX_OUTBOX_KILLS ? Number(process.env.POPBOX_OUTBOX_KILLS) : process.env.POPBOX_SOAK ? 100 : 20;
const SEED = Number(process.env.POPBOX_OUTBOX_SEED ?? 0x0b0c5) >>> 0;

suite('the outbox: exactly once, or visibly uncertain', () => {
  let servers: SendServers;
  let dc: DovecotServer;
  let pf: PostfixServer;
  let proxy: FaultProxy;
  let root: string;
  const open: OutboxHarness[] = [];

  beforeAll(async () => {
    servers = await startSendServers({ users: USERS });
    ({ dovecot: dc, postfix: pf } = servers);
    proxy = await startFaultProxy({ host: '127.0.0.1', port: pf.clearPort });
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-outbox-'));
  });

  afterAll(async () => {
    await proxy?.close();
    await servers?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  afterEach(async () => {
    proxy?.setPlan(null);
    while (open.length) await open.pop()!.close();
  });

  const direct = (server: PostfixServer = pf): SmtpSettings => submissionSettings(server);

  const viaProxy = (idleMs = 5000): SmtpSettings => ({
    host: '127.0.0.1',
    port: proxy.port,
    security: 'plain',
    allowInsecureAuth: true,
    auth: { user: 'alice', password: 'alice-pw' },
    timeouts: { connectMs: 3000, greetingMs: 3000, idleMs },
  });

  let n = 0;
  async function harness(transport: () => SmtpSettings, deps: Parameters<typeof openOutbox>[0]['deps'] = {}): Promise<OutboxHarness> {
    const h = await openOutbox({ dataDir: path.join(root, `d${++n}`), accountId: ACCOUNT, transport, deps: { undoSeconds: 0, backoffMs: [200, 400], ...deps } });
    open.push(h);
    return h;
  }

  const itemOf = async (h: OutboxHarness, id: string): Promise<OutboxItem | undefined> => (await h.outbox.status(ACCOUNT)).find((i) => i.id === id);
  const sentEvent = (h: OutboxHarness, id: string) => h.events.find((e) => e.kind === 'sent' && e.id === id);

  /** bob's delivered messages, counted by Message-ID, once Postfix has had time to deliver. */
  async function deliveries(settleMs = 600): Promise<Map<string, number>> {
    await sleep(settleMs);
    const counts = new Map<string, number>();
    for (const m of await dc.mailbox('bob')) {
      const id = messageIdIn(m.bytes) ?? '(none)';
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  async function fetchByPop3(user: string): Promise<Buffer[]> {
    const pop = await Pop3Client.connect({
      host: '127.0.0.1',
      port: dc.tlsPort,
      security: 'tls',
      tls: { ca: dc.caPem, servername: 'localhost' },
      timeouts: { connectMs: 5000, greetingMs: 5000, idleMs: 10_000 },
    });
    try {
      await pop.login({ user, password: USERS.find((u) => u.name === user)!.password });
      const out: Buffer[] = [];
      for (const { id } of await pop.list()) out.push(await readAll(await pop.retr(id)));
      return out;
    } finally {
      await pop.quit();
    }
  }

  it('Send: delivered once, the exact bytes the server got are filed in Sent (seen), the Outbox is empty', async () => {
    await dc.clear('bob');
    const h = await harness(() => direct());
    const composed = await new MailComposer({
      from: { name: 'Älice Ünger', address: 'alice@example.org' },
      to: 'bob@example.org',
      bcc: 'alice@example.org',
      subject: 'Grüße aus Köln ✓',
      messageId: '<send-once@popbox.test>',
      text: 'Hallo Bob,\n.\n..dots\nÄÖÜ\n',
      attachments: [{ filename: 'daten.bin', content: randomBytes(40 * 1024) }],
    })
      .compile()
      .build();
    const raw = toCrlf(composed);
    const t0 = Date.now();
    const id = await h.outbox.enqueue(ACCOUNT, { raw, envelope: { from: 'alice@example.org', to: ['bob@example.org'] }, sendAt: Date.now() });
    // Durable before enqueue returned: the file in .Outbox/cur and the envelope in the state file.
    const queued = await h.folderFiles('Outbox');
    expect([...queued.keys()]).toEqual([`${id}:2,S`]);
    expect(queued.get(`${id}:2,S`)!.equals(raw)).toBe(true);
    const stateText = await fs.readFile(path.join(h.dataDir, 'accounts', ACCOUNT, 'outbox.jsonl'), 'utf8');
    expect(stateText).toContain('"to":["bob@example.org"]');
    expect(h.journal.get(id)).toMatchObject({ folder: 'Outbox', uidl: '', flags: { seen: true } });
    expect(h.journal.get(id)!.summary.subject).toBe('Grüße aus Köln ✓');

    await until('sent', () => sentEvent(h, id));
    console.log(`outbox: enqueue → accepted in ${Date.now() - t0} ms`);
    const sent = await h.folderFiles('Sent');
    expect([...sent.keys()]).toEqual([`${id}:2,S`]);
    expect((await h.folderFiles('Outbox')).size).toBe(0);
    expect(h.journal.get(id)!.folder).toBe('Sent');
    expect(await h.outbox.status()).toEqual([]);

    await until('delivery', async () => (await dc.mailbox('bob')).length === 1);
    const served = await fetchByPop3('bob');
    expect(served).toHaveLength(1);
    // Postfix and Dovecot put Return-Path, Delivered-To and Received on top; from our first header on it is the file in Sent.
    const filed = sent.get(`${id}:2,S`)!;
    const firstLine = filed.subarray(0, filed.indexOf('\r\n') + 2);
    const at = served[0]!.indexOf(firstLine);
    expect(at).toBeGreaterThan(0);
    expect(served[0]!.subarray(at).equals(filed)).toBe(true);
    expect(filed.equals(raw)).toBe(true);
    expect(await deliveries(300)).toEqual(new Map([['<send-once@popbox.test>', 1]]));
  });

  it('refuses bare line feeds (the bytes filed must be the bytes sent) and an empty envelope', async () => {
    const h = await harness(() => direct());
    await expect(h.outbox.enqueue(ACCOUNT, { raw: Buffer.from('Subject: x\n\nbody\n'), envelope: { from: 'alice@example.org', to: ['bob@example.org'] } })).rejects.toThrow(/bare line feed/);
    await expect(h.outbox.enqueue(ACCOUNT, { raw: plainMessage('no-rcpt'), envelope: { from: 'alice@example.org', to: [] } })).rejects.toThrow(/no recipients/);
    expect((await h.folderFiles('Outbox')).size).toBe(0);
  });

  it('the final dot waits for the outbox\'s record: the hook runs once the server has the whole message, nothing arrives while it holds, nothing at all if it fails', async () => {
    await dc.clear('bob');
    const raw = plainMessage('held-dot', { size: 60 * 1024 });
    let upAtHook = -1;
    let deliveredWhileHeld = -1;
    const r = await sendRaw(viaProxy(), {
      from: 'alice@example.org',
      to: ['bob@example.org'],
      raw,
      beforeFinalDot: async () => {
        // The whole message went through the proxy to the server (so the hook did not run before DATA)…
        for (let i = 0; i < 40 && proxy.lastBytes().up < raw.length; i++) await sleep(25);
        upAtHook = proxy.lastBytes().up;
        // …and without its dot the server delivers nothing.
        await sleep(400);
        deliveredWhileHeld = (await dc.mailbox('bob')).length;
      },
    });
    expect(r.response).toMatch(/^250 /);
    expect(upAtHook).toBeGreaterThanOrEqual(raw.length);
    expect(deliveredWhileHeld).toBe(0);
    expect(await deliveries()).toEqual(new Map([['<held-dot@popbox.test>', 1]]));

    await dc.clear('bob');
    const e = await sendRaw(viaProxy(), {
      from: 'alice@example.org',
      to: ['bob@example.org'],
      raw: plainMessage('hook-failed'),
      beforeFinalDot: () => Promise.reject(new Error('disk full')),
    }).then(
      () => null,
      (err: unknown) => err as SmtpError,
    );
    expect(e).toBeInstanceOf(SmtpError);
    expect(e!.stage).toBe('data');
    expect(e!.maybeSent).toBe(false);
    expect(await deliveries()).toEqual(new Map());
  });

  it('Postfix down: retrying with backoff (200 ms, then 400 ms each), then sent once when it is back', async () => {
    await dc.clear('bob');
    let server = await servers.addPostfix();
    const down = direct(server);
    await server.stop();
    let transport = down;
    // Every reading of the outbox's clock, so each failure's planned wait is checked against the
    // moment the outbox itself decided it (the harness sees events later under load).
    const clock: number[] = [];
    const h = await harness(() => transport, { now: () => { const t = Date.now(); clock.push(t); return t; } });
    const id = await h.outbox.enqueue(ACCOUNT, { raw: plainMessage('postfix-down'), envelope: { from: 'alice@example.org', to: ['bob@example.org'] }, sendAt: Date.now() });
    const retrying = await until('three failed attempts', async () => {
      const i = await itemOf(h, id);
      return i && i.state === 'retrying' && i.attempts >= 3 ? i : null;
    });
    expect(retrying.lastError?.code).toBe('network');
    expect(retrying.lastError?.message).toMatch(/connect|connection/i);
    // The waits: 200 ms after the first failure, 400 ms after each later one (the schedule's last
    // step repeats), announced with each failure and kept before the next attempt.
    const timeline = h.events.map((e, i) => ({ e, at: h.eventTimes[i]! })).filter(({ e }) => e.kind === 'changed' && e.item.id === id);
    const failures = timeline.filter(({ e }) => e.kind === 'changed' && e.item.state === 'retrying');
    expect(failures.length).toBeGreaterThanOrEqual(3);
    for (const [k, f] of failures.slice(0, 3).entries()) {
      const item = (f.e as Extract<typeof f.e, { kind: 'changed' }>).item;
      expect(item.attempts).toBe(k + 1);
      const step = k === 0 ? 200 : 400;
      // Planned exactly one step after a moment the outbox read its clock (the failure's time),
      // and that moment is no later than the harness saw the failure.
      const decided = item.nextAttemptAt! - step;
      expect(clock).toContain(decided);
      expect(decided).toBeLessThanOrEqual(f.at);
      // Kept: the next attempt starts no earlier than planned (timers never fire early).
      const nextTry = timeline.find(({ e, at }) => at > f.at && e.kind === 'changed' && e.item.state === 'sending');
      if (nextTry) expect(nextTry.at).toBeGreaterThanOrEqual(item.nextAttemptAt! - 5);
    }
    server = await servers.addPostfix();
    try {
      transport = direct(server);
      await until('sent', () => sentEvent(h, id));
      const i = (await h.outbox.status()).length;
      expect(i).toBe(0);
      expect(await deliveries()).toEqual(new Map([['<postfix-down@popbox.test>', 1]]));
    } finally {
      await server.stop();
    }
  });

  it('cut during DATA, before the final dot: sent again, delivered exactly once', async () => {
    await dc.clear('bob');
    const h = await harness(() => viaProxy());
    proxy.setPlan({ reset: { dir: 'up', at: 100 * 1024 } });
    const id = await h.outbox.enqueue(ACCOUNT, { raw: plainMessage('cut-in-data', { size: 400 * 1024 }), envelope: { from: 'alice@example.org', to: ['bob@example.org'] }, sendAt: Date.now() });
    const failed = await until('the cut attempt', async () => {
      const i = await itemOf(h, id);
      return i?.state === 'retrying' ? i : null;
    });
    expect(failed.lastError?.code).toBe('network');
    proxy.setPlan(null);
    await until('sent', () => sentEvent(h, id));
    expect(h.events.filter((e) => e.kind === 'changed' && e.item.id === id && e.item.state === 'sending').length).toBe(2);
    expect(await deliveries()).toEqual(new Map([['<cut-in-data@popbox.test>', 1]]));
    expect((await h.folderFiles('Sent')).size).toBe(1);
  });

  it('no answer after the final dot: "may have been sent", never sent again by itself; Mark as sent files it', async () => {
    await dc.clear('bob');
    const raw = plainMessage('no-answer', { size: 30 * 1024 });
    // A faithful send first, to learn how many bytes come down before the answer to the dot.
    const ok = await sendRaw(viaProxy(), { from: 'alice@example.org', to: ['bob@example.org'], raw: plainMessage('calibrate', { size: 30 * 1024 }) });
    let down = -1;
    for (let i = 0; i < 40 && proxy.lastBytes().down !== down; i++) {
      down = proxy.lastBytes().down;
      await sleep(50);
    }
    const finalReply = Buffer.byteLength(`${ok.response}\r\n221 2.0.0 Bye\r\n`);
    await deliveries(300);
    await dc.clear('bob');

    const h = await harness(() => viaProxy(1000));
    proxy.setPlan({ stall: { dir: 'down', at: down - finalReply, ms: 4000 } });
    const id = await h.outbox.enqueue(ACCOUNT, { raw, envelope: { from: 'alice@example.org', to: ['bob@example.org'] }, sendAt: Date.now() });
    const maybe = await until('may have been sent', async () => {
      const i = await itemOf(h, id);
      return i?.state === 'maybe-sent' ? i : null;
    });
    proxy.setPlan(null);
    expect(maybe.attempts).toBe(1);
    expect(maybe.lastError?.code).toBe('timeout');
    expect(maybe.nextAttemptAt).toBeNull();
    await sleep(1000);
    h.outbox.kick(ACCOUNT);
    await h.outbox.idle();
    expect((await itemOf(h, id))?.state).toBe('maybe-sent');
    expect((await itemOf(h, id))?.attempts).toBe(1);
    // It did arrive, once: exactly why it must not go again silently.
    expect(await deliveries()).toEqual(new Map([['<no-answer@popbox.test>', 1]]));
    await expect(h.outbox.cancel(id)).rejects.toThrow(/may already have been sent/);
    await h.outbox.markSent(id);
    expect([...(await h.folderFiles('Sent')).keys()]).toEqual([`${id}:2,S`]);
    expect(h.journal.get(id)!.folder).toBe('Sent');
    expect(await h.outbox.status()).toEqual([]);
  });

  it('an unknown recipient (550): failed with the server\'s words, not retried; back to Drafts to fix it', async () => {
    await dc.clear('bob');
    const h = await harness(() => direct());
    const id = await h.outbox.enqueue(ACCOUNT, { raw: plainMessage('unknown', { to: 'nobody@example.org' }), envelope: { from: 'alice@example.org', to: ['nobody@example.org'] }, sendAt: Date.now() });
    const failed = await until('failed', async () => {
      const i = await itemOf(h, id);
      return i?.state === 'failed' ? i : null;
    });
    expect(failed.lastError).toMatchObject({ code: 'rejected', responseCode: 550 });
    expect(failed.lastError?.serverText).toMatch(/User unknown/i);
    expect(failed.lastError?.message).toMatch(/nobody@example\.org/);
    await sleep(600); // longer than the backoff: no second attempt
    expect((await itemOf(h, id))?.attempts).toBe(1);
    await h.outbox.cancel(id);
    expect([...(await h.folderFiles('Drafts')).keys()]).toEqual([`${id}:2,S`]);
    expect(h.journal.get(id)!.folder).toBe('Drafts');
    expect(await deliveries(100)).toEqual(new Map());
  });

  it('Undo send within the window: in Drafts, nothing delivered; once sending began, Undo is refused', async () => {
    await dc.clear('bob');
    const h = await harness(() => viaProxy(), { undoSeconds: 1 });
    const connectionsAtStart = proxy.connections();
    const raw = plainMessage('undone');
    const id = await h.outbox.enqueue(ACCOUNT, { raw, envelope: { from: 'alice@example.org', to: ['bob@example.org'] } });
    expect((await itemOf(h, id))?.state).toBe('waiting');
    await h.outbox.cancel(id);
    const drafts = await h.folderFiles('Drafts');
    expect(drafts.get(`${id}:2,S`)?.equals(raw)).toBe(true);
    expect((await h.folderFiles('Outbox')).size).toBe(0);
    expect(h.journal.get(id)!.folder).toBe('Drafts');
    await sleep(1500);
    expect(proxy.connections()).toBe(connectionsAtStart);
    expect(await deliveries()).toEqual(new Map());

    // Sending under way (the proxy holds the message's bytes): too late.
    const before = proxy.connections();
    proxy.setPlan({ stall: { dir: 'up', at: 2000, ms: 1500 } });
    const late = await h.outbox.enqueue(ACCOUNT, { raw: plainMessage('too-late', { size: 20 * 1024 }), envelope: { from: 'alice@example.org', to: ['bob@example.org'] }, sendAt: Date.now() });
    await until('sending', async () => (await itemOf(h, late))?.state === 'sending' && proxy.connections() > before);
    await expect(h.outbox.cancel(late)).rejects.toThrow(/Too late to undo/);
    await until('sent', () => sentEvent(h, late));
    expect(await deliveries()).toEqual(new Map([['<too-late@popbox.test>', 1]]));
  });

  it(`kill -9 at ${KILLS} seeded moments while queueing and sending: each message delivered exactly once, or "may have been sent" and at most once; none lost`, async () => {
    await dc.clear('bob');
    const started = Date.now();
    const rng = mulberry32(SEED);
    const dataDir = path.join(root, 'killed');
    const cfgFile = path.join(root, 'child.json');
    // Through the proxy with a little latency on every chunk, so kills land inside each SMTP step.
    proxy.setPlan({ latencyMs: 2 });
    const queued = new Map<string, string>();
    const landed = new Map<string, number>();
    let tags = 0;
    const cfg = (enqueue: ChildConfig['enqueue']): ChildConfig => ({ dataDir, accountId: ACCOUNT, settings: viaProxy(), backoffMs: [100, 200], enqueue });
    const newMessages = () => Array.from({ length: 3 }, () => ({ tag: `kill-${SEED}-${tags++}`, size: 1000 + Math.floor(rng() * rng() * 400_000) }));
    const record = (r: ChildRun) => {
      for (const [tag, id] of r.queued) queued.set(tag, id);
      if (!r.killed && r.code !== 0) throw new Error(`the child failed (${r.code}): ${r.stderr}`);
    };
    // A clean run first: how long queueing and sending three messages takes, to spread the kills over.
    await fs.writeFile(cfgFile, JSON.stringify(cfg(newMessages())));
    const calib = await runChild(cfgFile, null);
    record(calib);
    let kills = 0;
    for (let round = 0; kills < KILLS && round < 3 * KILLS; round++) {
      await fs.writeFile(cfgFile, JSON.stringify(cfg(newMessages())));
      const r = await runChild(cfgFile, { afterMs: Math.floor(rng() * calib.workedMs) });
      record(r);
      const where = r.killed && r.lastLine !== 'done' ? r.lastLine.replace(/^event (\S+) \S+/, '$1').replace(/^queued .*/, 'queued') : 'finished';
      if (where !== 'finished') kills++;
      landed.set(where, (landed.get(where) ?? 0) + 1);
    }
    expect(kills).toBe(KILLS);
    await fs.writeFile(cfgFile, JSON.stringify(cfg([])));
    const last = await runChild(cfgFile, null);
    expect(last.code, last.stderr).toBe(0);
    expect(last.lastLine).toBe('done');
    proxy.setPlan(null);

    // What the server got, by Message-ID, once Postfix is done delivering.
    let counts = await deliveries(500);
    for (let stable = 0; stable < 3; ) {
      const again = await deliveries(300);
      stable = JSON.stringify([...again]) === JSON.stringify([...counts]) ? stable + 1 : 0;
      counts = again;
    }
    const h = await openOutbox({ dataDir, accountId: ACCOUNT, transport: () => viaProxy() });
    open.push(h);
    const status = await h.outbox.status(ACCOUNT);
    const sent = new Map([...(await h.folderFiles('Sent'))].map(([name, bytes]) => [name.slice(0, 16), messageIdIn(bytes)!]));
    const outbox = new Map([...(await h.folderFiles('Outbox'))].map(([name, bytes]) => [name.slice(0, 16), messageIdIn(bytes)!]));
    const maybe = new Map(status.filter((i) => i.state === 'maybe-sent').map((i) => [i.id, outbox.get(i.id)!]));
    const maybeArrived = [...maybe.values()].filter((mid) => counts.has(mid)).length;
    const report =
      `seed ${SEED}, ${kills} kills mid-work (a clean run took ${calib.workedMs.toFixed(0)} ms; last line before each kill: ${JSON.stringify(Object.fromEntries(landed))}); ` +
      `${queued.size} queued, ${sent.size} in Sent, ${maybe.size} may have been sent (${maybeArrived} of them did arrive); data dir ${dataDir}`;
    console.log(`outbox kill -9: ${report}; ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // Never twice.
    for (const [mid, c] of counts) expect(c, `${mid} delivered ${c} times (${report})`).toBe(1);
    // What is filed in Sent went out, once.
    for (const mid of sent.values()) expect(counts.get(mid), `${mid} is in Sent but was not delivered (${report})`).toBe(1);
    // Nothing went out that the user is not shown as sent or as "may have been sent".
    const shown = new Set([...sent.values(), ...maybe.values()]);
    for (const mid of counts.keys()) expect(shown.has(mid), `${mid} was delivered but is neither in Sent nor "may have been sent" (${report})`).toBe(true);
    // Every message whose Send returned is in Sent or reported, never lost; nothing is left waiting.
    for (const [tag, id] of queued) expect(sent.has(id) || maybe.has(id), `${tag} (${id}) is lost (${report})`).toBe(true);
    expect(status.filter((i) => i.state !== 'maybe-sent'), report).toEqual([]);
    expect([...outbox.keys()].sort()).toEqual([...maybe.keys()].sort());
    expect((await h.folderFiles('Drafts')).size).toBe(0);
  }, Math.max(180_000, KILLS * 8_000));
});
