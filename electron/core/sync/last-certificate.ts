/**
 * What Popbox knows about each account's server certificate, kept beside the account's ledger
 * (`accounts/<id>/certificate.json`), not in accounts.json: it is what Popbox saw, not what the
 * user chose, it changes whenever a provider renews its certificate (every few weeks with
 * Let's Encrypt), and writing it must not look like a change of settings (which forgets the
 * stored password and wakes every window's settings view).
 *
 * - `lastSeen`: the certificate of the last verified connection, so that when the CA chain stops
 *   vouching for a server it vouched for before, the warning names the certificate the user's
 *   mail came through until now next to the new one.
 * - `blocked`: a certificate that changed under the account. It outlives a restart, so that the
 *   check at startup does not connect again by itself; saving the account's settings or a
 *   verified connection (the CLI's sync, say) ends it.
 */
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../store/durable.js';

const FILE = 'certificate.json';

interface SeenCertificate {
  /** The server it was seen at: a certificate seen at another host is no one's "last". */
  host: string;
  port: number;
  fingerprint256: string;
  seenAt: number;
}

export interface CertificateBlock {
  code: 'certificate';
  message: string;
  fingerprint256?: string;
  expectedFingerprint256?: string;
  at: number;
}

interface CertificateState {
  lastSeen?: SeenCertificate;
  blocked?: CertificateBlock;
}

const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 1000;

/** Missing or damaged reads as empty: only a warning's wording and a block depend on it. */
function parse(raw: string): CertificateState {
  try {
    const j = JSON.parse(raw) as { lastSeen?: Partial<SeenCertificate>; blocked?: Partial<CertificateBlock> };
    const out: CertificateState = {};
    const s = j.lastSeen;
    if (s && text(s.host) && typeof s.port === 'number' && text(s.fingerprint256)) {
      out.lastSeen = { host: s.host, port: s.port, fingerprint256: s.fingerprint256, seenAt: Number(s.seenAt) || 0 };
    }
    const b = j.blocked;
    if (b && text(b.message)) {
      out.blocked = {
        code: 'certificate',
        message: b.message,
        ...(text(b.fingerprint256) ? { fingerprint256: b.fingerprint256 } : {}),
        ...(text(b.expectedFingerprint256) ? { expectedFingerprint256: b.expectedFingerprint256 } : {}),
        at: Number(b.at) || 0,
      };
    }
    return out;
  } catch {
    return {};
  }
}

async function read(accountDir: string): Promise<CertificateState> {
  return parse(await fs.readFile(path.join(accountDir, FILE), 'utf8').catch(() => ''));
}

async function write(accountDir: string, state: CertificateState): Promise<void> {
  await fs.mkdir(accountDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path.join(accountDir, FILE), `${JSON.stringify(state)}\n`);
}

/** The fingerprint last seen at this server, if Popbox has had a verified connection to it. */
export async function lastSeenCertificate(accountDir: string, server: { host: string; port: number }): Promise<string | undefined> {
  const seen = (await read(accountDir)).lastSeen;
  return seen && seen.host.toLowerCase() === server.host.toLowerCase() && seen.port === server.port ? seen.fingerprint256 : undefined;
}

/** A verified connection: remember its certificate, and any block is over. Written only on a change. */
export async function rememberCertificate(accountDir: string, server: { host: string; port: number }, fingerprint256: string, now: number): Promise<void> {
  const state = await read(accountDir);
  const seen = state.lastSeen;
  const same = seen && seen.host.toLowerCase() === server.host.toLowerCase() && seen.port === server.port && seen.fingerprint256 === fingerprint256;
  if (same && !state.blocked) return;
  await write(accountDir, { lastSeen: same ? seen : { host: server.host, port: server.port, fingerprint256, seenAt: now } });
}

export async function recordCertificateBlock(accountDir: string, error: Omit<CertificateBlock, 'code' | 'at'>, now: number): Promise<void> {
  const state = await read(accountDir);
  await write(accountDir, { ...state, blocked: { code: 'certificate', ...error, at: now } });
}

export async function clearCertificateBlock(accountDir: string): Promise<void> {
  const state = await read(accountDir);
  if (!state.blocked) return;
  await write(accountDir, { ...(state.lastSeen ? { lastSeen: state.lastSeen } : {}) });
}

/**
 * The block, if any, read synchronously: the scheduler must know it before its first timers,
 * and this is one small file per account, once at startup.
 */
export function certificateBlockSync(accountDir: string): CertificateBlock | undefined {
  try {
    return parse(readFileSync(path.join(accountDir, FILE), 'utf8')).blocked;
  } catch {
    return undefined;
  }
}
