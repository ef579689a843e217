/**
 * Writing mail end to end (issue 15 §2) through a real Postfix and Dovecot on loopback: a reply
 * to a real message from the SpamAssassin corpus, started with MailService.composeFrom, sent,
 * and read back by POP3 in the recipient's account; a forward that keeps the original's
 * attachments byte for byte; a forward as attachment that carries the whole message.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AccountSettings } from '../../shared/accounts.js';
import { decodeFlowed } from '../../electron/core/compose/flowed.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { sendSuite, startSendServers, type SendServers } from '../support/send-servers.js';
import { sleep } from '../support/servers.js';
import { corpusFile } from '../support/spam-corpus.js';

const suite = sendSuite('the compose-through-Postfix suite');
const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
];


/** Replace a top-level header line (the corpus message's people become our test users). */
function setHeader(msg: Buffer, key: string, value: string): Buffer {
  const text = msg.toString('latin1');
  const end = text.indexOf('\n\n');
  const head = text.slice(0, end).replace(new RegExp(`^${key}:.*$`, 'im'), `${key}: ${value}`);
  return Buffer.from(head + text.slice(end), 'latin1');
}

/** The text/plain part's transfer-decoded body as it travelled (format=flowed still in it). */
function rawTextPart(raw: Buffer): { contentType: string; body: string } {
  const s = raw.toString('latin1');
  // The part's header block (its fields in any order), then its body up to the next boundary (or the end).
  const m = /(?:^|\r\n)((?:[A-Za-z-]+: [^\r\n]*\r\n)*Content-Type: text\/plain[^\r\n]*\r\n(?:[A-Za-z-]+: [^\r\n]*\r\n)*)\r\n/i.exec(s);
  if (!m) throw new Error('no text/plain part');
  const head = m[1]!;
  const encoding = (/Content-Transfer-Encoding: ([^\r\n]+)/i.exec(head)?.[1] ?? '7bit').toLowerCase();
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(s.slice(0, m.index))?.[1];
  const from = m.index + m[0].length;
  const to = boundary ? s.indexOf(`\r\n--${boundary}`, from) : s.length;
  const body = s.slice(from, to).replace(/\r\n$/, '');
  const contentType = /Content-Type: ([^\r\n]+)/i.exec(head)![1]!;
  let bytes: Buffer;
  if (encoding === 'quoted-printable') bytes = Buffer.from(body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  else if (encoding === 'base64') bytes = Buffer.from(body, 'base64');
  else bytes = Buffer.from(body, 'latin1');
  return { contentType, body: bytes.toString('utf8') };
}

suite('compose → send → POP3 (Postfix + Dovecot)', () => {
  let servers: SendServers;
  let dataDir: string;
  let service: MailService;
  let alice: AccountSettings;
  let bob: AccountSettings;

  beforeAll(async () => {
    servers = await startSendServers({ users: USERS });
    const { dovecot: dc, postfix: pf } = servers;
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-compose-postfix-'));
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    const pop = (user: string) => ({ email: `${user}@example.org`, host: '127.0.0.1', port: dc.tlsPort, security: 'tls' as const, user, tlsFingerprint: dc.fingerprint256, password: { source: 'keychain' as const } });
    alice = await service.addAccount(
      {
        ...pop('alice'),
        name: 'Alice',
        smtp: { host: '127.0.0.1', port: pf.submissionsPort, security: 'tls', user: 'alice', tlsFingerprint: pf.fingerprint256, password: { source: 'incoming' } },
        identities: [{ id: 'alice', name: 'Alice Ämber', address: 'alice@example.org', signature: 'Alice\nexample.org' }],
      },
      'alice-pw',
    );
    bob = await service.addAccount({ ...pop('bob'), name: 'Bob' }, 'bob-pw');
  }, 120_000);

  afterAll(async () => {
    await service?.close();
    await servers?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  /** Sync `accountId` until a message with this Message-ID is stored; its bytes and parse. */
  async function receive(accountId: string, messageId: string): Promise<{ id: string; raw: Buffer; mail: ParsedMail }> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [outcome] = await service.sync([accountId]);
      expect(outcome).toMatchObject({ ok: true });
      const m = service.messages({ accountId }).find((x) => x.summary.messageId === messageId);
      if (m) {
        const raw = await fs.readFile(m.path);
        return { id: m.id, raw, mail: await simpleParser(raw) };
      }
      if (Date.now() > deadline) throw new Error(`${messageId} did not arrive`);
      await sleep(200);
    }
  }

  it('a reply to a corpus message: Re: once, In-Reply-To/References, quoted original, and format=flowed that decodes to what was typed', async () => {
    let original = await corpusFile('easy-ham-1/00005.bf27cdeaf0b8c4647ecd61b1d09da613.txt');
    // The mailing list stands in as Bob (Reply-To), the list address as Alice (To).
    original = setHeader(setHeader(original, 'Reply-To', 'Bob the List <bob@example.org>'), 'To', 'alice@example.org');
    await servers.dovecot.deliver('alice', [original]);
    const got = await receive(alice.id, '<3D64E94E.8060301@ee.ed.ac.uk>');

    const draft = await service.composeFrom('reply', { id: got.id });
    expect(draft).toMatchObject({ accountId: alice.id, identityId: 'alice', to: ['Bob the List <bob@example.org>'], cc: [], subject: 'Re: [zzzzteana] Nothing like mama used to make', inReplyTo: '<3D64E94E.8060301@ee.ed.ac.uk>' });
    expect(draft.references).toEqual(['<3D64F325.11319.61EA648@localhost>', '<3D64E94E.8060301@ee.ed.ac.uk>']);

    const typed = `Carbonara ohne Sahne, natürlich! ${'Eier, Pecorino, Guanciale und schwarzer Pfeffer — mehr braucht es nicht. '.repeat(3).trim()}\n From the pan, never the pot.`;
    const text = `${typed}${draft.text}`;
    const { messageId } = await service.send({ accountId: draft.accountId, identityId: draft.identityId!, to: draft.to, cc: draft.cc, subject: draft.subject, text, inReplyTo: draft.inReplyTo!, references: draft.references, now: true });

    const back = await receive(bob.id, messageId);
    const mail = back.mail;
    expect(mail.subject).toBe('Re: [zzzzteana] Nothing like mama used to make');
    expect(mail.inReplyTo).toBe('<3D64E94E.8060301@ee.ed.ac.uk>');
    expect(mail.references).toEqual(['<3D64F325.11319.61EA648@localhost>', '<3D64E94E.8060301@ee.ed.ac.uk>']);
    expect(mail.from?.value).toEqual([{ name: 'Alice Ämber', address: 'alice@example.org' }]);

    const part = rawTextPart(back.raw);
    expect(part.contentType).toMatch(/text\/plain; charset=utf-8; format=flowed/i);
    const lines = part.body.split('\r\n');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(78);
    expect(lines.filter((l) => l.endsWith(' ') && l !== '-- ').length).toBeGreaterThan(1); // the typed paragraph was soft-wrapped
    const decoded = decodeFlowed(part.body);
    expect(decoded.startsWith(`${typed}\n\n-- \nAlice\nexample.org\n\nOn Thu, `)).toBe(true);
    expect(decoded).toContain('Stewart Smith <Stewart.Smith@ee.ed.ac.uk> wrote:\n>>  in adding cream to spaghetti carbonara');
    expect(decoded).toContain('\n> I just had to jump in here as Carbonara is one of my favourites to make and ask\n');
    // mailparser, a flowed-aware reader, shows the same
    expect(mail.text?.replace(/\r\n/g, '\n').startsWith(typed)).toBe(true);
    // Alice's Sent copy is the same message.
    const deadline = Date.now() + 10_000;
    while (!service.messages({ accountId: alice.id }).some((m) => m.folder === 'Sent' && m.summary.messageId === messageId) && Date.now() < deadline) await sleep(100);
    expect(service.messages({ accountId: alice.id }).some((m) => m.folder === 'Sent' && m.summary.messageId === messageId)).toBe(true);
  }, 120_000);

  it('Forward keeps the original\'s attachments byte for byte; Forward as attachment carries the whole message', async () => {
    const binary = randomBytes(300 * 1024);
    const csv = Buffer.from('a,b\nc,d\r\ne,"f\rg"\n', 'latin1');
    const original = await new MailComposer({
      from: 'Bob <bob@example.org>',
      to: 'alice@example.org',
      subject: 'Fwd: Files für dich',
      messageId: '<files-1@popbox.test>',
      text: 'Two files attached.\n',
      attachments: [
        { filename: 'daten.bin', content: binary, contentType: 'application/octet-stream' },
        { filename: 'tabelle.csv', content: csv, contentType: 'text/csv' },
      ],
    })
      .compile()
      .build();
    await servers.dovecot.deliver('alice', [Buffer.from(original.toString('latin1').replace(/\r\n/g, '\n'), 'latin1')]);
    const got = await receive(alice.id, '<files-1@popbox.test>');

    const fwd = await service.composeFrom('forward', { id: got.id });
    expect(fwd.subject).toBe('Fwd: Files für dich');
    expect(fwd.storedAttachments.map((a) => [a.filename, a.size])).toEqual([
      ['daten.bin', binary.length],
      ['tabelle.csv', csv.length],
    ]);
    expect(fwd.text).toContain('---------- Forwarded message ---------\nFrom: Bob <bob@example.org>');
    const sent = await service.send({
      accountId: fwd.accountId,
      to: ['bob@example.org'],
      subject: fwd.subject,
      text: `See below.${fwd.text}`,
      storedAttachments: fwd.storedAttachments.map((a) => ({ id: a.id, ...(a.attachmentId ? { attachmentId: a.attachmentId } : {}) })),
      now: true,
    });
    const back = await receive(bob.id, sent.messageId);
    expect(back.mail.attachments.map((a) => a.filename)).toEqual(['daten.bin', 'tabelle.csv']);
    expect(back.mail.attachments[0]!.content.equals(binary)).toBe(true);
    expect(back.mail.attachments[1]!.content.equals(csv)).toBe(true);
    expect(back.mail.text).toContain('Two files attached.');

    const asAttachment = await service.composeFrom('forwardAsAttachment', { id: got.id });
    expect(asAttachment.storedAttachments).toEqual([{ id: got.id, filename: expect.stringMatching(/\.eml$/), contentType: 'message/rfc822', size: got.raw.length }]);
    const sent2 = await service.send({ accountId: alice.id, to: ['bob@example.org'], subject: asAttachment.subject, text: 'The whole thing.', storedAttachments: [{ id: got.id }], now: true });
    const back2 = await receive(bob.id, sent2.messageId);
    const inner = back2.mail.attachments.find((a) => a.contentType === 'message/rfc822');
    expect(inner).toBeDefined();
    const innerMail = await simpleParser(inner!.content);
    expect(innerMail.messageId).toBe('<files-1@popbox.test>');
    expect(innerMail.attachments[0]!.content.equals(binary)).toBe(true);
    expect(innerMail.attachments[1]!.content.equals(csv)).toBe(true);
  }, 120_000);
});
