/**
 * An Outbox on a data dir of its own, without MailService: what the outbox tests and the
 * kill -9 child (outbox-child.ts) both start.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Outbox, type OutboxDeps, type OutboxEvent } from '../../electron/core/outbox/index.js';
import { SessionManager } from '../../electron/core/session/session-manager.js';
import type { SmtpSettings } from '../../electron/core/smtp/index.js';
import { Journal } from '../../electron/core/store/journal.js';
import { folderDir } from '../../electron/core/store/maildir.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';

export interface OutboxHarness {
  dataDir: string;
  accountId: string;
  outbox: Outbox;
  journal: Journal;
  sessions: SessionManager;
  events: OutboxEvent[];
  /** When each event came (Date.now()), index for index. */
  eventTimes: number[];
  /** The files (name → bytes) in a folder's cur/ of the account's Maildir. */
  folderFiles(key: string): Promise<Map<string, Buffer>>;
  close(): Promise<void>;
}

export async function openOutbox(opts: {
  dataDir: string;
  accountId: string;
  transport: () => SmtpSettings;
  deps?: Partial<Omit<OutboxDeps, 'dataDir' | 'sessions' | 'journal' | 'resolveTransport'>>;
}): Promise<OutboxHarness> {
  await fs.mkdir(opts.dataDir, { recursive: true });
  const journal = await Journal.open(path.join(opts.dataDir, 'journal.jsonl'));
  const sessions = new SessionManager(opts.dataDir);
  const events: OutboxEvent[] = [];
  const eventTimes: number[] = [];
  const outbox = new Outbox({
    dataDir: opts.dataDir,
    sessions,
    journal,
    resolveTransport: async () => opts.transport(),
    ...opts.deps,
    onEvent: (e) => {
      events.push(e);
      eventTimes.push(Date.now());
      opts.deps?.onEvent?.(e);
    },
  });
  const maildir = path.join(AccountMailbox.dirFor(opts.dataDir, opts.accountId), 'Maildir');
  return {
    dataDir: opts.dataDir,
    accountId: opts.accountId,
    outbox,
    journal,
    sessions,
    events,
    eventTimes,
    async folderFiles(key) {
      const dir = path.join(maildir, folderDir(key), 'cur');
      const out = new Map<string, Buffer>();
      for (const name of await fs.readdir(dir).catch(() => [] as string[])) out.set(name, await fs.readFile(path.join(dir, name)));
      return out;
    },
    async close() {
      await outbox.stop();
      await sessions.closeAll();
    },
  };
}

/** The unfolded Message-ID of a message's header block. */
export function messageIdIn(message: Buffer): string | null {
  const text = message.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  return /^message-id:[ \t]*(\S+)/im.exec(head)?.[1] ?? null;
}

/** A plain message with CRLF line ends, dot lines and 8-bit text, about `size` bytes. */
export function plainMessage(tag: string, opts: { to?: string; size?: number } = {}): Buffer {
  const lines = [
    'From: Alice <alice@example.org>',
    `To: ${opts.to ?? 'bob@example.org'}`,
    `Subject: outbox ${tag} — Grüße`,
    `Message-ID: <${tag}@popbox.test>`,
    'Date: Sun, 06 Dec 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    `Hello Bob (${tag}).`,
    '.',
    '..a line that starts with dots',
  ];
  const parts = [Buffer.from(lines.join('\r\n') + '\r\n')];
  const target = opts.size ?? 4096;
  for (let size = parts[0]!.length; size < target; ) {
    const line = Buffer.from(`${randomBytes(30).toString('base64')} äöü ß .\r\n`);
    parts.push(line);
    size += line.length;
  }
  return Buffer.concat(parts);
}

