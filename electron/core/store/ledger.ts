/**
 * The per-account ledger of UIDLs (DESIGN §2; Thunderbird's popstate.dat is the model): what
 * was downloaded and when, what the user deleted here, and which server deletions were
 * committed by a QUIT that answered +OK.
 *
 * An append-only JSON-lines file, one event per line, folded into one entry per UIDL on open.
 * Events are staged and written in groups (`commit`: one append, one fsync), and the sync
 * engine commits before it sends any DELE. A torn last line (a crash mid-append) is dropped;
 * the file is rewritten compactly when the log outgrows the live entries.
 */
import type { MessageSummary } from '../../../shared/messages.js';
import { appendDurable, type FileRead, jsonLinesOf, readFileOrNone, removeStrayTemps, storageError, writeFileAtomic } from './durable.js';

export interface LedgerEntry {
  uidl: string;
  id: string;
  /** When we downloaded it (ms since epoch): "delete after N days" counts from here. */
  downloadedAt: number;
  /** Bytes stored; for a headers-only message, its size on the server (LIST). */
  size: number;
  /** Only the header was downloaded (over the size limit). */
  partial: boolean;
  /** The user deleted it here for good. */
  deletedLocallyAt?: number;
  /**
   * What the list of server deletions to come shows, kept when the message is deleted here:
   * by then the message and its summary are gone. Absent in ledgers written before it was kept.
   */
  preview?: DeletionPreview;
  /** A filter asked for it to be deleted from the server at the next sync (the copy here stays). */
  serverDeleteAskedAt?: number;
  /** A QUIT +OK committed our DELE of it. */
  serverDeletedAt?: number;
  /** The server no longer lists it (deleted elsewhere, or expired). */
  goneAt?: number;
}

export interface DeletionPreview {
  subject: string;
  /** The sender as a list shows it. */
  from: string;
  /** The Date header (ISO 8601), or null. */
  date: string | null;
}

/** The preview of a message about to be deleted here, from its summary. */
export function deletionPreview(summary: Pick<MessageSummary, 'subject' | 'from' | 'date'>): DeletionPreview {
  const sender = summary.from[0];
  return { subject: summary.subject, from: sender ? sender.name || sender.address : '', date: summary.date };
}

type LedgerEvent =
  | { e: 'dl'; u: string; id: string; at: number; size: number; partial: boolean }
  | { e: 'full'; u: string; size: number }
  | { e: 'del'; u: string; at: number; p?: DeletionPreview }
  | { e: 'srv'; u: string[]; at: number }
  | { e: 'ask'; u: string[]; at: number }
  | { e: 'gone'; u: string[]; at: number }
  | { e: 'entry'; v: LedgerEntry };

/** Entries no longer on the server are forgotten after this long. */
const FORGET_AFTER_MS = 30 * 24 * 3600 * 1000;

export class Ledger {
  private readonly entries = new Map<string, LedgerEntry>();
  private readonly byId = new Map<string, string>();
  private staged: LedgerEvent[] = [];
  private lines = 0;

  private constructor(private readonly file: string) {}

  static async open(file: string): Promise<Ledger> {
    return Ledger.fromRead(await readFileOrNone(file, 'the ledger'));
  }

  /**
   * The ledger in `read`, the file as the caller read it under the account's lock (quick-check-digest.ts
   * hashes the bytes it plans from); a torn last line is cut off the file only if it is still as read.
   */
  static async fromRead(read: FileRead): Promise<Ledger> {
    await removeStrayTemps(read.file);
    const ledger = new Ledger(read.file);
    for (const ev of await jsonLinesOf(read)) {
      ledger.apply(ev as LedgerEvent);
      ledger.lines++;
    }
    return ledger;
  }

  private apply(ev: LedgerEvent): void {
    switch (ev.e) {
      case 'dl': {
        const prev = this.entries.get(ev.u);
        this.set({ ...prev, uidl: ev.u, id: ev.id, downloadedAt: ev.at, size: ev.size, partial: ev.partial });
        break;
      }
      case 'full': {
        const prev = this.entries.get(ev.u);
        if (prev) this.set({ ...prev, size: ev.size, partial: false });
        break;
      }
      case 'del': {
        const prev = this.entries.get(ev.u);
        if (prev) this.set({ ...prev, deletedLocallyAt: ev.at, ...(ev.p ? { preview: ev.p } : {}) });
        break;
      }
      case 'srv':
        for (const u of ev.u) {
          const prev = this.entries.get(u);
          if (prev) this.set({ ...prev, serverDeletedAt: ev.at });
        }
        break;
      case 'ask':
        for (const u of ev.u) {
          const prev = this.entries.get(u);
          if (prev && prev.serverDeleteAskedAt === undefined) this.set({ ...prev, serverDeleteAskedAt: ev.at });
        }
        break;
      case 'gone':
        for (const u of ev.u) {
          const prev = this.entries.get(u);
          if (prev && prev.goneAt === undefined) this.set({ ...prev, goneAt: ev.at });
        }
        break;
      case 'entry':
        this.set(ev.v);
        break;
    }
  }

  private set(entry: LedgerEntry): void {
    this.entries.set(entry.uidl, entry);
    this.byId.set(entry.id, entry.uidl);
  }

  get(uidl: string): LedgerEntry | undefined {
    return this.entries.get(uidl);
  }

  getById(id: string): LedgerEntry | undefined {
    const u = this.byId.get(id);
    return u === undefined ? undefined : this.entries.get(u);
  }

  all(): IterableIterator<LedgerEntry> {
    return this.entries.values();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Stage events; they take effect in memory now and on disk at the next commit. */
  downloaded(uidl: string, id: string, at: number, size: number, partial: boolean): void {
    this.stage({ e: 'dl', u: uidl, id, at, size, partial });
  }

  completed(uidl: string, size: number): void {
    this.stage({ e: 'full', u: uidl, size });
  }

  deletedLocally(uidl: string, at: number, preview?: DeletionPreview): void {
    this.stage({ e: 'del', u: uidl, at, ...(preview ? { p: preview } : {}) });
  }

  serverDeleted(uidls: string[], at: number): void {
    if (uidls.length) this.stage({ e: 'srv', u: uidls, at });
  }

  /** A filter's "delete from the server": the next sync deletes it there, whatever the account keeps. */
  deleteOnServer(uidls: string[], at: number): void {
    if (uidls.length) this.stage({ e: 'ask', u: uidls, at });
  }

  gone(uidls: string[], at: number): void {
    if (uidls.length) this.stage({ e: 'gone', u: uidls, at });
  }

  private stage(ev: LedgerEvent): void {
    this.apply(ev);
    this.staged.push(ev);
  }

  get hasStaged(): boolean {
    return this.staged.length > 0;
  }

  /**
   * Write staged events durably (one append, one fsync). On failure nothing is half-applied on
   * disk and the events stay staged. Commits run one after another: the sync and a delete made
   * meanwhile may both commit, and neither may write the other's events twice or drop them.
   * A caller's events are durable when its own commit resolves.
   */
  commit(): Promise<void> {
    const run = this.committing.catch(() => {}).then(() => this.commitStaged());
    this.committing = run;
    return run;
  }

  private committing: Promise<void> = Promise.resolve();

  private async commitStaged(): Promise<void> {
    if (this.staged.length === 0) return;
    // Take the batch first: events staged while this one is written wait for the next commit.
    const events = this.staged;
    this.staged = [];
    const text = events.map((ev) => `${JSON.stringify(ev)}\n`).join('');
    try {
      await appendDurable(this.file, text);
    } catch (e) {
      this.staged = [...events, ...this.staged];
      throw storageError('cannot write the ledger', e);
    }
    this.lines += events.length;
    // Inside the running commit: calling compact() here would wait for this very commit.
    if (this.staged.length === 0 && this.lines > 1000 && this.lines > 3 * this.entries.size) await this.rewrite(Date.now());
  }

  /** Rewrite the file as one line per live entry, forgetting long-gone ones (after the commits before it). */
  compact(now: number): Promise<void> {
    const run = this.committing
      .catch(() => {})
      .then(async () => {
        while (this.staged.length > 0) await this.commitStaged();
        await this.rewrite(now);
      });
    this.committing = run;
    return run;
  }

  /** Only with nothing staged: staged events are already in `entries` and would be written twice. */
  private async rewrite(now: number): Promise<void> {
    for (const [u, entry] of this.entries) {
      const since = entry.goneAt ?? entry.serverDeletedAt;
      if (since !== undefined && now - since > FORGET_AFTER_MS) {
        this.entries.delete(u);
        this.byId.delete(entry.id);
      }
    }
    const text = [...this.entries.values()].map((v) => `${JSON.stringify({ e: 'entry', v })}\n`).join('');
    try {
      await writeFileAtomic(this.file, text);
    } catch (e) {
      throw storageError('cannot compact the ledger', e);
    }
    this.lines = this.entries.size;
  }
}
