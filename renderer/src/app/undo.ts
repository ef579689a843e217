/**
 * The undo history of one window (Ctrl+Z / Cmd+Z and the toast's Undo button): the last few
 * commands that can be taken back, newest last. App owns one instance for its lifetime; it is
 * not module state, so two windows (or two tests) never share steps.
 */
export interface UndoStep {
  /** What was done, as the toast says it ("Moved 3 messages to Work"). */
  done: string;
  /** Takes it back (a command to main, like any other: the list follows the change feed). */
  undo: () => Promise<void>;
}

export class UndoHistory {
  private readonly steps: UndoStep[] = [];

  constructor(private readonly depth = 20) {}

  push(step: UndoStep): void {
    this.steps.push(step);
    if (this.steps.length > this.depth) this.steps.shift();
  }

  /** The newest step, taken off the history. */
  pop(): UndoStep | undefined {
    return this.steps.pop();
  }

  get size(): number {
    return this.steps.length;
  }
}
