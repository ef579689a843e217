/** Send's bytes: what a recipient's mail program reads, and what SMTP and Sent get. */
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import type { Identity } from '../../shared/accounts.js';
import { buildMessage, pickIdentity, toCrlf } from '../../electron/core/compose/build-message.js';

const zoe: Identity = { id: 'zoe', name: 'Zoë Ünïcode', address: 'zoe@example.org', replyTo: 'replies@example.org' };

function bareLineEnds(raw: Buffer): number[] {
  const at: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x0a && raw[i - 1] !== 0x0d) at.push(i);
    if (raw[i] === 0x0d && raw[i + 1] !== 0x0a) at.push(i);
  }
  return at;
}

function headerBlock(raw: Buffer): string {
  const s = raw.toString('latin1');
  return s.slice(0, s.indexOf('\r\n\r\n'));
}

describe('buildMessage', () => {
  it('writes a non-ASCII subject and name in RFC 2047, the attachment whole, CRLF everywhere, and keeps Bcc out of the headers', async () => {
    const pdf = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x0a, 0x0d, 0x00, 0xff, 0x0a]);
    const built = await buildMessage(
      zoe,
      {
        to: ['Bob <bob@example.org>'],
        cc: ['carol@example.org'],
        bcc: ['secret@example.net', 'BOB@example.org'],
        subject: 'Grüße aus Köln — ça va?',
        text: 'Hallo Bob,\nschöne Grüße.\n\n-- \nZoë\n',
        inReplyTo: '<orig@example.org>',
        references: ['<root@example.org>', '<orig@example.org>'],
        attachments: [{ filename: 'Bericht über Köln.pdf', contentType: 'application/pdf', content: pdf.toString('base64') }],
      },
      { now: new Date('2026-12-06T10:00:00Z') },
    );
    expect(bareLineEnds(built.raw)).toEqual([]);
    // Headers are 7-bit: the subject and the name are encoded words.
    const head = headerBlock(built.raw);
    expect(head).toMatch(/^Subject: =\?UTF-8\?[QB]\?/m);
    expect(head).toMatch(/^From: =\?UTF-8\?[QB]\?.*\?= <zoe@example.org>$/m);
    expect([...head].every((c) => c.charCodeAt(0) < 0x80)).toBe(true);
    expect(head).not.toMatch(/secret@example\.net/i);
    expect(head).not.toMatch(/^Bcc:/im);
    expect(built.raw.toString('latin1')).not.toContain('secret@example.net');
    expect(head).toMatch(/^Message-ID: <[^@>]+@example\.org>$/m);
    expect(head).toContain(`Message-ID: ${built.messageId}`);

    const mail = await simpleParser(built.raw);
    expect(mail.subject).toBe('Grüße aus Köln — ça va?');
    expect(mail.from?.value).toEqual([{ name: 'Zoë Ünïcode', address: 'zoe@example.org' }]);
    expect(mail.replyTo?.value[0]?.address).toBe('replies@example.org');
    expect(mail.date?.toISOString()).toBe('2026-12-06T10:00:00.000Z');
    expect(mail.inReplyTo).toBe('<orig@example.org>');
    expect(mail.references).toEqual(['<root@example.org>', '<orig@example.org>']);
    expect(mail.text?.replace(/\r\n/g, '\n').trimEnd()).toBe('Hallo Bob,\nschöne Grüße.\n\n-- \nZoë'); // format=flowed: a reader drops the last line end
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]!.filename).toBe('Bericht über Köln.pdf');
    expect(mail.attachments[0]!.contentType).toBe('application/pdf');
    expect(Buffer.compare(mail.attachments[0]!.content, pdf)).toBe(0);

    // The envelope: the identity's address to To + Cc + Bcc, each once.
    expect(built.envelope).toEqual({ from: 'zoe@example.org', to: ['bob@example.org', 'carol@example.org', 'secret@example.net'] });
  });

  it('refuses a bad address, a header injection, bad base64 and a message without recipients in plain words', async () => {
    const base = { to: ['bob@example.org'], subject: 's', text: 't' };
    await expect(buildMessage(zoe, { ...base, to: ['not an address'] })).rejects.toThrow(/To: "not an address" is not an email address/);
    await expect(buildMessage(zoe, { ...base, cc: ['a@example.org, b@example.org'] })).rejects.toThrow(/Cc: .*\(one address per entry/);
    await expect(buildMessage(zoe, { ...base, bcc: ['x@example.org\r\nBcc: y@example.org'] })).rejects.toThrow(/Bcc: .*line break/);
    await expect(buildMessage(zoe, { ...base, inReplyTo: '<a@b>\r\nX-Evil: 1' })).rejects.toThrow(/In-Reply-To: .* is not a message id/);
    await expect(buildMessage(zoe, { ...base, attachments: [{ filename: 'a', content: '!!!' }] })).rejects.toThrow(/attachment "a": its content is not base64/);
    await expect(buildMessage(zoe, { ...base, to: [] })).rejects.toThrow(/no recipients/);
    // A line break in the subject does not start a header of its own.
    const built = await buildMessage(zoe, { ...base, subject: 'hi\r\nBcc: evil@example.org' });
    expect(headerBlock(built.raw)).not.toMatch(/^Bcc:/im);
  });

  it('an HTML part too comes out with CRLF line ends', async () => {
    const built = await buildMessage(zoe, { to: ['bob@example.org'], subject: 'html', text: 'a\nb\n', html: '<p>a</p>\n<p>b</p>\n' });
    expect(bareLineEnds(built.raw)).toEqual([]);
    const mail = await simpleParser(built.raw);
    expect(mail.html).toContain('<p>b</p>');
  });
});

describe('pickIdentity', () => {
  const account = { name: 'Home', identities: [zoe, { id: 'work', name: 'Z', address: 'z@work.example', default: true }] };
  it('takes the named identity, else the default, and refuses one the account does not have', () => {
    expect(pickIdentity(account, 'zoe').address).toBe('zoe@example.org');
    expect(pickIdentity(account).address).toBe('z@work.example');
    expect(() => pickIdentity(account, 'mallory')).toThrow(/no identity "mallory"/);
    expect(() => pickIdentity({ name: 'Bare', identities: [] })).toThrow(/has no identity/);
  });
});

describe('toCrlf', () => {
  it('a text attachment arrives byte for byte (base64, so making the message CRLF cannot touch it), and control characters leave the subject', async () => {
    const csv = Buffer.from('a,b\n1,2\r3\n', 'latin1');
    const built = await buildMessage(zoe, { to: ['bob@example.org'], cc: [], bcc: [], subject: 'tab\there\u0000nul\u001bend', text: 'hi', attachments: [{ filename: 'data.csv', contentType: 'text/csv', content: csv.toString('base64') }] });
    const parsed = await simpleParser(built.raw);
    expect(parsed.attachments[0]!.content.equals(csv)).toBe(true);
    expect(parsed.subject).toBe('tab\there nul end');
  });

  it('makes every line end CRLF and leaves other bytes alone', () => {
    expect(toCrlf(Buffer.from('a\nb\r\nc\rd\xff', 'latin1')).toString('latin1')).toBe('a\r\nb\r\nc\r\nd\xff');
  });
});
