/**
 * One native question at a time (DESIGN §3.8, review finding 3). A page that fires a second
 * question while one is open stacks an identical dialog on top, and the person answers the one
 * they did not mean to; a page that fires it on mousedown catches the second click of a double
 * click; a page that asks again after every Cancel wears the person down. So, in core (every
 * host gets it): while a question is open, another is refused as `busy`; after Cancel, the same
 * kind of question is refused for a pause. A refusal asks nothing.
 */
import { AppFailure } from '../errors.js';

/** How long after Cancel the same kind of question is not asked again. */
export const PAUSE_AFTER_CANCEL_MS = 10_000;

export type QuestionKind = 'resend' | 'server-delete' | 'rules-server-delete' | 'rules-forward' | 'rules-run';

export class QuestionGate {
  private open = false;
  /** When each kind was last answered Cancel. */
  private readonly declined = new Map<QuestionKind, number>();

  constructor(
    private readonly pauseMs = PAUSE_AFTER_CANCEL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** `ask()`'s answer, if the gate lets it be asked; a question that throws counts as neither yes nor Cancel. */
  async ask(kind: QuestionKind, ask: () => Promise<boolean>): Promise<boolean> {
    if (this.open) throw new AppFailure('busy', 'Popbox is already asking you something: answer that question first.');
    const at = this.declined.get(kind);
    const left = at === undefined ? 0 : at + this.pauseMs - this.now();
    if (left > 0) {
      const s = Math.ceil(left / 1000);
      throw new AppFailure('busy', `You answered Cancel to this a moment ago, so Popbox does not ask again yet: try again in ${s} second${s === 1 ? '' : 's'}.`);
    }
    this.open = true;
    try {
      const yes = await ask();
      if (yes) this.declined.delete(kind);
      else this.declined.set(kind, this.now());
      return yes;
    } finally {
      this.open = false;
    }
  }
}
