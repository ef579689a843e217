/**
 * An account's ledger as the quick check last read it, kept by the account's session (one per
 * account in the app), with the file's identity, size and times when read. The ledger is only
 * appended to (one fsynced append per commit) or replaced whole by a rename when compacted, so
 * the same inode, size and times mean the same content: a running app that checks every few
 * minutes reads its 2,000-line ledger once, not at every check. Read under the account's lock (no
 * writer meanwhile) and never written through (the quick check only reads).
 */
import fs from 'node:fs/promises';
import { Ledger } from '../store/ledger.js';

export class KeptLedger {
  private kept: { file: string; key: string; ledger: Ledger } | null = null;

  async read(file: string): Promise<Ledger> {
    const st = await fs.stat(file).catch(() => null);
    const key = st ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : '';
    const kept = this.kept;
    if (st && kept?.file === file && kept.key === key) return kept.ledger;
    const ledger = await Ledger.open(file);
    this.kept = st ? { file, key, ledger } : null;
    return ledger;
  }
}
