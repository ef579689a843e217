/**
 * "Offline, the Outbox shows its count and sends when the network returns" (issue 15 §3): a
 * message that waits only because the outgoing server could not be reached goes as soon as the
 * account's server answers a check for mail again, not at its backoff (a minute, then up to an
 * hour). Real Postfix + Dovecot behind a relay whose destination is switched from a closed port
 * to Postfix, as a network coming back looks to the app.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AccountSettings } from '../../shared/accounts.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { aliceSending, sendSuite, startSendServers, type SendServers } from '../support/send-servers.js';
import { until } from '../support/servers.js';
import { startSwitch, type SwitchRelay } from '../support/switch-relay.js';

const suite = sendSuite('the outbox network-back suite');
const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
];

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

suite('the Outbox when the network comes back', () => {
  let servers: SendServers;
  let relay: SwitchRelay;
  let dataDir: string;
  let service: MailService;
  let alice: AccountSettings;

  beforeAll(async () => {
    servers = await startSendServers({ users: USERS });
    relay = await startSwitch(await closedPort());
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-network-back-'));
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    alice = await service.addAccount(aliceSending(servers, relay.port), 'alice-pw');
  }, 120_000);

  afterAll(async () => {
    await service?.close();
    await relay?.close();
    await servers?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('a message waiting for an unreachable server goes at the next successful check for mail, not at its backoff; the send teaches the compose screen the server\'s size limit', async () => {
    expect((await service.composeFrom('new', { accountId: alice.id })).sizeLimit).toBeNull();
    const { id, messageId } = await service.send({ accountId: alice.id, to: ['bob@example.org'], subject: 'while offline', text: 'Written on the train.', now: true });
    const waiting = await until('a failed attempt', async () => {
      const item = (await service.outboxStatus(alice.id)).find((i) => i.id === id);
      return item?.state === 'retrying' ? item : null;
    }, 20_000);
    expect(waiting.lastError?.code).toBe('network');
    // The backoff alone would wait a minute: the test below would time out without the nudge.
    expect(waiting.nextAttemptAt! - Date.now()).toBeGreaterThan(30_000);

    relay.target = servers.postfix.submissionsPort;
    const [outcome] = await service.sync([alice.id]);
    expect(outcome).toMatchObject({ ok: true });

    await until('the Outbox to empty', async () => (await service.outboxStatus(alice.id)).length === 0, 20_000);
    const delivered = await until('bob to have it', async () => {
      const got = (await servers.dovecot.mailbox('bob')).filter((m) => m.bytes.toString('latin1').includes(messageId));
      return got.length ? got : null;
    }, 20_000);
    expect(delivered).toHaveLength(1);
    const sent = service.messages({ accountId: alice.id }).filter((m) => m.folder === 'Sent');
    expect(sent.map((m) => m.summary.messageId)).toEqual([messageId]);
    // Postfix's message_size_limit, as its EHLO said it during the send (no Test button pressed).
    await until('the size limit', async () => (await service.composeFrom('new', { accountId: alice.id })).sizeLimit === servers.postfix.messageSizeLimit, 20_000);
  });
});
