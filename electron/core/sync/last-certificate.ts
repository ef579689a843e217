/**
 * The certificate each account's server presented at its last verified connection, kept
 * beside the account's ledger (`accounts/<id>/certificate.json`), not in accounts.json:
 * it is what Popbox saw, not what the user chose, it changes whenever a provider renews its
 * certificate (every few weeks with Let's Encrypt), and writing it must not look like a change
 * of settings (which forgets the stored password and wakes every window's settings view).
 *
 * When the CA chain stops vouching for a server that it vouched for before, the warning can
 * then name the certificate the user's mail came through until now next to the new one.
 */
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

async function read(accountDir: string): Promise<SeenCertificate | null> {
  try {
    const parsed = JSON.parse(await fs.readFile(path.join(accountDir, FILE), 'utf8')) as Partial<SeenCertificate>;
    if (typeof parsed.host !== 'string' || typeof parsed.port !== 'number' || typeof parsed.fingerprint256 !== 'string') return null;
    return { host: parsed.host, port: parsed.port, fingerprint256: parsed.fingerprint256, seenAt: Number(parsed.seenAt) || 0 };
  } catch {
    // Missing or damaged: only the name of a fingerprint in a warning depends on it.
    return null;
  }
}

/** The fingerprint last seen at this server, if Popbox has connected to it before. */
export async function lastSeenCertificate(accountDir: string, server: { host: string; port: number }): Promise<string | undefined> {
  const seen = await read(accountDir);
  return seen && seen.host.toLowerCase() === server.host.toLowerCase() && seen.port === server.port ? seen.fingerprint256 : undefined;
}

/** Remember a verified connection's certificate; the file is written only when it changed. */
export async function rememberCertificate(accountDir: string, server: { host: string; port: number }, fingerprint256: string, now: number): Promise<void> {
  if ((await lastSeenCertificate(accountDir, server)) === fingerprint256) return;
  const seen: SeenCertificate = { host: server.host, port: server.port, fingerprint256, seenAt: now };
  await writeFileAtomic(path.join(accountDir, FILE), `${JSON.stringify(seen)}\n`);
}
