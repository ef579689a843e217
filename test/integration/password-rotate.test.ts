/**
 * A password command's answer is kept in memory (accounts-service.ts). When the user changes the
 * password (at the provider and in the store the command reads, e.g. pass or gpg), the kept one
 * is refused: the same check runs the command again and logs in with its new answer, so the
 * scheduler keeps checking the account instead of stopping at "needs password". Over TLS (the
 * PLAIN login with its initial response) and over a plain connection (USER/PASS).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { FAULT_FINGERPRINT, miniPop3, startFaultServer, type FaultServer } from '../support/fault-server.js';

let server: FaultServer | undefined;
let dataDir: string | undefined;
let service: MailService | undefined;
afterEach(async () => {
  await service?.close();
  await server?.close();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  service = undefined;
  server = undefined;
  dataDir = undefined;
});

for (const security of ['plain', 'tls'] as const) {
  it(`a rotated password (${security}): the same check logs in with the command's new answer, the scheduler goes on`, async () => {
    let serverPassword = 'first';
    const capa = ['USER', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', ...(security === 'tls' ? ['SASL PLAIN'] : [])];
    server = await startFaultServer(
      (conn) => miniPop3(conn, { messages: [Buffer.from('Subject: one\r\n\r\nbody\r\n')], uids: ['one'], capa, password: serverPassword }),
      security === 'tls' ? { tls: true } : {},
    );
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-pwrot-'));
    const printed = path.join(dataDir, 'printed');
    await fs.writeFile(printed, 'first');
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore(), sendQueued: false });
    const id = (
      await service.addAccount({
        name: 'P', host: '127.0.0.1', port: server.port, security, allowInsecureAuth: security === 'plain', user: 'alice', leaveOnServer: true, checkAtStartup: false,
        ...(security === 'tls' ? { tlsFingerprint: FAULT_FINGERPRINT } : {}),
        password: { source: 'command', command: `cat '${printed}'` },
      })
    ).id;
    service.startScheduler();
    expect((await service.syncNow([id]))[0]).toMatchObject({ ok: true });
    serverPassword = 'second';
    await fs.writeFile(printed, 'second');
    const connectionsBefore = server.connections.length;
    expect((await service.syncNow([id]))[0]).toMatchObject({ ok: true });
    const status = service.syncStatus().find((s) => s.accountId === id);
    expect(status?.state).not.toBe('needs-password');
    expect(status?.nextRunAt).not.toBeNull();
    // One connection: the refused login and the retry with the new password in the same session.
    expect(server.connections.length - connectionsBefore).toBe(1);
  });
}
