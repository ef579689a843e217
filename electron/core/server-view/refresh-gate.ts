/**
 * How often the On the server view may log in to an account's server (review finding 5): the
 * page asks for refreshes, and a page in a loop must not log in thousands of times (providers
 * lock POP accounts after bursts, and every refresh would queue ahead of the real syncs).
 *
 * Per account:
 *  - a refresh asked while one is queued or running joins it (one waiting at most, never a queue);
 *  - a refresh within REFRESH_MIN_INTERVAL_MS of the last one, or within the server's LOGIN-DELAY
 *    of the last login of any kind (sync, delete, refresh), answers the cached listing instead
 *    of connecting; its listedAt is the old one, so the screen can tell. A failed refresh within
 *    the window answers its failure again (a wrong password retried in a loop is what gets an
 *    account locked);
 *  - something Popbox did on the server since the last refresh (a sync, a delete) makes the
 *    cached listing stale: the next refresh connects at once, LOGIN-DELAY permitting.
 * In memory only: a restart forgets it (at most one more login).
 */

/** The shortest time between two refreshes' logins of one account. */
export const REFRESH_MIN_INTERVAL_MS = 30_000;

interface AccountGate<T> {
  /** The refresh queued or running: later calls join it. */
  inFlight: Promise<T> | null;
  /** When the last refresh ended (ms), and its failure if it failed. */
  lastAt: number | null;
  failure: { error: unknown } | null;
  /** Popbox changed the server (or the cache) since the last refresh. */
  stale: boolean;
  /** The last login of any kind, and the server's LOGIN-DELAY (ms, 0: none known). */
  lastLoginAt: number | null;
  loginDelayMs: number;
}

export class RefreshGate<T> {
  private readonly accounts = new Map<string, AccountGate<T>>();

  constructor(
    private readonly now: () => number,
    private readonly minIntervalMs = REFRESH_MIN_INTERVAL_MS,
  ) {}

  private gate(accountId: string): AccountGate<T> {
    let g = this.accounts.get(accountId);
    if (!g) this.accounts.set(accountId, (g = { inFlight: null, lastAt: null, failure: null, stale: false, lastLoginAt: null, loginDelayMs: 0 }));
    return g;
  }

  /** `connect` unless a refresh is under way (joined) or the last was too recent (`cached`). */
  refresh(accountId: string, connect: () => Promise<T>, cached: () => Promise<T>): Promise<T> {
    const g = this.gate(accountId);
    if (g.inFlight) return g.inFlight;
    if (this.tooSoon(g)) {
      if (g.failure && !g.stale) return Promise.reject(g.failure.error);
      return cached();
    }
    const run = (async () => {
      try {
        const value = await connect();
        g.failure = null;
        return value;
      } catch (error) {
        g.failure = { error };
        throw error;
      } finally {
        // It saw whatever Popbox had changed before it ran (the account's jobs run one at a time).
        g.stale = false;
        g.lastAt = this.now();
        g.inFlight = null;
      }
    })();
    g.inFlight = run;
    return run;
  }

  private tooSoon(g: AccountGate<T>): boolean {
    const now = this.now();
    if (g.loginDelayMs > 0 && g.lastLoginAt !== null && now - g.lastLoginAt < g.loginDelayMs) return true;
    return !g.stale && g.lastAt !== null && now - g.lastAt < this.minIntervalMs;
  }

  /** A login to the account's server succeeded now; `loginDelaySeconds` as its CAPA said (absent: unknown, keep the last known). */
  loggedIn(accountId: string, loginDelaySeconds?: number): void {
    const g = this.gate(accountId);
    g.lastLoginAt = this.now();
    if (loginDelaySeconds !== undefined) g.loginDelayMs = loginDelaySeconds * 1000;
  }

  /** Popbox changed what the server holds (a sync, a delete): the next refresh may connect. */
  changed(accountId: string): void {
    this.gate(accountId).stale = true;
  }
}
