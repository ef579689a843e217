/**
 * The account sessions of this process, one per account (DESIGN §3.4: one session per
 * account): every piece of work on an account's mailbox goes through its session.
 */
import { AccountMailbox } from '../store/mailbox.js';
import { AccountSession } from './account-session.js';

export class SessionManager {
  private readonly sessions = new Map<string, AccountSession<AccountMailbox>>();

  constructor(readonly dataDir: string) {}

  for(accountId: string): AccountSession<AccountMailbox> {
    let session = this.sessions.get(accountId);
    if (!session) {
      session = new AccountSession(accountId, () => AccountMailbox.open(this.dataDir, accountId));
      this.sessions.set(accountId, session);
    }
    return session;
  }

  /** The account's mailbox if its session has it open now (readers ask it where a moved file went). */
  openMailbox(accountId: string): AccountMailbox | undefined {
    return this.sessions.get(accountId)?.openBox ?? undefined;
  }

  /** Waits for the work of every session (work queued meanwhile included); each closes its mailbox. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.idle()));
  }
}
