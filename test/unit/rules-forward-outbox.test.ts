/**
 * A filter's forward and the Outbox (review F5): once the forward is durably in the Outbox it
 * goes, whatever fails after that point inside enqueue (the journal record of the queued file),
 * and the forward log keeps it, so no later run forwards it a second time.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import type { MessageRecord } from '../../shared/changes.js';
import { MailService } from '../../electron/core/mail-service.js';
import { RuleSubject } from '../../electron/core/rules/evaluate.js';
import { forwardAll, ForwardLog, type Forwarder } from '../../electron/core/rules/forward.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { Journal } from '../../electron/core/store/journal.js';
import { messageFolder } from '../support/mime.js';

const tmp = messageFolder('popbox-forward-outbox-');
const open: MailService[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (open.length) await open.pop()!.close();
});

async function service(dataDir: string) {
  const s = await MailService.open({ dataDir, secrets: new MemorySecretStore(), sendQueued: false });
  open.push(s);
  return s;
}

async function addHome(s: MailService) {
  return s.addAccount(
    {
      host: '127.0.0.1',
      port: 1, // nothing listens: a check for mail fails at once
      security: 'tls',
      password: { source: 'keychain' },
      name: 'Home',
      email: 'me@home.example',
      user: 'me',
      smtp: { host: '127.0.0.1', port: 1, security: 'tls', user: 'me', password: { source: 'incoming' } },
      identities: [{ id: 'me', name: 'Me', address: 'me@home.example', default: true }],
    },
    'pw',
  );
}

it('after a stop between a forward\'s record and its queueing, the next start says so (naming the message and address) and never forwards it again; a forward that was queued is not mentioned', async () => {
  const dataDir = tmp.path('crash');
  const s = await service(dataDir);
  const home = await addHome(s);
  const queuedId = await s.enqueueMessage(home.id, { raw: Buffer.from('From: me@home.example\r\nTo: carol@example.org\r\nSubject: Fwd: queued\r\n\r\nx\r\n'), envelope: { from: 'me@home.example', to: ['carol@example.org'] }, sendAt: Date.now() + 3_600_000, id: '00000000000000aa' });
  expect(queuedId).toBe('00000000000000aa');
  await s.close();
  open.pop();
  // What the killed process left: both recorded and pending; only the second reached the Outbox.
  const pending = {
    'bbbbbbbbbbbbbbbb bob@example.org': { id: 'bbbbbbbbbbbbbbbb', to: 'bob@example.org', accountId: home.id, outbox: '00000000000000bb', subject: 'Quarterly report' },
    'cccccccccccccccc carol@example.org': { id: 'cccccccccccccccc', to: 'carol@example.org', accountId: home.id, outbox: '00000000000000aa', subject: 'queued' },
  };
  const file = path.join(dataDir, 'rules-forwarded.json');
  await fs.writeFile(file, JSON.stringify({ version: 1, sent: { bbbbbbbbbbbbbbbb: ['bob@example.org'], cccccccccccccccc: ['carol@example.org'] }, recent: {}, pending }));
  const again = await service(dataDir);
  const notices: string[] = [];
  again.on('notice', (n) => notices.push(n.message));
  await again.sync();
  expect(notices.filter((n) => n.includes('may not have forwarded'))).toEqual([
    'A filter may not have forwarded “Quarterly report” to bob@example.org: Popbox stopped before it was queued, and does not forward it again. Forward it yourself if it is needed.',
  ]);
  // Still forwarded (never again), no longer pending (not told twice).
  const log = JSON.parse(await fs.readFile(file, 'utf8')) as { sent: Record<string, string[]>; pending: object };
  expect(log.sent.bbbbbbbbbbbbbbbb).toEqual(['bob@example.org']);
  expect(log.pending).toEqual({});
  await again.sync();
  expect(notices.filter((n) => n.includes('may not have forwarded'))).toHaveLength(1);
});

it('closing waits for the filters of mail just downloaded (a forward under way is queued, not cut off)', async () => {
  const s = await service(tmp.path('close'));
  let release!: () => void;
  const filtering = new Promise<void>((r) => (release = r));
  // What sync() adds while an account's arrivals go through the filters.
  (s as unknown as { arriving: Set<Promise<unknown>> }).arriving.add(filtering);
  let closed = false;
  const closing = s.close().then(() => (closed = true));
  open.pop();
  await new Promise((r) => setTimeout(r, 300));
  expect(closed).toBe(false);
  release();
  (s as unknown as { arriving: Set<Promise<unknown>> }).arriving.delete(filtering);
  await closing;
  expect(closed).toBe(true);
});

it('a forward whose journal record fails after it is queued is sent once: a second run does not queue it again', async () => {
  const dataDir = tmp.path('d');
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
      // Nothing listens there, and the forward waits an hour anyway: it stays in the Outbox.
      smtp: { host: '127.0.0.1', port: 1, security: 'tls', user: 'me', password: { source: 'incoming' } },
      identities: [{ id: 'me', name: 'Me', address: 'me@home.example', default: true }],
    },
    'pw',
  );
  const m: MessageRecord = {
    id: 'aaaaaaaaaaaaaaaa',
    accountId: home.id,
    uidl: 'u1',
    receivedAt: 0,
    partial: false,
    flags: { seen: false, flagged: false },
    folder: 'INBOX',
    summary: { subject: 'hello', from: [{ name: '', address: 'dave@other.example' }], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 50, hasAttachments: false, snippet: '' },
  };
  const file = tmp.path('m.eml');
  await fs.writeFile(file, 'From: dave@other.example\r\nSubject: hello\r\n\r\nbody\r\n');
  const subject = new RuleSubject(m, 'Home', async () => file);
  const fw: Forwarder = {
    log: new ForwardLog(dataDir),
    send: async (msg, to) => {
      await s.enqueueMessage(msg.accountId, { raw: Buffer.from(`From: me@home.example\r\nTo: ${to}\r\nSubject: Fwd: hello\r\n\r\nbody\r\n`), envelope: { from: 'me@home.example', to: [to] }, sendAt: Date.now() + 3_600_000 });
    },
  };
  // The disk fills just as the Outbox journals the queued file (its file and envelope are in).
  const append = Journal.prototype.append;
  let failed = false;
  vi.spyOn(Journal.prototype, 'append').mockImplementation(function (this: Journal, batch) {
    if (!failed && batch.some((c) => c.t === 'add' && c.m.folder === 'Outbox')) {
      failed = true;
      return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    }
    return append.call(this, batch);
  });
  const wish = [{ subject, to: 'bob@example.org', rule: 'R' }];
  const first = await forwardAll(fw, wish, 1);
  expect(failed).toBe(true);
  await forwardAll(fw, wish, 2);
  await forwardAll({ ...fw, log: new ForwardLog(dataDir) }, wish, 3);
  const items = (await s.outboxStatus(home.id)).filter((i) => i.to.includes('bob@example.org'));
  expect(items).toHaveLength(1);
  // Its journal record was retried at the Outbox's own turn right after: the Outbox folder shows it.
  await vi.waitFor(() => expect(s.snapshot().messages.filter((r) => r.folder === 'Outbox' && r.id === items[0]!.id)).toHaveLength(1));
  expect(first.sent.get(m.id)).toEqual(['bob@example.org']);
});
