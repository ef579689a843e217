/**
 * Drafts (issue 15 §2): a draft is a real message in the account's Drafts folder, reopens with
 * the fields it was saved with, a new save replaces the old version only after the new one is
 * on disk, and Send removes the draft once its message waits in the Outbox. Attachments kept in
 * main (a draft's own, a stored message's) are read by main, from the same account only.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { Maildir } from '../../electron/core/store/maildir.js';
import { messageFolder } from '../support/mime.js';

const tmp = messageFolder('popbox-compose-drafts-');
let n = 0;
const open: MailService[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  while (open.length) await open.pop()!.close();
});

async function service() {
  const dataDir = tmp.path(`d${++n}`);
  const s = await MailService.open({ dataDir, secrets: new MemorySecretStore(), sendQueued: false });
  open.push(s);
  const base = { host: '127.0.0.1', port: 995, security: 'tls' as const, password: { source: 'keychain' as const } };
  const home = await s.addAccount(
    {
      ...base,
      name: 'Home',
      email: 'me@home.example',
      user: 'me',
      smtp: { host: '127.0.0.1', port: 465, security: 'tls', user: 'me', password: { source: 'incoming' } },
      identities: [
        { id: 'me', name: 'Me Myself', address: 'me@home.example', default: true, signature: 'Me' },
        { id: 'lists', name: 'Me (lists)', address: 'lists@home.example' },
      ],
    },
    'pw',
  );
  const work = await s.addAccount({ ...base, name: 'Work', email: 'me@work.example', user: 'w', identities: [{ id: 'w', name: 'W', address: 'me@work.example' }] }, 'pw');
  return { s, dataDir, home, work };
}

const draftsDir = (dataDir: string, accountId: string) => path.join(dataDir, 'accounts', accountId, 'Maildir', '.Drafts', 'cur');
const pdf = Buffer.from('%PDF-1.4\n\u0000\u00ff binary \r\n bytes\n', 'latin1');
const longLine = `Grüße! ${'Dies ist eine lange Zeile, die umgebrochen werden muss. '.repeat(4).trim()}`;

describe('drafts', () => {
  it('save → open gives back every field (Bcc, identity, long and quoted lines, rich text, attachment); the file is a Maildir draft (D) in Drafts', async () => {
    const { s, dataDir, home } = await service();
    const saved = await s.saveDraft({
      accountId: home.id,
      identityId: 'lists',
      to: ['Ann Example <ann@example.org>', '"Doe, John" <john@example.org>'],
      cc: ['carol@example.org'],
      bcc: ['secret@example.net'],
      subject: 'Re: Plän für Montag',
      text: `${longLine}\n\n> quoted line\n>> deeper\n\n-- \nMe`,
      html: '<p>Hi <b>Ann</b></p>',
      inReplyTo: '<m3@example.org>',
      references: ['<m1@example.org>', '<m3@example.org>'],
      attachments: [{ filename: 'plan.pdf', contentType: 'application/pdf', content: pdf.toString('base64') }],
    });
    expect(saved.storedAttachments).toEqual([{ id: saved.id, attachmentId: '1', filename: 'plan.pdf', contentType: 'application/pdf', size: pdf.length }]);
    const names = await fs.readdir(draftsDir(dataDir, home.id));
    expect(names).toEqual([`${saved.id}:2,DS`]);
    const raw = await fs.readFile(path.join(draftsDir(dataDir, home.id), names[0]!), 'latin1');
    expect(raw).toMatch(/^Bcc: secret@example\.net\r$/m);
    expect(raw).toMatch(/^X-Popbox-Draft-Identity: lists\r$/m);
    expect(s.messages({ accountId: home.id }).find((m) => m.id === saved.id)?.folder).toBe('Drafts');

    const d = await s.openDraft(saved.id);
    expect(d).toMatchObject({
      accountId: home.id,
      identityId: 'lists',
      to: ['Ann Example <ann@example.org>', '"Doe, John" <john@example.org>'],
      cc: ['carol@example.org'],
      bcc: ['secret@example.net'],
      subject: 'Re: Plän für Montag',
      text: `${longLine}\n\n> quoted line\n>> deeper\n\n-- \nMe`,
      html: '<p>Hi <b>Ann</b></p>',
      inReplyTo: '<m3@example.org>',
      references: ['<m1@example.org>', '<m3@example.org>'],
      draftId: saved.id,
      storedAttachments: saved.storedAttachments,
    });
  });

  it('saving again (draftId) keeps the attachment by reference, writes the new version, and removes the old one', async () => {
    const { s, dataDir, home } = await service();
    const first = await s.saveDraft({ accountId: home.id, to: [], subject: 'v1', text: 'one', attachments: [{ filename: 'plan.pdf', content: pdf.toString('base64') }] });
    // The page drops the base64 it held and names the stored part instead.
    const second = await s.saveDraft({ accountId: home.id, to: ['bob@'], subject: 'v2', text: 'two', storedAttachments: first.storedAttachments.map(({ id, attachmentId }) => ({ id, attachmentId: attachmentId! })), draftId: first.id });
    expect(second.id).not.toBe(first.id);
    expect(await fs.readdir(draftsDir(dataDir, home.id))).toEqual([`${second.id}:2,DS`]);
    expect(s.messages().map((m) => m.id)).toEqual([second.id]);
    await expect(s.openDraft(first.id)).rejects.toMatchObject({ code: 'not-found' });
    const d = await s.openDraft(second.id);
    expect(d).toMatchObject({ subject: 'v2', text: 'two', to: ['bob@'] });
    const dest = tmp.path(`att${n}`);
    await s.saveAttachment(second.id, d.storedAttachments[0]!.attachmentId!, dest);
    expect(await fs.readFile(dest)).toEqual(pdf);
  });

  it('a crash between writing the new version and removing the old leaves both, never none', async () => {
    const { s, dataDir, home } = await service();
    const first = await s.saveDraft({ accountId: home.id, to: [], subject: 'v1', text: 'one' });
    vi.spyOn(Maildir.prototype, 'removeMany').mockRejectedValue(new Error('killed here'));
    const second = await s.saveDraft({ accountId: home.id, to: [], subject: 'v2', text: 'two', draftId: first.id });
    vi.restoreAllMocks();
    expect((await fs.readdir(draftsDir(dataDir, home.id))).sort()).toEqual([`${first.id}:2,DS`, `${second.id}:2,DS`].sort());
    expect((await s.openDraft(first.id)).subject).toBe('v1');
    expect((await s.openDraft(second.id)).subject).toBe('v2');
  });

  it('refuses, in plain words, ids that are not drafts of that account and stored attachments of another account', async () => {
    const { s, home, work } = await service();
    const workDraft = await s.saveDraft({ accountId: work.id, to: [], subject: 'work', text: 'w', attachments: [{ filename: 'a.bin', content: 'AAEC' }] });
    await expect(s.saveDraft({ accountId: home.id, to: [], subject: 'x', text: 'x', draftId: workDraft.id })).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/not a draft of this account: nothing was saved/) });
    await expect(s.saveDraft({ accountId: home.id, to: [], subject: 'x', text: 'x', storedAttachments: [{ id: workDraft.id, attachmentId: '1' }] })).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/another account/) });
    await expect(s.send({ accountId: home.id, to: ['bob@example.org'], subject: 'x', text: 'x', storedAttachments: [{ id: workDraft.id }] })).rejects.toMatchObject({ code: 'invalid' });
    // Moved out of Drafts: no longer a draft.
    const homeDraft = await s.saveDraft({ accountId: home.id, to: [], subject: 'h', text: 'h' });
    await s.moveMessages([homeDraft.id], 'INBOX');
    await expect(s.openDraft(homeDraft.id)).rejects.toMatchObject({ code: 'invalid' });
    expect(await s.outboxStatus()).toEqual([]);
  });

  it('Send with draftId: once the message waits in the Outbox the draft is gone; its stored attachment went along byte for byte', async () => {
    const { s, dataDir, home } = await service();
    const draft = await s.saveDraft({ accountId: home.id, to: ['bob@example.org'], subject: 'to send', text: 'hello', attachments: [{ filename: 'plan.pdf', content: pdf.toString('base64') }] });
    const sent = await s.send({ accountId: home.id, to: ['bob@example.org'], subject: 'to send', text: 'hello', draftId: draft.id, storedAttachments: [{ id: draft.id, attachmentId: '1' }] });
    expect(await fs.readdir(draftsDir(dataDir, home.id))).toEqual([]);
    const queued = s.messages({ accountId: home.id });
    expect(queued.map((m) => [m.id, m.folder])).toEqual([[sent.id, 'Outbox']]);
    const dest = tmp.path(`sent${n}`);
    await s.saveAttachment(sent.id, '1', dest);
    expect(await fs.readFile(dest)).toEqual(pdf);
  });

  it('all attachments together, stored ones included, stay within 25 MB', async () => {
    const { s, home } = await service();
    const big = Buffer.alloc(20 * 1024 * 1024, 7);
    const draft = await s.saveDraft({ accountId: home.id, to: [], subject: 'big', text: 'x', attachments: [{ filename: 'big.bin', content: big.toString('base64') }] });
    const more = Buffer.alloc(6 * 1024 * 1024, 8).toString('base64');
    await expect(s.send({ accountId: home.id, to: ['bob@example.org'], subject: 'big', text: 'x', attachments: [{ filename: 'more.bin', content: more }], storedAttachments: [{ id: draft.id, attachmentId: '1' }] })).rejects.toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(/too large together/),
    });
    expect(await s.outboxStatus()).toEqual([]);
  }, 60_000);

  it('Send pressed twice for one draft sends once; a draft deleted elsewhere while writing is saved anew', async () => {
    const { s, home } = await service();
    const draft = await s.saveDraft({ accountId: home.id, to: ['bob@example.org'], subject: 'once', text: 'x' });
    const message = { accountId: home.id, to: ['bob@example.org'], subject: 'once', text: 'x', draftId: draft.id };
    await s.send(message);
    await expect(s.send(message)).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/no longer in Drafts.*nothing was sent/) });
    expect(await s.outboxStatus()).toHaveLength(1);

    // Two Sends of one draft at the same time (two windows): one goes, the other is refused.
    const twin = await s.saveDraft({ accountId: home.id, to: ['bob@example.org'], subject: 'twice at once', text: 'x' });
    const both = await Promise.allSettled([s.send({ ...message, subject: 'twice at once', draftId: twin.id }), s.send({ ...message, subject: 'twice at once', draftId: twin.id })]);
    expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((await s.outboxStatus()).length).toBe(2);

    const other = await s.saveDraft({ accountId: home.id, to: [], subject: 'v1', text: 'one' });
    await s.deleteForGood([other.id]);
    const again = await s.saveDraft({ accountId: home.id, to: [], subject: 'v2', text: 'two', draftId: other.id });
    expect((await s.openDraft(again.id)).subject).toBe('v2');
  });
});
