/**
 * The sending fault suite (issue 15 §3, DESIGN §3 invariant 9): the fault proxy between the
 * outbox and a real Postfix (delivering by LMTP into a real Dovecot) cuts the connection at every
 * SMTP step — the greeting, EHLO, STARTTLS and the TLS handshakes, AUTH, MAIL FROM, RCPT TO,
 * DATA, mid-body, right before the final dot, after the final dot before the 250, after the 250
 * before QUIT — by reset (RST), clean close (FIN) or silence; and `kill -9` takes the sending
 * process down while the proxy holds the connection at each of those steps. Then what reached
 * the recipient's Maildir is counted by Message-ID:
 * - nothing is delivered twice, and nothing is lost: every run ends delivered once and filed in
 *   Sent, or "may have been sent" shown to the user;
 * - "may have been sent" only where the final dot could have gone out (never before the 354), and
 *   always where the server had the dot but its answer was cut off.
 * Runs: 3 per step and way of cutting here (about 100 with the kills); POPBOX_SOAK=1 runs 10.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OutboxItem } from '../../electron/core/outbox/index.js';
import { sendRaw, type SmtpSettings } from '../../electron/core/smtp/index.js';
import { startFaultProxy, type FaultPlan, type FaultProxy } from '../support/fault-proxy.js';
import type { ChildConfig } from '../support/outbox-child.js';
import { runChild } from '../support/outbox-child-run.js';
import { messageIdIn, openOutbox, plainMessage, type OutboxHarness } from '../support/outbox-harness.js';
import { sendSuite, startSendServers, type SendServers } from '../support/send-servers.js';
import { sleep, until } from '../support/servers.js';

const suite = sendSuite('the sending fault suite');
const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
];
const ACCOUNT = 'acct-alice';
const REPS = process.env.POPBOX_SOAK ? 10 : 3;
const KILL_REPS = process.env.POPBOX_SOAK ? 5 : 2;
/** Big enough that a cut early in the body comes before the client has handed its final dot to the system. */
const SIZE = 300 * 1024;

type Route = 'clear' | 'starttls' | 'tls';
type Outcome = 'sent' | 'maybe-sent';

interface Step {
  name: string;
  route: Route;
  /** The fault for the run that sends this message (offsets after DATA depend on its length). */
  plan: (raw: Buffer) => FaultPlan;
  /** The client may have handed the final dot to the system by then: "may have been sent" is an honest answer. */
  dotMayHaveGone: boolean;
  /** The server had the dot and its answer never came: must be "may have been sent" (and delivered once). */
  mustBeMaybe?: boolean;
  /** The 250 came: must be sent, never "may have been sent". */
  mustBeSent?: boolean;
  /** A stall: the client waits out its idle timeout. */
  slow?: boolean;
}

/**
 * Where each step of one faithful exchange starts, in bytes each way (from a transcript through
 * the proxy). A cut is placed one byte or more past a step's first byte: the proxy acts on the
 * chunk that reaches its offset, and a chunk that merely ends there is the previous step's.
 */
interface Offsets {
  up: Record<'ehlo' | 'auth' | 'mail' | 'rcpt' | 'data', number>;
  down: Record<'ehlo' | 'auth' | 'mail' | 'rcpt' | 'go' | 'queued', number>;
  /** The first byte of the body (after DATA's 354). */
  body: number;
  /** Where the final dot of this message starts (the body as it goes on the wire, dot-stuffed). */
  dot(raw: Buffer): number;
  quit(raw: Buffer): number;
}

/** The length of a message (CRLF line ends, ending in CRLF) once dot-stuffed for SMTP. */
function onTheWireLength(raw: Buffer): number {
  const t = raw.toString('latin1');
  return raw.length + (t.startsWith('.') ? 1 : 0) + (t.match(/\r\n\./g) ?? []).length;
}

function at(text: string, needle: string | RegExp, from = 0): number {
  const i = typeof needle === 'string' ? text.indexOf(needle, from) : text.slice(from).search(needle) + from;
  if (i < from || (typeof needle !== 'string' && text.slice(from).search(needle) === -1)) throw new Error(`no ${String(needle)} in the transcript after byte ${from}`);
  return i;
}

function offsetsOf(t: { up: Buffer; down: Buffer }, calibration: Buffer): Offsets {
  const up = t.up.toString('latin1');
  const down = t.down.toString('latin1');
  const data = at(up, /^DATA\r\n/m);
  const dot = up.lastIndexOf('\r\n.\r\n') + 2;
  const ehloReply = at(down, /^250[- ]/m);
  const authReply = at(down, /^235 /m);
  const mailReply = at(down, /^250 /m, authReply);
  const rcptReply = at(down, /^250 /m, mailReply + 4);
  const body = data + 'DATA\r\n'.length;
  // The transcript and the arithmetic agree on where the dot goes, or every later offset is wrong.
  if (dot !== body + onTheWireLength(calibration)) throw new Error(`the final dot is at ${dot}, not at ${body} + ${onTheWireLength(calibration)}`);
  if (at(up, 'QUIT', dot) !== dot + 3) throw new Error('QUIT does not follow the final dot');
  return {
    up: { ehlo: at(up, 'EHLO '), auth: at(up, 'AUTH '), mail: at(up, 'MAIL FROM:'), rcpt: at(up, 'RCPT TO:'), data },
    down: { ehlo: ehloReply, auth: authReply, mail: mailReply, rcpt: rcptReply, go: at(down, /^354 /m), queued: at(down, /^250 2\.0\.0 /m, rcptReply + 4) },
    body,
    dot: (raw) => body + onTheWireLength(raw),
    quit: (raw) => body + onTheWireLength(raw) + 3,
  };
}

function clearSteps(o: Offsets): Step[] {
  const before = (name: string, plan: FaultPlan): Step => ({ name, route: 'clear', plan: () => plan, dotMayHaveGone: false });
  const after = (name: string, plan: (raw: Buffer) => FaultPlan, more: Partial<Step> = {}): Step => ({ name, route: 'clear', plan, dotMayHaveGone: true, ...more });
  return [
    before('greeting: none', { reset: { dir: 'down', at: 0 } }),
    before('greeting: half', { reset: { dir: 'down', at: 10 } }),
    before('greeting: closed (FIN)', { truncate: { dir: 'down', at: 10 } }),
    before('EHLO: half sent', { reset: { dir: 'up', at: o.up.ehlo + 3 } }),
    before('EHLO: no reply', { reset: { dir: 'down', at: o.down.ehlo + 1 } }),
    before('AUTH: half sent', { reset: { dir: 'up', at: o.up.auth + 6 } }),
    before('AUTH: no reply', { reset: { dir: 'down', at: o.down.auth + 1 } }),
    before('MAIL FROM: half sent', { reset: { dir: 'up', at: o.up.mail + 5 } }),
    before('MAIL FROM: no reply', { reset: { dir: 'down', at: o.down.mail + 1 } }),
    before('RCPT TO: half sent', { reset: { dir: 'up', at: o.up.rcpt + 5 } }),
    before('RCPT TO: no reply', { reset: { dir: 'down', at: o.down.rcpt + 1 } }),
    before('DATA: half sent', { reset: { dir: 'up', at: o.up.data + 2 } }),
    before('DATA: no 354', { reset: { dir: 'down', at: o.down.go + 1 } }),
    before('DATA: closed before 354 (FIN)', { truncate: { dir: 'down', at: o.down.go + 1 } }),
    after('mid-body', () => ({ reset: { dir: 'up', at: o.body + 60 * 1024 } })),
    after('right before the final dot', (raw) => ({ reset: { dir: 'up', at: o.dot(raw) } })),
    after('after the final dot, before the 250 (RST)', () => ({ reset: { dir: 'down', at: o.down.queued + 1 } }), { mustBeMaybe: true }),
    after('after the final dot, before the 250 (FIN)', () => ({ truncate: { dir: 'down', at: o.down.queued + 1 } }), { mustBeMaybe: true }),
    after('after the final dot, no answer (timeout)', () => ({ stall: { dir: 'down', at: o.down.queued + 1, ms: 2500 } }), { mustBeMaybe: true, slow: true }),
    after('after the 250, QUIT cut', (raw) => ({ reset: { dir: 'up', at: o.quit(raw) + 1 } }), { mustBeSent: true }),
  ];
}

function tlsSteps(starttls: { up: string; down: string }): Step[] {
  const cmd = starttls.up.indexOf('STARTTLS');
  const ready = starttls.down.search(/^220 2\.0\.0 /m);
  if (cmd < 0 || ready < 0) throw new Error('no STARTTLS in the transcript');
  const readyEnd = starttls.down.indexOf('\r\n', ready) + 2;
  const helloStart = starttls.up.indexOf('\r\n', cmd) + 2;
  const s = (name: string, route: Route, plan: FaultPlan): Step => ({ name, route, plan: () => plan, dotMayHaveGone: false });
  return [
    s('STARTTLS: half sent', 'starttls', { reset: { dir: 'up', at: cmd + 4 } }),
    s('STARTTLS: no 220', 'starttls', { reset: { dir: 'down', at: ready + 1 } }),
    s('STARTTLS handshake: ClientHello cut', 'starttls', { reset: { dir: 'up', at: helloStart + 60 } }),
    s('STARTTLS handshake: ServerHello cut', 'starttls', { reset: { dir: 'down', at: readyEnd + 200 } }),
    s('implicit TLS handshake: ClientHello cut', 'tls', { reset: { dir: 'up', at: 60 } }),
    s('implicit TLS handshake: ServerHello cut', 'tls', { reset: { dir: 'down', at: 200 } }),
    s('implicit TLS handshake: closed (FIN)', 'tls', { truncate: { dir: 'down', at: 200 } }),
  ];
}

suite('sending through faults at every SMTP step, and kill -9 at each', () => {
  let s: SendServers;
  const proxies = {} as Record<Route, FaultProxy>;
  let root: string;
  let clear: Offsets;
  let steps: Step[] = [];
  /** Every run: its Message-ID, step, and how it ended. */
  const runs: { mid: string; step: Step; outcome: Outcome; how: 'fault' | 'kill' }[] = [];
  const open: OutboxHarness[] = [];

  const settings = (route: Route, idleMs = 4000): SmtpSettings => {
    const base = { host: '127.0.0.1', port: proxies[route].port, auth: { user: 'alice', password: 'alice-pw' }, timeouts: { connectMs: 3000, greetingMs: 3000, idleMs } };
    if (route === 'clear') return { ...base, security: 'plain', allowInsecureAuth: true };
    return { ...base, security: route === 'tls' ? 'tls' : 'starttls', tls: { ca: s.postfix.caPem, servername: 'localhost' } };
  };

  beforeAll(async () => {
    s = await startSendServers({ users: USERS });
    proxies.clear = await startFaultProxy({ host: '127.0.0.1', port: s.postfix.clearPort });
    proxies.starttls = await startFaultProxy({ host: '127.0.0.1', port: s.postfix.submissionPort });
    proxies.tls = await startFaultProxy({ host: '127.0.0.1', port: s.postfix.submissionsPort });
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-outbox-faults-'));
    // One faithful exchange on each way in, to find where each step starts.
    const calibration = plainMessage('calibrate', { size: SIZE });
    const transcript = async (route: Route) => {
      await sendRaw(settings(route), { from: 'alice@example.org', to: ['bob@example.org'], raw: calibration });
      let last = -1;
      for (let i = 0; i < 40 && proxies[route].lastBytes().down !== last; i++) {
        last = proxies[route].lastBytes().down;
        await sleep(50);
      }
      return proxies[route].lastTranscript();
    };
    clear = offsetsOf(await transcript('clear'), calibration);
    const st = await transcript('starttls');
    steps = [...clearSteps(clear), ...tlsSteps({ up: st.up.toString('latin1'), down: st.down.toString('latin1') })];
    await sleep(300);
    await s.dovecot.clear('bob');
  }, 60_000);

  afterAll(async () => {
    while (open.length) await open.pop()!.close();
    await Promise.all(Object.values(proxies).map((p) => p?.close()));
    await s?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it(`network faults: ${REPS} runs at each step (${REPS} × the steps), each ends sent once or "may have been sent"`, async () => {
    let current: Step = steps[0]!;
    const h = await openOutbox({
      dataDir: path.join(root, 'faults'),
      accountId: ACCOUNT,
      transport: () => settings(current.route, current.slow ? 800 : 4000),
      deps: { undoSeconds: 0, backoffMs: [100] },
    });
    open.push(h);
    const itemOf = async (id: string): Promise<OutboxItem | undefined> => (await h.outbox.status(ACCOUNT)).find((i) => i.id === id);
    const started = Date.now();
    let n = 0;
    for (let rep = 0; rep < REPS; rep++) {
      for (const step of steps) {
        current = step;
        const tag = `fault-${rep}-${n++}`;
        const proxy = proxies[step.route];
        const raw = plainMessage(tag, { size: SIZE });
        proxy.setPlan(step.plan(raw));
        const before = proxy.connections();
        const id = await h.outbox.enqueue(ACCOUNT, { raw, envelope: { from: 'alice@example.org', to: ['bob@example.org'] }, sendAt: Date.now() });
        // The first attempt meets the fault; once it is over, the way is clear for the retry.
        const first = await until(`${step.name}: the first attempt`, async () => {
          if (h.events.some((e) => e.kind === 'sent' && e.id === id)) return 'sent' as const;
          const i = await itemOf(id);
          return i && i.state !== 'waiting' && i.state !== 'sending' ? i.state : null;
        });
        proxy.setPlan(null);
        expect(proxy.connections(), step.name).toBeGreaterThan(before);
        expect(first, `${step.name}: nothing refused for good`).not.toBe('failed');
        const outcome = await until(`${step.name}: the end`, async () => {
          if (h.events.some((e) => e.kind === 'sent' && e.id === id)) return 'sent' as const;
          const i = await itemOf(id);
          return i?.state === 'maybe-sent' ? ('maybe-sent' as const) : null;
        });
        runs.push({ mid: `<${tag}@popbox.test>`, step, outcome, how: 'fault' });
      }
    }
    console.log(`outbox faults: ${runs.length} runs over ${steps.length} steps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 240_000);

  it(`kill -9 while the connection is held at each step (${KILL_REPS} each): after a restart, sent once or "may have been sent"`, async () => {
    const dataDir = path.join(root, 'killed');
    const cfgFile = path.join(root, 'child.json');
    const o = clear;
    type Hold = { name: string; dir: 'up' | 'down'; at: (raw: Buffer) => number; dotMayHaveGone: boolean; must?: 'maybe' | 'sent' };
    const hold = (name: string, dir: 'up' | 'down', offset: number | ((raw: Buffer) => number), dotMayHaveGone: boolean, must?: 'maybe' | 'sent'): Hold => ({
      name,
      dir,
      at: typeof offset === 'number' ? () => offset : offset,
      dotMayHaveGone,
      ...(must ? { must } : {}),
    });
    const holds: Hold[] = [
      hold('kill: greeting', 'down', 0, false),
      hold('kill: EHLO', 'up', o.up.ehlo + 3, false),
      hold('kill: AUTH', 'up', o.up.auth + 6, false),
      hold('kill: MAIL FROM', 'up', o.up.mail + 5, false),
      hold('kill: RCPT TO', 'up', o.up.rcpt + 5, false),
      hold('kill: DATA, before 354', 'down', o.down.go + 1, false),
      hold('kill: mid-body', 'up', o.body + 60 * 1024, true),
      hold('kill: right before the final dot', 'up', (raw) => o.dot(raw), true),
      hold('kill: after the final dot, before the 250', 'down', o.down.queued + 1, true, 'maybe'),
      // QUIT goes out only once the 250 is recorded: killed then, it is sent, not "may have been sent".
      hold('kill: after the 250, at QUIT', 'up', (raw) => o.quit(raw) + 1, true, 'sent'),
    ];
    const cfg = (enqueue: ChildConfig['enqueue']): ChildConfig => ({ dataDir, accountId: ACCOUNT, settings: settings('clear'), backoffMs: [100], enqueue });
    const proxy = proxies.clear;
    const killedRuns: { tag: string; step: Step }[] = [];
    let n = 0;
    for (let rep = 0; rep < KILL_REPS; rep++) {
      for (const hold of holds) {
        const tag = `kill-${rep}-${n++}`;
        // The child sends plainMessage(tag, SIZE): the same length as this one.
        const offset = hold.at(plainMessage(tag, { size: SIZE }));
        proxy.setPlan({ stall: { dir: hold.dir, at: offset, ms: 5000 } });
        const before = proxy.connections();
        await fs.writeFile(cfgFile, JSON.stringify(cfg([{ tag, size: SIZE }])));
        // Killed once the proxy holds the connection right at the step (the bytes before it went through).
        const r = await runChild(cfgFile, { when: () => proxy.connections() > before && proxy.lastBytes()[hold.dir] >= offset });
        proxy.setPlan(null);
        expect(r.killed, `${hold.name}: ${r.lastLine} ${r.stderr}`).toBe(true);
        expect(r.queued.map(([t]) => t), hold.name).toEqual([tag]);
        // The restart settles what the killed one left: sends it again, or says it may have been sent.
        await fs.writeFile(cfgFile, JSON.stringify(cfg([])));
        const again = await runChild(cfgFile, null);
        expect(again.code, again.stderr).toBe(0);
        killedRuns.push({ tag, step: { name: hold.name, route: 'clear', plan: () => ({}), dotMayHaveGone: hold.dotMayHaveGone, ...(hold.must === 'maybe' ? { mustBeMaybe: true } : {}), ...(hold.must === 'sent' ? { mustBeSent: true } : {}) } });
      }
    }
    // How each ended, from the outbox the user would open.
    const h = await openOutbox({ dataDir, accountId: ACCOUNT, transport: () => settings('clear') });
    open.push(h);
    const status = await h.outbox.status(ACCOUNT);
    const outboxFiles = new Map([...(await h.folderFiles('Outbox'))].map(([name, bytes]) => [name.slice(0, 16), messageIdIn(bytes)!]));
    const maybe = new Set(status.filter((i) => i.state === 'maybe-sent').map((i) => outboxFiles.get(i.id)));
    const sent = new Set([...(await h.folderFiles('Sent')).values()].map((b) => messageIdIn(b)));
    expect(status.filter((i) => i.state !== 'maybe-sent')).toEqual([]);
    for (const { tag, step } of killedRuns) {
      const mid = `<${tag}@popbox.test>`;
      const outcome: Outcome | null = sent.has(mid) ? 'sent' : maybe.has(mid) ? 'maybe-sent' : null;
      expect(outcome, `${step.name}: ${mid} is neither in Sent nor "may have been sent": lost`).not.toBeNull();
      runs.push({ mid, step, outcome: outcome!, how: 'kill' });
    }
  }, 240_000);

  it('counted at the server: none lost, none twice; "may have been sent" only where the dot could have gone, and always where its answer was cut off', async () => {
    expect(runs.length).toBeGreaterThanOrEqual(steps.length * REPS);
    // What reached bob, by Message-ID, once Postfix is done delivering.
    const count = async () => {
      const c = new Map<string, number>();
      for (const m of await s.dovecot.mailbox('bob')) {
        const mid = messageIdIn(m.bytes) ?? '(none)';
        c.set(mid, (c.get(mid) ?? 0) + 1);
      }
      return c;
    };
    let counts = await count();
    for (let stable = 0; stable < 3; ) {
      await sleep(300);
      const again = await count();
      stable = JSON.stringify([...again]) === JSON.stringify([...counts]) ? stable + 1 : 0;
      counts = again;
    }
    const tally = new Map<string, Record<string, number>>();
    for (const r of runs) {
      const delivered = counts.get(r.mid) ?? 0;
      const key = `${r.outcome}, delivered ${delivered}`;
      const t = tally.get(r.step.name) ?? {};
      t[key] = (t[key] ?? 0) + 1;
      tally.set(r.step.name, t);
    }
    const report = [...tally].map(([name, t]) => `  ${name}: ${JSON.stringify(t)}`).join('\n');
    console.log(`outbox faults and kills, ${runs.length} runs (${runs.filter((r) => r.how === 'kill').length} kill -9):\n${report}`);

    for (const r of runs) {
      const delivered = counts.get(r.mid) ?? 0;
      const where = `${r.step.name} (${r.how}): ${r.mid}`;
      // Never twice, silently or not.
      expect(delivered, `${where} delivered ${delivered} times`).toBeLessThanOrEqual(1);
      // Sent means delivered (once).
      if (r.outcome === 'sent') expect(delivered, `${where} is in Sent but never arrived`).toBe(1);
      // "May have been sent" only where the final dot could have left the client.
      if (r.outcome === 'maybe-sent') expect(r.step.dotMayHaveGone, `${where}: "may have been sent" before the dot could have gone`).toBe(true);
      // The server had the dot and its answer was cut off: the user is asked, and it did arrive once.
      if (r.step.mustBeSent) expect(r.outcome, `${where}`).toBe('sent');
      if (r.step.mustBeMaybe) {
        expect(r.outcome, `${where}`).toBe('maybe-sent');
        expect(delivered, `${where}`).toBe(1);
      }
    }
    // Nothing arrived that no run sent (a message the outbox does not know it sent).
    const known = new Set(runs.map((r) => r.mid));
    expect([...counts.keys()].filter((mid) => !known.has(mid))).toEqual([]);
  }, 60_000);
});
