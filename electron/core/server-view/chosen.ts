/**
 * Deletions on the server the person chose in the On the server view, remembered durably
 * (`<account dir>/server-chosen.json`) from before the connection that carries them out until a
 * listing shows the server no longer holds them. Written first because a dropped connection
 * deletes nothing (RFC 1939 §6): without it the next sync would download the very messages the
 * person wanted gone, never-downloaded junk included. While a UIDL is here, sync never downloads
 * it and deletes it on the server at the next check ("pending: chosen").
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../store/durable.js';

export const CHOSEN_FILE = 'server-chosen.json';

/** UIDL → when it was chosen (ms since epoch). */
export type Chosen = Map<string, number>;

export async function loadChosen(accountDir: string): Promise<Chosen> {
  try {
    const v = JSON.parse(await fs.readFile(path.join(accountDir, CHOSEN_FILE), 'utf8')) as { uidls?: unknown };
    const out: Chosen = new Map();
    for (const pair of Array.isArray(v.uidls) ? v.uidls : []) {
      if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'number') out.set(pair[0], pair[1]);
    }
    return out;
  } catch {
    return new Map();
  }
}

export async function saveChosen(accountDir: string, chosen: Chosen): Promise<void> {
  const file = path.join(accountDir, CHOSEN_FILE);
  if (chosen.size === 0) {
    await fs.rm(file, { force: true });
    return;
  }
  await writeFileAtomic(file, JSON.stringify({ uidls: [...chosen] }));
}

/** Drops chosen UIDLs the server no longer lists; true when something changed. */
export function pruneChosen(chosen: Chosen, onServer: ReadonlySet<string>): boolean {
  let changed = false;
  for (const uidl of chosen.keys()) {
    if (!onServer.has(uidl)) {
      chosen.delete(uidl);
      changed = true;
    }
  }
  return changed;
}
