/**
 * A filter's forward and the Outbox (review F5): once the forward is durably in the Outbox it
 * goes, whatever fails after that point inside enqueue (the journal record of the queued file),
 * and the forward log keeps it, so no later run forwards it a second time.
 */
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
  await import('node:fs/promises').then((fs) => fs.writeFile(file, 'From: dave@other.example\r\nSubject: hello\r\n\r\nbody\r\n'));
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
