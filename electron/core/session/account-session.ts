/**
 * One account's session (DESIGN §1): the account's one open mailbox in this process and the
 * work on it, one job after another. Sync, delete-for-good, download-the-rest and reconcile
 * each get the mailbox to themselves (`run`); a job that lets quick work in (a sync, which
 * downloads for minutes) lets commands that only rename files or read the ledger (`share`:
 * mark read, Trash, the pending list) use the same open mailbox beside it, so the user's
 * clicks do not wait for the whole download. Delete-for-good never shares: its ledger commit
 * would make the sync's staged downloads durable before the sync has fsynced their directory.
 *
 * The mailbox is opened for the first job and closed as soon as no job is left, so another
 * Popbox process (the CLI) can take the account's lock while this one is idle.
 */
import { AppFailure } from '../errors.js';
import { KeptLedger } from './kept-ledger.js';

export interface SessionBox {
  close(): Promise<void>;
}

export class AccountSession<B extends SessionBox> {
  /** The last job queued, settled either way: the next one starts after it. */
  private tail: Promise<void> = Promise.resolve();
  /** Jobs queued or running; at zero the mailbox is closed. */
  private jobs = 0;
  private box: B | null = null;
  /** The mailbox while a job that lets quick work in holds it. */
  private sharing: B | null = null;
  /** Quick work waiting for such a job to open the mailbox (null when none is running unopened). */
  private awaitingBox: ((box: B) => void)[] | null = null;
  /** Quick work running beside such a job: the job's turn ends only after it. */
  private readonly guests = new Set<Promise<void>>();
  /** The ledger as the account's last quick check read it (read again only once its file changed). */
  readonly keptLedger = new KeptLedger();

  /**
   * `refusal` says why new work is refused (the service is closing: SessionManager), or null
   * while it is taken: every new job and quick work is then refused ('closing', with that
   * reason); what was asked before still runs, and `idle` waits for it. So no job opens the
   * mailbox after the close returned.
   */
  constructor(
    readonly accountId: string,
    private readonly open: () => Promise<B>,
    private readonly refusal: () => string | null = () => null,
  ) {}

  /** Whether the mailbox is open now (for tests and diagnostics). */
  get isOpen(): boolean {
    return this.box !== null;
  }

  /** The mailbox while it is open (readers that hold no turn ask it where its renames put a file). */
  get openBox(): B | null {
    return this.box;
  }

  /**
   * Runs `fn` with the mailbox to itself, after every job queued before it. A failing job
   * (or a mailbox that cannot be opened) fails only its caller; the next job opens afresh.
   */
  run<T>(fn: (box: B) => Promise<T>, opts: { letQuickWorkIn?: boolean } = {}): Promise<T> {
    return this.lazily(async (_box, open) => fn(await open()), opts);
  }

  /**
   * Runs `fn` in turn like `run`, but opens the mailbox only when `fn` asks (`open`): until then
   * `fn` gets it only if a job before kept it open, else null. The check for mail runs so: its
   * quick check reads only the ledger (taking the account's lock itself) and opens the mailbox
   * only when there is mail to fetch, all in this one turn, so no other job of the account (which
   * would log in to the server a second time) comes between the quick check's login and the end
   * of the sync it hands its connection to (DESIGN §3.4). `open(opener)` opens the mailbox that
   * way instead of the session's own (the quick check hands over the account lock it holds);
   * with `letQuickWorkIn`, quick work comes in beside from then on.
   */
  lazily<T>(
    fn: (box: B | null, open: (opener?: () => Promise<B>) => Promise<B>) => Promise<T>,
    opts: { letQuickWorkIn?: boolean } = {},
  ): Promise<T> {
    const refused = this.refusal();
    if (refused !== null) return Promise.reject(new AppFailure('closing', refused));
    this.jobs++;
    const job = this.tail.then(async () => {
      const open = async (opener?: () => Promise<B>): Promise<B> => {
        const box = (this.box ??= await (opener ?? this.open)());
        if (opts.letQuickWorkIn) {
          this.sharing = box;
          for (const start of this.awaitingBox?.splice(0) ?? []) start(box);
        }
        return box;
      };
      // Quick work asked for before this job opens the mailbox waits for that (see share).
      if (opts.letQuickWorkIn && !this.box) this.awaitingBox = [];
      try {
        try {
          return await fn(this.box, open);
        } finally {
          this.sharing = null;
          this.awaitingBox = null;
          await this.guestsDone();
        }
      } finally {
        // Whatever failed above, an idle mailbox is closed (else every later open says in-use).
        if (--this.jobs === 0) await this.closeBox();
      }
    });
    this.tail = job.then(
      () => {},
      () => {},
    );
    return job;
  }

  /**
   * Quick work: beside a job that lets it in, else in turn like any other job. While such a job
   * has not opened the mailbox yet (the check for mail during its quick check), the work takes
   * its place in the queue as usual, and starts beside that job if it opens the mailbox first:
   * a click then waits for the quick check, not for the whole download that follows it, and keeps
   * its order with the jobs asked for after it when the check ends without opening.
   */
  share<T>(fn: (box: B) => Promise<T>): Promise<T> {
    const refused = this.refusal();
    if (refused !== null) return Promise.reject(new AppFailure('closing', refused));
    const box = this.sharing;
    if (box) return this.beside(box, fn);
    const awaiting = this.awaitingBox;
    if (!awaiting) return this.run(fn);
    return new Promise<T>((resolve, reject) => {
      let started = false;
      const start = (work: () => Promise<T>): Promise<T> | undefined => {
        if (started) return undefined;
        started = true;
        const running = work();
        running.then(resolve, reject);
        return running;
      };
      awaiting.push((opened) => void start(() => this.beside(opened, fn)));
      // Its turn, if the mailbox was not opened for it before: a job like any other.
      void this.lazily(async (_box, open) => {
        await start(async () => fn(await open()));
      }).catch(() => {}); // its caller has the error
    });
  }

  private beside<T>(box: B, fn: (box: B) => Promise<T>): Promise<T> {
    const work = (async () => fn(box))();
    const settled = work.then(
      () => {},
      () => {},
    );
    this.guests.add(settled);
    void settled.then(() => this.guests.delete(settled));
    return work;
  }

  /** Resolves once every job queued so far and the quick work beside them is done and the mailbox closed. */
  async idle(): Promise<void> {
    // The last job's tail settles only after it closed the mailbox (its count drops to zero first).
    do {
      await this.tail;
      await this.guestsDone();
    } while (this.jobs > 0 || this.guests.size > 0);
  }

  private async guestsDone(): Promise<void> {
    while (this.guests.size > 0) await Promise.allSettled([...this.guests]);
  }

  private async closeBox(): Promise<void> {
    const box = this.box;
    this.box = null;
    await box?.close();
  }
}
