/**
 * Recipients the server refuses while it takes the message for others (issue 15 §3, DESIGN §3
 * invariant 9), against real Postfix delivering into real Dovecot. Postfix refuses carol for now
 * (450, an access map) and nobody@ for good (550, no such mailbox), and takes bob:
 * - the user sees it: the item names each refused recipient with the server's words, and a
 *   message refused for good by someone is shown as "Sent, but not to …" once it is in Sent;
 * - carol is tried again, alone: a new attempt with only her in the envelope, the same bytes and
 *   Message-ID — bob never gets a second copy.
 */
import { beforeAll, expect, it } from 'vitest';
import type { OutboxItem } from '../../electron/core/outbox/index.js';
import type { SmtpSettings } from '../../electron/core/smtp/index.js';
import { messageIdIn, plainMessage, type OutboxHarness } from '../support/outbox-harness.js';
import { outboxSuite, submissionSettings } from '../support/outbox-suite.js';
import type { PostfixServer } from '../support/postfix.js';
import { sendSuite, type SendServers } from '../support/send-servers.js';
import { sleep, until } from '../support/servers.js';

const suite = sendSuite('the outbox refusal suite');
const USERS = ['alice', 'bob', 'carol'].map((name) => ({ name, password: `${name}-pw` }));
const ACCOUNT = 'acct-alice';

suite('recipients refused while others get the message', () => {
  const t = outboxSuite({
    name: 'refusals',
    accountId: ACCOUNT,
    servers: {
      users: USERS,
      extraPostfix: [{ extraMainCf: 'smtpd_recipient_restrictions = check_recipient_access inline:{ { carol@example.org = 450 4.2.1 Mailbox busy - try again later } }, permit_sasl_authenticated, reject\n' }],
    },
  });
  let s: SendServers;
  /** Refuses carol with 450 (try later) at RCPT TO; nobody@ is unknown (550) on every instance. */
  let strict: PostfixServer;
  beforeAll(() => {
    s = t.servers;
    strict = s.extra[0]!;
  });
  const settings = submissionSettings;
  const harness = (transport: () => SmtpSettings) => t.harness(transport, { backoffMs: [300, 300] });

  const itemOf = async (h: OutboxHarness, id: string): Promise<OutboxItem | undefined> => (await h.outbox.status(ACCOUNT)).find((i) => i.id === id);

  /** Message-IDs in a user's Maildir, counted, once Postfix has had time to deliver. */
  async function delivered(user: string, settleMs = 700): Promise<Record<string, number>> {
    await sleep(settleMs);
    const out: Record<string, number> = {};
    for (const m of await s.dovecot.mailbox(user)) {
      const id = messageIdIn(m.bytes) ?? '(none)';
      out[id] = (out[id] ?? 0) + 1;
    }
    return out;
  }

  it('refused for good by one recipient: delivered to the others, filed in Sent, and shown as "Sent, but not to …" with the server\'s words', async () => {
    const h = await harness(() => settings(s.postfix));
    const raw = plainMessage('partly-perm');
    const id = await h.outbox.enqueue(ACCOUNT, { raw, envelope: { from: 'alice@example.org', to: ['bob@example.org', 'nobody@example.org'] }, sendAt: Date.now() });
    const sent = await until('sent', async () => h.events.find((e) => e.kind === 'sent' && e.id === id));
    expect(sent).toMatchObject({ rejected: [expect.objectContaining({ address: 'nobody@example.org', code: 'rejected', responseCode: 550 })] });
    expect(await delivered('bob')).toEqual({ '<partly-perm@popbox.test>': 1 });
    // The exact bytes are in Sent, nothing in the Outbox folder.
    expect([...(await h.folderFiles('Sent')).values()].map((b) => b.equals(raw))).toEqual([true]);
    expect((await h.folderFiles('Outbox')).size).toBe(0);
    // What the Outbox view shows until the user dismisses it.
    const item = await itemOf(h, id);
    expect(item).toMatchObject({ state: 'sent', to: [], sentTo: ['bob@example.org'], nextAttemptAt: null });
    expect(item!.refused).toEqual([expect.objectContaining({ address: 'nobody@example.org', permanent: true, responseCode: 550, serverText: expect.stringMatching(/User unknown/i) })]);
    expect(item!.lastError?.message).toMatch(/^Sent, but not to nobody@example\.org: unknown recipient/);
    // Dismissing the notice leaves the message in Sent.
    await h.outbox.discard(id);
    expect(await itemOf(h, id)).toBeUndefined();
    expect((await h.folderFiles('Sent')).size).toBe(1);
    expect(await delivered('bob', 0)).toEqual({ '<partly-perm@popbox.test>': 1 });
  });

  it('refused for now by one recipient: shown while waiting, tried again for that recipient alone (same bytes, same Message-ID); nobody gets it twice', async () => {
    let server = strict;
    const h = await harness(() => settings(server));
    const raw = plainMessage('partly-temp');
    const id = await h.outbox.enqueue(ACCOUNT, { raw, envelope: { from: 'alice@example.org', to: ['bob@example.org', 'carol@example.org', 'nobody@example.org'] }, sendAt: Date.now() });
    const waiting = await until('carol waits for a retry', async () => {
      const i = await itemOf(h, id);
      return i?.state === 'retrying' ? i : null;
    });
    expect(waiting, JSON.stringify(waiting)).toMatchObject({ to: ['carol@example.org'], sentTo: ['bob@example.org'], attempts: 1 });
    expect(waiting.refused).toEqual([
      expect.objectContaining({ address: 'carol@example.org', permanent: false, responseCode: 450, serverText: expect.stringContaining('Mailbox busy - try again later') }),
      expect.objectContaining({ address: 'nobody@example.org', permanent: true, responseCode: 550 }),
    ]);
    expect(waiting.lastError?.message).toMatch(/carol@example\.org/);
    expect((await h.folderFiles('Outbox')).size).toBe(1);
    expect(await delivered('bob')).toEqual({ '<partly-temp@popbox.test>': 1 });
    expect(await delivered('carol', 0)).toEqual({});

    // Carol's mailbox is free again (the same Postfix, without the refusal).
    server = s.postfix;
    const sent = await until('sent', async () => h.events.find((e) => e.kind === 'sent' && e.id === id), 10_000);
    expect(sent).toMatchObject({ kind: 'sent' });
    expect(await delivered('carol')).toEqual({ '<partly-temp@popbox.test>': 1 });
    expect(await delivered('bob', 0)).toEqual({ '<partly-temp@popbox.test>': 1 });
    // Same bytes to carol as to bob (after the trace headers Postfix and Dovecot add).
    const [bobCopy] = await s.dovecot.mailbox('bob');
    const [carolCopy] = await s.dovecot.mailbox('carol');
    const body = (b: Buffer) => b.subarray(b.indexOf('From: Alice')).toString('latin1').replace(/\r\n/g, '\n');
    expect(body(carolCopy!.bytes)).toBe(body(bobCopy!.bytes));
    const item = await itemOf(h, id);
    expect(item).toMatchObject({ state: 'sent', sentTo: ['bob@example.org', 'carol@example.org'] });
    // Carol may have been refused once more before her mailbox was free: every attempt after the first was hers alone.
    expect(item!.attempts).toBeGreaterThanOrEqual(2);
    expect(item!.refused).toEqual([expect.objectContaining({ address: 'nobody@example.org', permanent: true })]);
    expect(item!.lastError?.message).toMatch(/^Sent, but not to nobody@example\.org: unknown recipient/);
    expect([...(await h.folderFiles('Sent')).values()].map((b) => b.equals(raw))).toEqual([true]);
  });

  it('a restart between the two attempts keeps who has it: only the waiting recipient is tried again', async () => {
    let server = strict;
    let h = await t.harness(() => settings(server), { backoffMs: [60_000] }, 'restart');
    const id = await h.outbox.enqueue(ACCOUNT, { raw: plainMessage('partly-restart'), envelope: { from: 'alice@example.org', to: ['bob@example.org', 'carol@example.org'] }, sendAt: Date.now() });
    await until('retrying', async () => (await itemOf(h, id))?.state === 'retrying');
    await t.close(h);
    server = s.postfix;
    h = await t.harness(() => settings(server), { backoffMs: [60_000] }, 'restart');
    expect(await itemOf(h, id)).toMatchObject({ state: 'retrying', to: ['carol@example.org'], sentTo: ['bob@example.org'] });
    await h.outbox.resend(id);
    await until('sent', async () => h.events.find((e) => e.kind === 'sent' && e.id === id));
    expect(await delivered('carol')).toEqual({ '<partly-restart@popbox.test>': 1 });
    expect(await delivered('bob', 0)).toEqual({ '<partly-restart@popbox.test>': 1 });
    // Nobody was refused for good: nothing left to show.
    expect(await itemOf(h, id)).toBeUndefined();
  });

  /** bob has it, carol waits (450): the state after a partly accepted attempt. */
  async function partlySent(tag: string, deps: { giveUpAfterMs?: number; backoffMs?: number[] } = {}) {
    const h = await t.harness(() => settings(strict), { backoffMs: [60_000], ...deps });
    const raw = plainMessage(tag);
    const id = await h.outbox.enqueue(ACCOUNT, { raw, envelope: { from: 'alice@example.org', to: ['bob@example.org', 'carol@example.org'] }, sendAt: Date.now() });
    await until('retrying', async () => (await itemOf(h, id))?.state === 'retrying');
    return { h, id, raw };
  }

  it('a message bob already has never goes back to Drafts (Undo, Edit): refused in plain words, still in the Outbox for carol', async () => {
    const { h, id } = await partlySent('partly-cancel');
    await expect(h.outbox.cancel(id)).rejects.toMatchObject({ code: 'invalid', message: 'Already sent to bob@example.org: it cannot go back to Drafts.' });
    expect((await h.folderFiles('Drafts')).size).toBe(0);
    expect((await h.folderFiles('Outbox')).size).toBe(1);
    expect(await itemOf(h, id)).toMatchObject({ state: 'retrying', to: ['carol@example.org'], sentTo: ['bob@example.org'] });
  });

  for (const how of ['discard', 'markSent'] as const) {
    it(`${how} of a message bob already has: filed in Sent (not Trash), "Sent, but not to carol@…" shown; bob got it once, carol never`, async () => {
      const { h, id, raw } = await partlySent(`partly-${how}`);
      await h.outbox[how](id);
      expect((await h.folderFiles('Trash')).size).toBe(0);
      expect((await h.folderFiles('Outbox')).size).toBe(0);
      expect([...(await h.folderFiles('Sent')).values()].map((b) => b.equals(raw))).toEqual([true]);
      const item = await itemOf(h, id);
      expect(item).toMatchObject({ state: 'sent', to: [], sentTo: ['bob@example.org'], nextAttemptAt: null });
      expect(item!.lastError?.message).toMatch(/^Sent, but not to carol@example\.org: /);
      expect(item!.refused).toEqual([expect.objectContaining({ address: 'carol@example.org', permanent: true, responseCode: 450 })]);
      await sleep(400);
      expect(h.events.filter((e) => e.kind === 'changed' && e.item.id === id && e.item.state === 'sending')).toHaveLength(1);
      // Only this message's own deliveries count: Postfix hands mail to Dovecot after its 250, so
      // the previous test's message to bob may land after that test's clean-up.
      const key = `<partly-${how}@popbox.test>`;
      const bob = await until('bob to have it', async () => ((await delivered('bob', 0))[key] ? delivered('bob', 300) : null));
      expect(bob[key]).toBe(1);
      expect((await delivered('carol', 0))[key]).toBeUndefined();
    });
  }

  it('carol refused for longer than the give-up time: no more attempts, filed in Sent with "Sent, but not to carol@…"', async () => {
    const { h, id, raw } = await partlySent('partly-expire', { giveUpAfterMs: 900, backoffMs: [250] });
    const item = await until('given up', async () => {
      const i = await itemOf(h, id);
      return i?.state === 'sent' ? i : null;
    });
    expect(item.lastError?.message).toMatch(/^Sent, but not to carol@example\.org: not reached within 900 ms/);
    expect([...(await h.folderFiles('Sent')).values()].map((b) => b.equals(raw))).toEqual([true]);
    expect((await h.folderFiles('Outbox')).size).toBe(0);
    const attempts = item.attempts;
    await sleep(800);
    expect((await itemOf(h, id))?.attempts).toBe(attempts);
    expect(await delivered('bob', 0)).toEqual({ '<partly-expire@popbox.test>': 1 });
  });

  it('failed after a partly send (the password changed): still never back to Drafts; discard files it in Sent', async () => {
    let password = 'alice-pw';
    const h = await t.harness(() => ({ ...settings(strict), auth: { user: 'alice', password } }), { backoffMs: [300] });
    const id = await h.outbox.enqueue(ACCOUNT, { raw: plainMessage('partly-failed'), envelope: { from: 'alice@example.org', to: ['bob@example.org', 'carol@example.org'] }, sendAt: Date.now() });
    await until('retrying', async () => (await itemOf(h, id))?.state === 'retrying');
    password = 'wrong';
    await until('failed', async () => (await itemOf(h, id))?.state === 'failed');
    await expect(h.outbox.cancel(id)).rejects.toMatchObject({ message: 'Already sent to bob@example.org: it cannot go back to Drafts.' });
    await h.outbox.discard(id);
    expect((await h.folderFiles('Trash')).size).toBe(0);
    expect((await h.folderFiles('Sent')).size).toBe(1);
    expect((await itemOf(h, id))?.lastError?.message).toMatch(/^Sent, but not to carol@example\.org/);
  });
});
