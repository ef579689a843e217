/**
 * The outbox's state file and what it decides after a crash (DESIGN §3 invariant 9), without a
 * server: an attempt cut off before its dot record is sent again, one after it is "may have
 * been sent", an accepted message still in the Outbox is filed in Sent without sending, a file
 * without its envelope goes to Drafts, a torn last record is dropped.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkedMessage } from '../../electron/core/outbox/outbox.js';
import { OutboxStateFile, backoffDelay, fold, nextDue, recoveryRecord, type OutboxRecord } from '../../electron/core/outbox/state.js';
import type { RawMessage, SendResult, SmtpSettings } from '../../electron/core/smtp/index.js';
import { SmtpError } from '../../electron/core/smtp/index.js';
import { messageIdIn, openOutbox, plainMessage, type OutboxHarness } from '../support/outbox-harness.js';

const ACCOUNT = 'acct';
const queued = (id: string, at = 1000, sendAt = at): OutboxRecord => ({ t: 'queued', id, at, from: 'a@example.org', to: ['b@example.org'], sendAt, size: 10 });

describe('fold and recovery', () => {
  it('an attempt with no outcome: sent again when its dot was not recorded, "may have been sent" when it was', () => {
    const sending = fold([queued('m1'), { t: 'attempt', id: 'm1', n: 1, at: 1100 }]).get('m1')!;
    expect(sending.phase).toBe('sending');
    const again = recoveryRecord(sending, 5000)!;
    expect(again).toMatchObject({ t: 'retry', n: 1, nextAt: 5000 });
    const after = fold([queued('m1'), { t: 'attempt', id: 'm1', n: 1, at: 1100 }, again]).get('m1')!;
    expect(after).toMatchObject({ phase: 'retrying', nextAttemptAt: 5000, attempts: 1 });

    const dot = fold([queued('m2'), { t: 'attempt', id: 'm2', n: 1, at: 1100 }, { t: 'dot', id: 'm2', n: 1, at: 1200 }]).get('m2')!;
    const maybe = recoveryRecord(dot, 5000)!;
    expect(maybe).toMatchObject({ t: 'maybe-sent', n: 1 });
    const shown = fold([queued('m2'), { t: 'attempt', id: 'm2', n: 1, at: 1100 }, { t: 'dot', id: 'm2', n: 1, at: 1200 }, maybe]).get('m2')!;
    expect(shown).toMatchObject({ phase: 'maybe-sent', nextAttemptAt: null });
    expect(shown.lastError?.message).toMatch(/may have been sent/);
  });

  it('nothing to recover for a message waiting, retrying, failed, maybe-sent or accepted', () => {
    const records: OutboxRecord[] = [
      queued('w'),
      queued('r'),
      { t: 'attempt', id: 'r', n: 1, at: 1 },
      { t: 'retry', id: 'r', n: 1, at: 2, nextAt: 3, error: { code: 'network', message: 'x' } },
      queued('f'),
      { t: 'attempt', id: 'f', n: 1, at: 1 },
      { t: 'failed', id: 'f', n: 1, at: 2, error: { code: 'rejected', message: 'x' } },
      queued('a'),
      { t: 'attempt', id: 'a', n: 1, at: 1 },
      { t: 'dot', id: 'a', n: 1, at: 1 },
      { t: 'accepted', id: 'a', n: 1, at: 2, response: '250 ok' },
    ];
    for (const e of fold(records).values()) expect(recoveryRecord(e, 10), e.id).toBeNull();
  });

  it('done forgets; records of unknown messages are ignored; resend zeroes the backoff count', () => {
    const entries = fold([
      { t: 'attempt', id: 'ghost', n: 1, at: 1 },
      queued('m'),
      { t: 'attempt', id: 'm', n: 1, at: 1 },
      { t: 'retry', id: 'm', n: 1, at: 2, nextAt: 3, error: { code: 'network', message: 'x' } },
      { t: 'attempt', id: 'm', n: 2, at: 4 },
      { t: 'retry', id: 'm', n: 2, at: 5, nextAt: 6, error: { code: 'network', message: 'x' } },
      queued('gone'),
      { t: 'done', id: 'gone', at: 7, folder: 'Sent' },
    ]);
    expect([...entries.keys()]).toEqual(['m']);
    expect(entries.get('m')).toMatchObject({ attempts: 2, failures: 2, phase: 'retrying' });
    const resent = fold([
      queued('m'),
      { t: 'attempt', id: 'm', n: 1, at: 1 },
      { t: 'failed', id: 'm', n: 1, at: 2, error: { code: 'auth', message: 'x' } },
      { t: 'resend', id: 'm', at: 9 },
    ]).get('m')!;
    expect(resent).toMatchObject({ phase: 'waiting', failures: 0, attempts: 1, nextAttemptAt: 9 });
  });

  it('backoff: 1, 5, 15 minutes, then every hour', () => {
    expect([1, 2, 3, 4, 5, 50].map((n) => backoffDelay(n) / 60_000)).toEqual([1, 5, 15, 60, 60, 60]);
    expect(backoffDelay(0, [100, 200])).toBe(100);
  });

  it('the next due message: the earliest, queue order on a tie; never one that waits for the user', () => {
    const entries = fold([
      queued('late', 1, 500),
      queued('first', 2, 100),
      queued('tie', 3, 100),
      queued('maybe', 0, 0),
      { t: 'attempt', id: 'maybe', n: 1, at: 1 },
      { t: 'maybe-sent', id: 'maybe', n: 1, at: 2, error: { code: 'timeout', message: 'x' } },
    ]);
    expect(nextDue(entries.values())?.id).toBe('first');
    expect(nextDue(fold([queued('x'), { t: 'attempt', id: 'x', n: 1, at: 1 }]).values())).toBeNull();
  });
});

describe('the state file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-outbox-state-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a record torn by a crash is dropped, and the next append starts on a line of its own', async () => {
    const file = path.join(dir, 'outbox.jsonl');
    const st = await OutboxStateFile.open(file);
    await st.append(queued('m'), { t: 'attempt', id: 'm', n: 1, at: 2 });
    await fs.appendFile(file, '{"t":"dot","id":"m","n":1,"a'); // killed mid-write
    const again = await OutboxStateFile.open(file);
    expect(again.get('m')?.phase).toBe('sending'); // so recovery sends it again: the dot never went out
    await again.append({ t: 'dot', id: 'm', n: 1, at: 3 });
    expect((await OutboxStateFile.open(file)).get('m')?.phase).toBe('dot');
  });

  it('compaction keeps every live entry exactly (any history of records)', async () => {
    const rec = fc.oneof(
      fc.constantFrom<OutboxRecord['t']>('attempt', 'dot', 'accepted', 'retry', 'maybe-sent', 'failed', 'resend', 'cancel', 'done'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), rec), { maxLength: 40 }), async (steps) => {
        const file = path.join(dir, `c-${Math.random().toString(36).slice(2)}.jsonl`);
        const st = await OutboxStateFile.open(file);
        const ids = ['a', 'b', 'c', 'd'];
        for (const id of ids) await st.append(queued(id));
        let at = 10;
        for (const [i, t] of steps) {
          const id = ids[i]!;
          const n = (st.get(id)?.attempts ?? 0) + (t === 'attempt' ? 1 : 0);
          const error = { code: 'network', message: 'm' };
          const r: OutboxRecord =
            t === 'attempt' || t === 'dot'
              ? { t, id, n, at: at++ }
              : t === 'accepted'
                ? { t, id, n, at: at++, response: '250' }
                : t === 'retry'
                  ? { t, id, n, at: at++, error, nextAt: at + 5 }
                  : t === 'maybe-sent' || t === 'failed'
                    ? { t, id, n, at: at++, error }
                    : t === 'done'
                      ? { t, id, at: at++, folder: 'Sent' }
                      : { t: t as 'resend' | 'cancel', id, at: at++ };
          await st.append(r);
        }
        const before = JSON.stringify(st.all());
        await st.compact();
        expect(JSON.stringify((await OutboxStateFile.open(file)).all())).toBe(before);
      }),
      { numRuns: 30 },
    );
  });
});

describe('checkedMessage: the bytes filed are the bytes sent', () => {
  it('refuses bare LF and bare CR, adds a missing final CRLF, keeps CRLF text as it is', () => {
    expect(() => checkedMessage(Buffer.from('A: b\nc'))).toThrow(/bare line feed at byte 4/);
    expect(() => checkedMessage(Buffer.from('A: b\rc\r\n'))).toThrow(/bare carriage return/);
    expect(() => checkedMessage(Buffer.alloc(0))).toThrow(/empty/);
    expect(checkedMessage(Buffer.from('A: b\r\n\r\nx')).toString()).toBe('A: b\r\n\r\nx\r\n');
    const ok = Buffer.from('A: b\r\n\r\nx\r\n');
    expect(checkedMessage(ok)).toBe(ok);
  });
});

describe('the outbox after a crash (no server: the send is counted)', () => {
  let dataDir: string;
  const open: OutboxHarness[] = [];
  const settings: SmtpSettings = { host: '127.0.0.1', port: 1, security: 'plain' };

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-outbox-rec-'));
  });
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  /** An outbox whose sends are recorded and answered by `answer` (a 250 unless it throws). */
  async function outbox(answer: (m: RawMessage) => Promise<SendResult> | SendResult = () => ({ accepted: ['b@example.org'], rejected: [], response: '250 2.0.0 Ok' })) {
    const sends: RawMessage[] = [];
    const h = await openOutbox({
      dataDir,
      accountId: ACCOUNT,
      transport: () => settings,
      deps: {
        undoSeconds: 3600,
        send: async (_s, m) => {
          sends.push(m);
          if (m.raw && typeof (m.raw as NodeJS.ReadableStream).resume === 'function') (m.raw as NodeJS.ReadableStream).resume();
          await m.beforeFinalDot?.();
          return answer(m);
        },
      },
    });
    open.push(h);
    return { h, sends };
  }

  /** Queue one message (held for an hour), then stop that outbox as a crash would leave it. */
  async function queuedMessage(tag: string): Promise<string> {
    const { h } = await outbox();
    const id = await h.outbox.enqueue(ACCOUNT, { raw: plainMessage(tag), envelope: { from: 'a@example.org', to: ['b@example.org'] } });
    await h.close();
    open.splice(open.indexOf(h), 1);
    return id;
  }

  const stateFile = () => path.join(dataDir, 'accounts', ACCOUNT, 'outbox.jsonl');
  const appendState = (...records: OutboxRecord[]) => fs.appendFile(stateFile(), records.map((r) => `${JSON.stringify(r)}\n`).join(''));

  it('accepted but still in the Outbox: filed in Sent, never sent again', async () => {
    const id = await queuedMessage('accepted-unfiled');
    await appendState({ t: 'attempt', id, n: 1, at: 1 }, { t: 'dot', id, n: 1, at: 2 }, { t: 'accepted', id, n: 1, at: 3, response: '250 ok' });
    const { h, sends } = await outbox();
    await h.outbox.start();
    await h.outbox.idle();
    expect(sends).toHaveLength(0);
    expect([...(await h.folderFiles('Sent')).keys()]).toEqual([`${id}:2,S`]);
    expect((await h.folderFiles('Outbox')).size).toBe(0);
    expect(h.journal.get(id)?.folder).toBe('Sent');
    expect(await h.outbox.status()).toEqual([]);
  });

  it('cut off before the dot record: sent again, once', async () => {
    const id = await queuedMessage('before-dot');
    await appendState({ t: 'attempt', id, n: 1, at: 1 }, { t: 'resend', id, at: 0 }); // due now (the hold is over)
    await appendState({ t: 'attempt', id, n: 2, at: 2 });
    const { h, sends } = await outbox();
    await h.outbox.start();
    await h.outbox.idle();
    expect(sends).toHaveLength(1);
    expect(sends[0]!.to).toEqual(['b@example.org']);
    expect((await h.folderFiles('Sent')).has(`${id}:2,S`)).toBe(true);
    const records = (await fs.readFile(stateFile(), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as OutboxRecord);
    expect(records.map((r) => r.t)).toEqual(['queued', 'attempt', 'resend', 'attempt', 'retry', 'attempt', 'dot', 'accepted', 'done']);
  });

  it('cut off after the dot record: "may have been sent", not sent; Send again sends it', async () => {
    const id = await queuedMessage('after-dot');
    await appendState({ t: 'attempt', id, n: 1, at: 1 }, { t: 'dot', id, n: 1, at: 2 });
    const { h, sends } = await outbox();
    await h.outbox.start();
    await h.outbox.idle();
    expect(sends).toHaveLength(0);
    const [item] = await h.outbox.status(ACCOUNT);
    expect(item).toMatchObject({ id, state: 'maybe-sent', attempts: 1, nextAttemptAt: null });
    // Never without the person's yes (the app's native dialog, the CLI's command).
    await expect(h.outbox.resend(id)).rejects.toMatchObject({ message: expect.stringMatching(/needs your confirmation/) });
    expect(sends).toHaveLength(0);
    await h.outbox.resend(id, { confirmed: true });
    await h.outbox.idle();
    expect(sends).toHaveLength(1);
    expect(messageIdIn((await h.folderFiles('Sent')).get(`${id}:2,S`)!)).toBe('<after-dot@popbox.test>');
  });

  it('a file in the Outbox without an envelope goes to Drafts; an envelope without its file is forgotten', async () => {
    const id = await queuedMessage('stray');
    await fs.rm(stateFile());
    await appendState(queued('0123456789abcdef', 1, 0));
    const { h, sends } = await outbox();
    await h.outbox.start();
    await h.outbox.idle();
    expect(sends).toHaveLength(0);
    expect([...(await h.folderFiles('Drafts')).keys()]).toEqual([`${id}:2,S`]);
    expect(h.journal.get(id)?.folder).toBe('Drafts');
    expect(await h.outbox.status()).toEqual([]);
  });

  it('a network failure before the dot: retrying after the first wait (a minute); it can still go back to Drafts', async () => {
    const { h, sends } = await outbox(() => {
      throw new SmtpError('network', 'lost', { stage: 'data' });
    });
    const id = await h.outbox.enqueue(ACCOUNT, { raw: plainMessage('net'), envelope: { from: 'a@example.org', to: ['b@example.org'] }, sendAt: 0 });
    await h.outbox.idle();
    expect(sends.length).toBeGreaterThanOrEqual(1);
    const [item] = await h.outbox.status(ACCOUNT);
    expect(item).toMatchObject({ id, state: 'retrying', lastError: { code: 'network' } });
    expect(item!.nextAttemptAt! - Date.now()).toBeGreaterThan(50_000); // the first wait is a minute
    await h.outbox.cancel(id);
    expect((await h.folderFiles('Drafts')).has(`${id}:2,S`)).toBe(true);
  });
});

describe('recipients refused while others got it (no server: the answers are scripted)', () => {
  let dataDir: string;
  const open: OutboxHarness[] = [];
  const settings: SmtpSettings = { host: '127.0.0.1', port: 1, security: 'plain' };

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-outbox-refused-'));
  });
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  async function outbox(answers: ((m: RawMessage) => SendResult)[]) {
    const sends: RawMessage[] = [];
    const h = await openOutbox({
      dataDir,
      accountId: ACCOUNT,
      transport: () => settings,
      deps: {
        undoSeconds: 0,
        backoffMs: [20],
        send: async (_s, m) => {
          sends.push(m);
          (m.raw as NodeJS.ReadableStream).resume();
          await m.beforeFinalDot?.();
          return answers[Math.min(sends.length, answers.length) - 1]!(m);
        },
      },
    });
    open.push(h);
    return { h, sends };
  }

  const until = async <T>(probe: () => Promise<T | undefined | null | false>): Promise<T> => {
    for (let i = 0; i < 400; i++) {
      const v = await probe();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('timed out');
  };

  it('a 4xx recipient is tried again alone until the server takes it; the 5xx one is shown as "Sent, but not to …" until dismissed', async () => {
    const { h, sends } = await outbox([
      () => ({
        accepted: ['b@example.org'],
        rejected: [
          { address: 'c@example.org', code: 'sys-temp', responseCode: 452, serverText: '4.2.2 Mailbox full, try later' },
          { address: 'd@example.org', code: 'rejected', responseCode: 550, serverText: '5.1.1 <d@example.org>: Recipient address rejected: User unknown' },
        ],
        response: '250 2.0.0 Ok',
      }),
      () => ({ accepted: [], rejected: [{ address: 'c@example.org', code: 'sys-temp', responseCode: 452 }], response: '250 2.0.0 Ok' }),
      () => ({ accepted: ['c@example.org'], rejected: [], response: '250 2.0.0 Ok' }),
    ]);
    const id = await h.outbox.enqueue(ACCOUNT, { raw: plainMessage('partly'), envelope: { from: 'a@example.org', to: ['b@example.org', 'c@example.org', 'd@example.org'] }, sendAt: Date.now() });
    const item = await until(async () => (await h.outbox.status(ACCOUNT)).find((i) => i.id === id && i.state === 'sent'));
    expect(sends.map((m) => m.to)).toEqual([['b@example.org', 'c@example.org', 'd@example.org'], ['c@example.org'], ['c@example.org']]);
    expect(item).toMatchObject({ sentTo: ['b@example.org', 'c@example.org'], to: [], attempts: 3 });
    expect(item.refused).toEqual([expect.objectContaining({ address: 'd@example.org', permanent: true, responseCode: 550 })]);
    expect(item.lastError).toMatchObject({ code: 'rejected', message: expect.stringMatching(/^Sent, but not to d@example\.org: unknown recipient \(the server said 550 5\.1\.1 /) });
    expect((await h.folderFiles('Sent')).size).toBe(1);
    // It has been sent: not again, not back to Drafts.
    await expect(h.outbox.resend(id)).rejects.toThrow(/has been sent/);
    await expect(h.outbox.cancel(id)).rejects.toThrow(/^Already sent to b@example\.org, c@example\.org: it cannot go back to Drafts\.$/);
    // After a restart the notice is still there, and the message is not sent again.
    await h.close();
    open.pop();
    const again = await outbox([() => ({ accepted: ['x'], rejected: [], response: '250' })]);
    await again.h.outbox.start();
    await again.h.outbox.idle();
    expect(again.sends).toEqual([]);
    expect((await again.h.outbox.status(ACCOUNT)).map((i) => [i.id, i.state])).toEqual([[id, 'sent']]);
    await again.h.outbox.discard(id);
    expect(await again.h.outbox.status(ACCOUNT)).toEqual([]);
    expect((await again.h.folderFiles('Sent')).size).toBe(1);
    expect((await again.h.folderFiles('Trash')).size).toBe(0);
  });

  it('the plain words for a refusal keep the server\'s', async () => {
    const { refusalOf, refusalsMessage } = await import('../../electron/core/outbox/refusals.js');
    const unknown = refusalOf({ address: 'x@y.org', code: 'rejected', responseCode: 550, serverText: '5.1.1 No such user here' });
    const relay = refusalOf({ address: 'r@elsewhere.org', code: 'rejected', responseCode: 554, serverText: '5.7.1 <r@elsewhere.org>: Relay access denied' });
    const later = refusalOf({ address: 'l@y.org', code: 'sys-temp', responseCode: 450 });
    expect(unknown).toEqual({ address: 'x@y.org', permanent: true, responseCode: 550, serverText: '5.1.1 No such user here', message: 'not to x@y.org: unknown recipient (the server said 550 5.1.1 No such user here)' });
    expect(relay.message).toMatch(/: relay denied \(the server said 554 /);
    expect(later).toMatchObject({ permanent: false, message: 'not to l@y.org: refused for now, tried again later (the server said 450)' });
    expect(refusalsMessage(['b@y.org'], [later])).toBe('Sent to b@y.org; not yet to l@y.org: refused for now, tried again later (the server said 450)');
    expect(refusalsMessage(['b@y.org'], [unknown, later])).toMatch(/^Sent, but not to x@y\.org: unknown recipient .*; not yet to l@y\.org/);
  });
});
