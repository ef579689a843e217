/**
 * A scripted POP3 server whose mailbox lasts across connections, and a MailService with one
 * account on it (leave on server): for the server-view cases no real server plays on purpose
 * (a DELE refused, a QUIT committed whose +OK is lost). DELEs are committed at QUIT as RFC 1939's
 * UPDATE state says; `onDele` and `onQuit` let a test cut, refuse or drop the answer instead.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { miniPop3, startFaultServer, type FaultConn, type FaultServer } from './fault-server.js';

export const boxMail = (n: string) => Buffer.from(`From: w@example.org\r\nSubject: message ${n}\r\n\r\nbody ${n}\r\n`);

export interface ScriptedBox {
  server: FaultServer;
  service: MailService;
  accountId: string;
  dataDir: string;
  /** The UIDs the server holds now (after the last committed QUIT). */
  uids(): string[];
  close(): Promise<void>;
}

export interface BoxScript {
  /** DELE of message `n` (UID `uid`): 'mark' answers +OK and deletes it at QUIT; 'handled' means the script answered (or cut). */
  onDele?: (c: FaultConn, n: number, uid: string) => Promise<'mark' | 'handled'>;
  /** After the marked messages were committed at QUIT: true if the script answered (or cut); otherwise +OK bye. */
  onQuit?: (c: FaultConn) => Promise<boolean>;
}

export async function startScriptedBox(uids: string[], script: BoxScript, tmpPrefix: string): Promise<ScriptedBox> {
  let box = uids.map((uid) => ({ uid, bytes: boxMail(uid) }));
  const server = await startFaultServer(async (conn) => {
    const now = box.slice();
    const doomed = new Set<number>();
    await miniPop3(conn, {
      messages: now.map((m) => m.bytes),
      uids: now.map((m) => m.uid),
      override: async (c, verb, args) => {
        if (verb === 'DELE') {
          const n = Number(args[0]);
          if (((await script.onDele?.(c, n, now[n - 1]?.uid ?? '')) ?? 'mark') === 'mark') {
            doomed.add(n);
            await c.send('+OK marked');
          }
          return true;
        }
        if (verb !== 'QUIT') return false;
        box = now.filter((_, i) => !doomed.has(i + 1)); // committed at QUIT (RFC 1939 UPDATE)
        if (await script.onQuit?.(c)) return true;
        await c.send('+OK bye');
        c.end();
        return true;
      },
    });
  });
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), tmpPrefix));
  const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
  const accountId = (await service.addAccount({ name: 'F', host: '127.0.0.1', port: server.port, security: 'plain', allowInsecureAuth: true, user: 'alice', leaveOnServer: true, password: { source: 'keychain' } }, 'pw')).id;
  return {
    server,
    service,
    accountId,
    dataDir,
    uids: () => box.map((m) => m.uid),
    close: async () => {
      await service.close();
      await server.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
