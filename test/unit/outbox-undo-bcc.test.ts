/**
 * Undo send and Edit (issue 15 §3): the message goes back to Drafts as it was written, Bcc
 * included. The Outbox holds the file built for sending, which never shows Bcc; the outbox puts
 * the envelope's hidden recipients back as a Bcc field on its way to Drafts.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { messageFolder } from '../support/mime.js';

const tmp = messageFolder('popbox-outbox-undo-bcc-');
let n = 0;
const open: MailService[] = [];

afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function service() {
  const dataDir = tmp.path(`d${++n}`);
  const s = await MailService.open({ dataDir, secrets: new MemorySecretStore(), sendQueued: false });
  open.push(s);
  const home = await s.addAccount(
    {
      host: '127.0.0.1',
      port: 995,
      security: 'tls',
      password: { source: 'keychain' },
      name: 'Home',
      email: 'me@home.example',
      user: 'me',
      // Nothing listens there: the message waits (and the test undoes it first).
      smtp: { host: '127.0.0.1', port: 1, security: 'tls', user: 'me', password: { source: 'incoming' } },
      identities: [{ id: 'me', name: 'Me Myself', address: 'me@home.example', default: true }],
    },
    'pw',
  );
  return { s, dataDir, home };
}

const folderFiles = async (dataDir: string, accountId: string, folder: string) => {
  const dir = path.join(dataDir, 'accounts', accountId, 'Maildir', `.${folder}`, 'cur');
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.map((f) => fs.readFile(path.join(dir, f))));
};

it('Undo send: the draft opens again with its Bcc recipients (the sent file never had them), To and Cc as they were', async () => {
  const { s, dataDir, home } = await service();
  const { id } = await s.send({ accountId: home.id, to: ['bob@example.org'], cc: ['carol@example.org'], bcc: ['dave@example.org', 'Eve <eve@example.org>'], subject: 'with bcc', text: 'hello', sendAt: Date.now() + 3_600_000 });
  // What would go to the server: no Bcc field.
  const [queued] = await folderFiles(dataDir, home.id, 'Outbox');
  expect(queued!.toString('latin1')).not.toMatch(/^Bcc:/im);
  await s.cancelSend(id);
  const d = await s.openDraft(id);
  expect(d.to).toEqual(['bob@example.org']);
  expect(d.cc).toEqual(['carol@example.org']);
  expect(d.bcc.map((a) => a.replace(/^.*<|>$/g, ''))).toEqual(['dave@example.org', 'eve@example.org']);
  expect(d.subject).toBe('with bcc');
  expect(d.text).toBe('hello');
  // One file in Drafts, its body the same bytes as the queued one after the one added field.
  const [draft] = await folderFiles(dataDir, home.id, 'Drafts');
  expect(draft!.toString('latin1').replace(/^Bcc: [^\r]*\r\n( [^\r]*\r\n)*/, '')).toBe(queued!.toString('latin1'));
  expect(await folderFiles(dataDir, home.id, 'Outbox')).toEqual([]);
});

it('Undo send without Bcc leaves the bytes as they were', async () => {
  const { s, dataDir, home } = await service();
  const { id } = await s.send({ accountId: home.id, to: ['bob@example.org'], subject: 'no bcc', text: 'hello', sendAt: Date.now() + 3_600_000 });
  const [queued] = await folderFiles(dataDir, home.id, 'Outbox');
  await s.cancelSend(id);
  const [draft] = await folderFiles(dataDir, home.id, 'Drafts');
  expect(draft!.equals(queued!)).toBe(true);
  expect((await s.openDraft(id)).bcc).toEqual([]);
});
