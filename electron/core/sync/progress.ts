/**
 * A sync's progress as the screens need it: a new phase is told at once, a moving count at most
 * once per PROGRESS_EVERY_MS. Told once per message, an 800-message sync sent 800 events, and in
 * the app each one crossed to the renderer (an IPC message from main's thread) and became a write
 * of the renderer's read model, several times a millisecond, for a counter nobody can read that
 * fast. A count held back is told when its interval ends (a server that stalls after message 2
 * still shows "2 of 5") and when the download ends (`flush`), so the last count is always seen.
 */
import type { SyncPhase, SyncProgress } from '../../../shared/contract.js';

/** Ten counts a second: as smooth as a counter needs. */
export const PROGRESS_EVERY_MS = 100;

export class ProgressReporter {
  private timer: NodeJS.Timeout | null = null;
  /** The count moved since it was last told. */
  private held = false;

  constructor(
    /** The sync's own record, updated in place by the sync; each event is a copy of it. */
    private readonly progress: SyncProgress,
    private readonly emit: ((p: SyncProgress) => void) | undefined,
    private readonly everyMs = PROGRESS_EVERY_MS,
  ) {}

  /** A new phase, told now (with the count as it is). */
  phase(phase: SyncPhase): void {
    this.stop();
    this.progress.phase = phase;
    this.tell();
  }

  /** The count moved: told now when nothing was told in the last interval, else when it ends. */
  moved(): void {
    if (!this.emit) return;
    if (this.timer) {
      this.held = true;
      return;
    }
    this.tell();
    this.timer = setTimeout(this.tick, this.everyMs);
  }

  /** Tell a count held back, and stop the clock (the download ended, or failed). */
  flush(): void {
    const held = this.held;
    this.stop();
    if (held) this.tell();
  }

  private readonly tick = (): void => {
    if (!this.held) {
      this.timer = null;
      return;
    }
    this.held = false;
    this.timer?.refresh();
    try {
      this.tell();
    } catch {
      // From a timer a listener's throw would end the process: a count not shown is no reason to.
    }
  };

  private stop(): void {
    this.held = false;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private tell(): void {
    this.emit?.({ ...this.progress });
  }
}
