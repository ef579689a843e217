/**
 * What the Outbox suites against real Postfix + Dovecot share: the servers for the file, a temp
 * dir with one data dir per harness, every harness closed and every mailbox emptied after each
 * test, and the SMTP settings for alice submitting to a private Postfix. Call inside `describe`
 * (it registers the hooks); a suite's own beforeAll, registered after, sees the servers started.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { SmtpSettings } from '../../electron/core/smtp/index.js';
import { openOutbox, type OutboxHarness } from './outbox-harness.js';
import type { PostfixServer } from './postfix.js';
import { startSendServers, type SendServers, type SendServersOptions } from './send-servers.js';

type Deps = NonNullable<Parameters<typeof openOutbox>[0]['deps']>;

/** alice's settings for a private Postfix's submissions port (implicit TLS, the instance's own CA). */
export const submissionSettings = (server: PostfixServer): SmtpSettings => ({
  host: '127.0.0.1',
  port: server.submissionsPort,
  security: 'tls',
  auth: { user: 'alice', password: 'alice-pw' },
  tls: { ca: server.caPem, servername: 'localhost' },
  timeouts: { connectMs: 3000, greetingMs: 3000, idleMs: 5000 },
});

export interface OutboxSuite {
  /** The servers (after beforeAll). */
  readonly servers: SendServers;
  /** The temp dir the data dirs are in (after beforeAll). */
  readonly root: string;
  /** An Outbox on a new data dir under root (`name`, or the next number), closed after the test. */
  harness(transport: () => SmtpSettings, deps?: Deps, name?: string): Promise<OutboxHarness>;
  /** Closes a harness before the test ends (a restart); it is not closed again after. */
  close(h: OutboxHarness): Promise<void>;
}

export function outboxSuite(opts: { name: string; accountId: string; servers: SendServersOptions; deps?: Deps }): OutboxSuite {
  let servers: SendServers | undefined;
  let root: string | undefined;
  const open: OutboxHarness[] = [];
  let n = 0;
  beforeAll(async () => {
    servers = await startSendServers(opts.servers);
    root = await fs.mkdtemp(path.join(os.tmpdir(), `popbox-${opts.name}-`));
  });
  afterAll(async () => {
    await servers?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
    for (const u of opts.servers.users) await servers?.dovecot.clear(u.name);
  });
  return {
    get servers() {
      return servers!;
    },
    get root() {
      return root!;
    },
    async harness(transport, deps = {}, name = `d${++n}`) {
      const h = await openOutbox({ dataDir: path.join(root!, name), accountId: opts.accountId, transport, deps: { undoSeconds: 0, ...opts.deps, ...deps } });
      open.push(h);
      return h;
    },
    async close(h) {
      const i = open.indexOf(h);
      if (i >= 0) open.splice(i, 1);
      await h.close();
    },
  };
}
