/**
 * Which compose windows the page may open (DESIGN §3.8: the page is untrusted, so the shell
 * decides). At most MAX_COMPOSE_WINDOWS at once, so a page cannot bury the desktop in windows;
 * a draft already open in a window is brought to the front instead of opened twice (two windows
 * on one draft would save over each other and could both send it). No Electron here: index.ts
 * keeps one of these and acts on its answers.
 */
export const MAX_COMPOSE_WINDOWS = 10;

/** What to do with a window.open for a compose page. */
export type ComposeWindowDecision<W> = { action: 'open' } | { action: 'focus'; window: W } | { action: 'refuse' };

/** The draft a compose URL opens ("draft:<id>"), or null for a new message, a reply or a forward. */
export function composeWindowKey(raw: string): string | null {
  try {
    const hash = new URL(raw).hash;
    const q = new URLSearchParams(/^#compose\?(.*)$/.exec(hash)?.[1] ?? '');
    const id = q.get('id');
    return q.get('mode') === 'draft' && id ? `draft:${id}` : null;
  } catch {
    return null;
  }
}

export class ComposeWindows<W> {
  private readonly open = new Map<W, string | null>();
  /** Allowed but not created yet: a burst of window.open calls counts before the first window exists. */
  private readonly pending: (string | null)[] = [];

  constructor(private readonly max = MAX_COMPOSE_WINDOWS) {}

  /** Decide on a window.open for `url` (a compose URL); an allowed one is counted at once. */
  decide(url: string): ComposeWindowDecision<W> {
    const key = composeWindowKey(url);
    if (key !== null) {
      for (const [w, k] of this.open) if (k === key) return { action: 'focus', window: w };
      // Asked again before its window exists: the one coming is that draft's.
      if (this.pending.includes(key)) return { action: 'refuse' };
    }
    if (this.open.size + this.pending.length >= this.max) return { action: 'refuse' };
    this.pending.push(key);
    return { action: 'open' };
  }

  /** The window an allowed request made (Electron's did-create-window). */
  created(w: W, url: string): void {
    const key = composeWindowKey(url);
    const i = this.pending.indexOf(key);
    if (i >= 0) this.pending.splice(i, 1);
    this.open.set(w, key);
  }

  closed(w: W): void {
    this.open.delete(w);
  }

  /** The windows open now (main tells them its changes, as it tells the mail window). */
  windows(): W[] {
    return [...this.open.keys()];
  }

  get count(): number {
    return this.open.size + this.pending.length;
  }
}
