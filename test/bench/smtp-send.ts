/**
 * Benchmark worker for smtp-bench.ts, bundled and run as its own process so that its wall time
 * and peak RSS compare with msmtp's. Two modes:
 *
 *  - outbox: what a user's Send does in the app — MailService.send for each message (built by
 *    compose/, filed durably in the Outbox), the Outbox's sender sends them one after another and
 *    files each in Sent; the worker ends when the last is sent. Attachments go in as
 *    they cross the contract from the compose screen: staged 1 MB at a time (stageAttachment), then
 *    named by upload id in send.
 *  - raw: Popbox's SMTP client alone (smtp/ sendRaw), one connection per message like msmtp, on
 *    messages already built (the .eml files msmtp sends): the protocol's share of the time.
 *
 *   node smtp-send.mjs '{"mode":"outbox","specs":"/path/specs.json","dataDir":"/tmp/x",…}'
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { STAGING_LIMITS } from '../../shared/compose.js';
import { createDispatcher, mailServiceHandlers } from '../../electron/core/contract-handler.js';
import { MailService } from '../../electron/core/mail-service.js';
import type { OutboxEvent } from '../../electron/core/outbox/index.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { sendRaw } from '../../electron/core/smtp/index.js';

export interface SendSpec {
  subject: string;
  /** The body text (UTF-8, LF line ends, as typed). */
  bodyFile: string;
  attachments: { file: string; filename: string; contentType: string }[];
  /** The message as Popbox builds it (CRLF), for msmtp and the raw mode. */
  emlFile: string;
}

export interface WorkerArgs {
  mode: 'outbox' | 'raw';
  specs: string;
  dataDir: string;
  from: string;
  to: string;
  user: string;
  password: string;
  pop: { port: number; fingerprint256: string };
  smtp: { port: number; fingerprint256: string; caPem: string };
}

const args = JSON.parse(process.argv[2] ?? '{}') as WorkerArgs;
const specs = JSON.parse(await fs.readFile(args.specs, 'utf8')) as SendSpec[];
const started = performance.now();

if (args.mode === 'raw') {
  const settings = {
    host: '127.0.0.1',
    port: args.smtp.port,
    security: 'tls' as const,
    auth: { user: args.user, password: args.password },
    tls: { ca: args.smtp.caPem, servername: 'localhost' },
  };
  for (const s of specs) {
    const { size } = await fs.stat(s.emlFile);
    await sendRaw(settings, { from: args.from, to: [args.to], raw: createReadStream(s.emlFile), size });
  }
} else {
  const service = await MailService.open({ dataDir: args.dataDir, secrets: new MemorySecretStore() });
  try {
    const account = await service.addAccount(
      {
        name: 'bench',
        email: args.from,
        host: '127.0.0.1',
        port: args.pop.port,
        security: 'tls',
        user: args.user,
        tlsFingerprint: args.pop.fingerprint256,
        password: { source: 'keychain' },
        smtp: { host: '127.0.0.1', port: args.smtp.port, security: 'tls', user: args.user, tlsFingerprint: args.smtp.fingerprint256, password: { source: 'incoming' } },
      },
      args.password,
    );
    // Through the contract, as the compose screen does: each file staged 1 MB at a time.
    const dispatch = createDispatcher(mailServiceHandlers(service, { chooseSaveDestination: async () => null }));
    const stage = async (a: SendSpec['attachments'][number], accountId: string): Promise<string> => {
      const handle = await fs.open(a.file, 'r');
      try {
        const buf = Buffer.alloc(STAGING_LIMITS.chunkBytes);
        let uploadId: string | undefined;
        let offset = 0;
        for (;;) {
          const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
          const final = bytesRead < buf.length;
          const r = await dispatch('stageAttachment', { accountId, ...(uploadId ? { uploadId } : {}), filename: a.filename, contentType: a.contentType, offset, chunk: buf.subarray(0, bytesRead).toString('base64'), final });
          if (!r.ok) throw new Error(`stageAttachment: ${r.error.message}`);
          uploadId = (r.value as { uploadId: string }).uploadId;
          offset += bytesRead;
          if (final) return uploadId;
        }
      } finally {
        await handle.close();
      }
    };
    const ids = new Set<string>();
    let sent = 0;
    let failure: string | null = null;
    let wake: () => void = () => undefined;
    service.onOutbox((e: OutboxEvent) => {
      if (e.kind === 'sent') sent++;
      if (e.kind === 'changed' && (e.item.state === 'failed' || e.item.state === 'maybe-sent' || e.item.state === 'retrying')) {
        failure = `${e.item.state}: ${JSON.stringify(e.item)}`;
      }
      wake();
    });
    for (const s of specs) {
      const text = await fs.readFile(s.bodyFile, 'utf8');
      const stagedAttachments = [];
      for (const a of s.attachments) stagedAttachments.push({ uploadId: await stage(a, account.id) });
      const queued = await dispatch('send', { accountId: account.id, to: [args.to], subject: s.subject, text, stagedAttachments, now: true });
      if (!queued.ok) throw new Error(`send: ${queued.error.message}`);
      ids.add((queued.value as { id: string }).id);
    }
    while (sent < ids.size && !failure) await new Promise<void>((r) => (wake = r));
    if (failure) throw new Error(`the outbox did not send everything: ${failure}`);
  } finally {
    await service.close();
  }
}

const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ messages: specs.length, ms: Math.round(ms), maxRssKB: process.resourceUsage().maxRSS }) + '\n');
