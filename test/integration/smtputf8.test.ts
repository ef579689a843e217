/**
 * Addresses with letters beyond ASCII before the "@" (jörg@example.org; RFC 6531/6532), sent
 * the way Send sends (buildMessage, then the Outbox) through real Postfix into real Dovecot:
 * - where the server offers SMTPUTF8 (Postfix 3.7's default), the envelope goes with
 *   MAIL FROM … SMTPUTF8 and the message arrives with the UTF-8 address in its headers byte for
 *   byte (Postfix maps jörg@ to bob by a virtual alias, so it lands in a Maildir POP3 reads);
 * - where it does not (smtputf8_enable = no), the message stays in the Outbox, failed for good
 *   (not retried), with words that name the address, and nothing is delivered.
 */
import fs from 'node:fs/promises';
import { beforeAll, expect, it } from 'vitest';
import type { Identity } from '../../shared/accounts.js';
import { buildMessage } from '../../electron/core/compose/build-message.js';
import type { OutboxItem } from '../../electron/core/outbox/index.js';
import type { OutboxHarness } from '../support/outbox-harness.js';
import { outboxSuite, submissionSettings } from '../support/outbox-suite.js';
import type { PostfixServer } from '../support/postfix.js';
import { sendSuite, type SendServers } from '../support/send-servers.js';
import { nobodyAccount, sleep, until } from '../support/servers.js';

const suite = sendSuite('the SMTPUTF8 suite');
const USERS = ['alice', 'bob'].map((name) => ({ name, password: `${name}-pw` }));
const ACCOUNT = 'acct-alice';
const alice: Identity = { id: 'alice', name: 'Alice', address: 'alice@example.org' };
/** jörg@ has no mailbox of its own: Postfix hands his mail to bob (the key is UTF-8, which Postfix takes with SMTPUTF8 on). */
const ALIAS = 'virtual_alias_maps = inline:{ jörg@example.org=bob@example.org }\n';

/**
 * Dovecot 2.3's LMTP does not offer SMTPUTF8, so Postfix bounces a message whose headers hold a
 * UTF-8 address rather than hand it over ("SMTPUTF8 is required, but was not offered", 5.6.7).
 * Here Postfix writes into bob's Maildir itself (virtual(8), as Dovecot's mail user), the one
 * POP3 serves; a real provider's delivery agent must take SMTPUTF8 for such mail to arrive.
 */
function deliverItself(s: SendServers): string {
  const mailUser = nobodyAccount()!; // Dovecot's mail uid/gid (dovecot.ts)
  return [
    'virtual_transport = virtual',
    `virtual_mailbox_base = ${s.dovecot.dir}/home`,
    'virtual_mailbox_maps = inline:{ alice@example.org=alice/Maildir/, bob@example.org=bob/Maildir/ }',
    `virtual_uid_maps = static:${mailUser.uid}`,
    `virtual_gid_maps = static:${mailUser.gid}`,
    '',
  ].join('\n');
}

suite('international addresses (SMTPUTF8) through Postfix', () => {
  const t = outboxSuite({ name: 'smtputf8', accountId: ACCOUNT, servers: { users: USERS, extraPostfix: [{ extraMainCf: `${ALIAS}smtputf8_enable = no\n` }] }, deps: { backoffMs: [200, 200] } });
  let s: SendServers;
  /** The same Postfix without SMTPUTF8. */
  let plain: PostfixServer;
  /** With SMTPUTF8 (Postfix's default), delivering into the Maildirs itself. */
  let intl: PostfixServer;

  beforeAll(async () => {
    s = t.servers;
    plain = s.extra[0]!;
    for (const u of USERS) await s.dovecot.clear(u.name);
    intl = await s.addPostfix({ extraMainCf: ALIAS + deliverItself(s) });
  });

  const harness = (server: PostfixServer): Promise<OutboxHarness> => t.harness(() => submissionSettings(server));

  const itemOf = async (h: OutboxHarness, id: string): Promise<OutboxItem | undefined> => (await h.outbox.status(ACCOUNT)).find((i) => i.id === id);

  it('to jörg@example.org through a server with SMTPUTF8: MAIL FROM … SMTPUTF8, delivered, the UTF-8 address in the headers byte for byte', async () => {
    const built = await buildMessage(alice, { to: ['Jörg Müller <jörg@example.org>'], subject: 'Grüße', text: 'Hallo Jörg\n' });
    expect(built.envelope.to).toEqual(['jörg@example.org']);
    const h = await harness(intl);
    const id = await h.outbox.enqueue(ACCOUNT, { raw: built.raw, envelope: built.envelope, sendAt: Date.now() });
    const sent = await until('sent', async () => h.events.find((e) => e.kind === 'sent' && e.id === id));
    expect(sent).toMatchObject({ kind: 'sent' });
    const got = await until('delivered to bob', async () => {
      const box = await s.dovecot.mailbox('bob');
      return box.length ? box : null;
    }).catch(async (e: Error) => {
      throw new Error(`${e.message}; Postfix logged: ${(await fs.readFile(intl.logPath, 'utf8')).slice(-3000)}`);
    });
    expect(got).toHaveLength(1);
    const bytes = got[0]!.bytes;
    // The header as built, UTF-8 bytes and all (Dovecot keeps LF on disk).
    expect(bytes.includes(Buffer.from('To: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <jörg@example.org>\n', 'utf8'))).toBe(true);
    expect(bytes.includes(Buffer.from(`Message-ID: ${built.messageId}\n`))).toBe(true);
    // The envelope carried jörg@ itself (Postfix then aliased it to bob), which only SMTPUTF8 allows.
    const log = async () => fs.readFile(intl.logPath, 'utf8');
    await until('the delivery logged', async () => /status=sent/.test(await log()));
    expect(await log()).toMatch(/to=<bob@example\.org>, orig_to=<jörg@example\.org>.*status=sent/);
    // Sent holds the bytes sent; the Outbox folder is empty.
    expect([...(await h.folderFiles('Sent')).values()].map((b) => b.equals(built.raw))).toEqual([true]);
    expect((await h.folderFiles('Outbox')).size).toBe(0);
  });

  it('from jörg@example.org (an identity beyond ASCII) to bob: delivered, From in UTF-8 byte for byte, the envelope sender as is', async () => {
    const jorg: Identity = { id: 'jorg', name: 'Jörg', address: 'jörg@example.org' };
    const built = await buildMessage(jorg, { to: ['bob@example.org'], subject: 'von Jörg', text: 'Hallo Bob\n' });
    const h = await harness(intl);
    const id = await h.outbox.enqueue(ACCOUNT, { raw: built.raw, envelope: built.envelope, sendAt: Date.now() });
    await until('sent', async () => h.events.find((e) => e.kind === 'sent' && e.id === id));
    const got = await until('delivered to bob', async () => {
      const box = await s.dovecot.mailbox('bob');
      return box.length ? box : null;
    });
    expect(got[0]!.bytes.includes(Buffer.from('From: =?UTF-8?Q?J=C3=B6rg?= <jörg@example.org>\n', 'utf8'))).toBe(true);
    const log = async () => fs.readFile(intl.logPath, 'utf8');
    await until('the sender logged', async () => log().then((l) => l.includes('from=<jörg@example.org>')));
  });

  it('through a server without SMTPUTF8: stays in the Outbox, failed for good with words naming the address, never retried, nothing delivered', async () => {
    const built = await buildMessage(alice, { to: ['jörg@example.org'], cc: ['bob@example.org'], subject: 'Grüße', text: 'Hallo\n' });
    const h = await harness(plain);
    const id = await h.outbox.enqueue(ACCOUNT, { raw: built.raw, envelope: built.envelope, sendAt: Date.now() });
    const failed = await until('failed', async () => {
      const i = await itemOf(h, id);
      return i?.state === 'failed' ? i : null;
    });
    expect(failed.lastError).toMatchObject({ code: 'unsupported', message: expect.stringMatching(/^jörg@example\.org needs a server that accepts international addresses \(SMTPUTF8\); this one \(127\.0\.0\.1:\d+\) does not$/) });
    // Not tried again: after several backoff periods it is still one attempt, still failed.
    await sleep(1000);
    expect(await itemOf(h, id)).toMatchObject({ state: 'failed', attempts: 1, nextAttemptAt: null });
    expect([...(await h.folderFiles('Outbox')).values()].map((b) => b.equals(built.raw))).toEqual([true]);
    expect((await h.folderFiles('Sent')).size).toBe(0);
    expect(await s.dovecot.mailbox('bob')).toHaveLength(0);
  });
});
