/**
 * A forward refused in words that would come again (the account has no outgoing server any
 * more; a message too big to build) is said once, as a guard's refusal is: the message counts as
 * filtered. It used to be kept to do, so every check ran its rules again, said the refusal again
 * ("… will be tried again", untrue) and marked it read again after the person marked it unread.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { FAULT_FINGERPRINT, miniPop3, startFaultServer } from '../support/fault-server.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('mark read + forward through an account without an outgoing server: one notice, and a message marked unread stays unread at the next check', async () => {
  const mail = Buffer.from('From: carol@example.org\r\nSubject: invoice 1\r\nMessage-ID: <inv-1@x>\r\n\r\nbody\r\n');
  const server = await startFaultServer((conn) => miniPop3(conn, { messages: [mail] }), { tls: true });
  cleanups.push(() => server.close());
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-fwd-refused-'));
  cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }));
  const service = await MailService.open({ dataDir, secrets: new MemorySecretStore(), sendQueued: false });
  cleanups.push(() => service.close());
  const acct = await service.addAccount(
    {
      name: 'A',
      host: '127.0.0.1',
      port: server.port,
      security: 'tls',
      user: 'alice',
      email: 'alice@example.org',
      checkAtStartup: false,
      leaveOnServer: true,
      tlsFingerprint: FAULT_FINGERPRINT,
      password: { source: 'keychain' },
      smtp: { host: '127.0.0.1', port: 1, security: 'tls', user: 'alice', password: { source: 'incoming' } },
    },
    'pw',
  );
  await service.saveRules([{ name: 'inv', enabled: true, match: 'all', conditions: [{ field: 'subject', op: 'contains', value: 'invoice' }], actions: [{ t: 'mark-read' }, { t: 'forward', to: 'bob@example.org' }] }]);
  // The outgoing server removed after the rule was saved: the forward is refused at every try.
  await service.updateAccount(acct.id, { smtp: null });
  const notices: string[] = [];
  service.on('notice', (n: { message: string }) => notices.push(n.message));

  await service.sync([acct.id]);
  await service.arrivalsSettled();
  const [m] = [...service.journal.all()].filter((r) => r.uidl !== '');
  expect(m!.flags.seen).toBe(true);
  expect(notices).toEqual(['“invoice 1” was not forwarded to bob@example.org: the account “A” has no outgoing server to forward with']);

  // The person marks it unread; two more checks change nothing and say nothing.
  await service.setFlags([m!.id], { seen: false });
  for (const _ of [1, 2]) {
    await service.sync([acct.id]);
    await service.arrivalsSettled();
  }
  expect(service.journal.get(m!.id)!.flags.seen).toBe(false);
  expect(notices).toHaveLength(1);
});
