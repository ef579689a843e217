/**
 * The servers every sending test needs, started one way: a private Dovecot with LMTP (POP3 for
 * reading back, SMTP AUTH for Postfix, delivery into the users' Maildirs) and one or more
 * private Postfix instances in front of it (test/support/postfix.ts, dovecot.ts).
 *
 *   const suite = sendSuite('the outbox');          // describe, or describe.skip off CI without Postfix
 *   let s: SendServers;
 *   beforeAll(async () => { s = await startSendServers({ users: USERS }); });
 *   afterAll(() => s?.stop());
 *
 * In CI a missing Postfix is an error, never a skip (issue 15 §4: nothing is skipped in CI).
 */
import { describe } from 'vitest';
import type { MailService } from '../../electron/core/mail-service.js';
import { startDovecot, type DovecotOptions, type DovecotServer, type DovecotUser } from './dovecot.js';
import { postfixUnavailable, startPostfix, type PostfixOptions, type PostfixServer } from './postfix.js';

export type PostfixSettings = Omit<PostfixOptions, 'dovecot'>;

export interface SendServersOptions {
  users: DovecotUser[];
  /** The main Postfix's settings (size limit, extra main.cf…). */
  postfix?: PostfixSettings;
  /** More Postfix instances in front of the same Dovecot (e.g. one with a small size limit). */
  extraPostfix?: PostfixSettings[];
  /** More Dovecot settings; `lmtp` is always on. */
  dovecot?: Omit<DovecotOptions, 'users' | 'lmtp'>;
}

export interface SendServers {
  dovecot: DovecotServer;
  postfix: PostfixServer;
  /** In the order of `extraPostfix`. */
  extra: PostfixServer[];
  /** Another Postfix in front of the same Dovecot, stopped by `stop()` unless stopped before. */
  addPostfix(settings?: PostfixSettings): Promise<PostfixServer>;
  /** Every Postfix started here (by PID), then Dovecot. Idempotent. */
  stop(): Promise<void>;
}

/** `describe` where a private Postfix + Dovecot can run; elsewhere `describe.skip` with a warning, and in CI an error. */
export function sendSuite(what: string): typeof describe {
  const unavailable = postfixUnavailable();
  if (unavailable && process.env.CI) throw new Error(`Postfix is required in CI: ${unavailable}`);
  if (unavailable) console.warn(`Skipping ${what}: ${unavailable}`);
  return (unavailable ? describe.skip : describe) as typeof describe;
}

export async function startSendServers(opts: SendServersOptions): Promise<SendServers> {
  const dovecot = await startDovecot({ ...opts.dovecot, lmtp: true, users: opts.users });
  const started: PostfixServer[] = [];
  const add = async (settings: PostfixSettings = {}): Promise<PostfixServer> => {
    const p = await startPostfix({ ...settings, dovecot });
    started.push(p);
    return p;
  };
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Postfix first: it talks to Dovecot's auth and LMTP sockets.
    await Promise.allSettled(started.map((p) => p.stop()));
    await dovecot.stop();
  };
  try {
    const [postfix, ...extra] = await Promise.all([add(opts.postfix), ...(opts.extraPostfix ?? []).map((s) => add(s))]);
    return { dovecot, postfix: postfix!, extra, addPostfix: add, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Alice's account as the sending suites add it: POP3 over TLS on the Dovecot, SMTP over TLS with
 * the incoming password and Postfix's certificate, one identity. `smtpPort`: something in front of
 * the Postfix instead (a relay that can be switched off, a fault proxy).
 */
export function aliceSending(s: SendServers, smtpPort = s.postfix.submissionsPort): Parameters<MailService['addAccount']>[0] {
  return {
    name: 'Alice',
    email: 'alice@example.org',
    host: '127.0.0.1',
    port: s.dovecot.tlsPort,
    security: 'tls',
    user: 'alice',
    tlsFingerprint: s.dovecot.fingerprint256,
    password: { source: 'keychain' },
    smtp: { host: '127.0.0.1', port: smtpPort, security: 'tls', user: 'alice', tlsFingerprint: s.postfix.fingerprint256, password: { source: 'incoming' } },
    identities: [{ id: 'alice', name: 'Alice', address: 'alice@example.org' }],
  };
}
