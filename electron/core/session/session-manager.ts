/**
 * The account sessions of this process, one per account (DESIGN §3.4: one session per
 * account): every piece of work on an account's mailbox goes through its session.
 */
import { CLOSING_MESSAGE } from '../../../shared/error-codes.js';
import { AccountMailbox } from '../store/mailbox.js';
import { AccountSession } from './account-session.js';

export class SessionManager {
  private readonly sessions = new Map<string, AccountSession<AccountMailbox>>();
  private closing = false;

  constructor(readonly dataDir: string) {}

  for(accountId: string): AccountSession<AccountMailbox> {
    let session = this.sessions.get(accountId);
    if (!session) {
      session = new AccountSession(
        accountId,
        () => AccountMailbox.open(this.dataDir, accountId),
        () => (this.closing ? CLOSING_MESSAGE : null),
      );
      this.sessions.set(accountId, session);
    }
    return session;
  }

  /** The account's mailbox if its session has it open now (readers ask it where a moved file went). */
  openMailbox(accountId: string): AccountMailbox | undefined {
    return this.sessions.get(accountId)?.openBox ?? undefined;
  }

  /**
   * Stops taking work (new jobs are refused as 'closing') and waits for what every session was
   * asked before; each closes its mailbox. Work let in later would open an account's mailbox
   * after the service closed, in a data directory the next owner may have (or be deleting).
   */
  async closeAll(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.sessions.values()].map((s) => s.idle()));
  }
}
