/**
 * The word list: for each token, in how many junk and how many good messages it was seen, and
 * how many messages of each kind were learned. Counts, not probabilities, so learning and
 * unlearning stay exact and the scoring parameters can change without retraining.
 */
import { JunkedBy } from '../../../shared/changes.js';

export type Verdict = 'junk' | 'ham';

/**
 * The saved form: three parallel arrays rather than an object keyed by token, because parsing
 * and rebuilding 100,000 object keys takes half a second where arrays take a tenth of that.
 */
export interface WordListData {
  version: 1;
  junkMessages: number;
  hamMessages: number;
  tokens: string[];
  /** junk[i], ham[i]: in how many junk and good messages tokens[i] was seen. */
  junk: number[];
  ham: number[];
  /** Stored messages the user taught (Junk / Not junk), so a change of mind takes the lesson back. */
  learned?: Record<string, LearnedMessage>;
}

/**
 * What a stored message was learned as, and the folder it was in before Junk moved it; for Not
 * junk on a message in Junk, who had put it there, so an Undo files it with that cause again.
 */
export interface LearnedMessage {
  v: Verdict;
  from?: string;
  junkedBy?: JunkedBy;
}

/** A count as saved: a whole number a double holds exactly (no strings, fractions, negatives or 1e308). */
const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

export class WordList {
  junkMessages = 0;
  hamMessages = 0;
  readonly counts = new Map<string, [number, number]>();
  /** By message id: saved in the same file as the counts, so both change in one atomic write. */
  readonly learned = new Map<string, LearnedMessage>();

  /** Counts one message of `kind` with these (distinct) tokens; `-1` takes a learned message back. */
  learn(tokens: readonly string[], kind: Verdict, sign: 1 | -1 = 1): void {
    const i = kind === 'junk' ? 0 : 1;
    if (kind === 'junk') this.junkMessages = Math.max(0, this.junkMessages + sign);
    else this.hamMessages = Math.max(0, this.hamMessages + sign);
    for (const token of tokens) {
      let c = this.counts.get(token);
      if (!c) {
        if (sign < 0) continue;
        c = [0, 0];
        this.counts.set(token, c);
      }
      c[i] = Math.max(0, c[i] + sign);
      if (c[0] === 0 && c[1] === 0) this.counts.delete(token);
    }
  }

  get(token: string): readonly [number, number] | undefined {
    return this.counts.get(token);
  }

  toJSON(): WordListData {
    const tokens: string[] = [];
    const junk: number[] = [];
    const ham: number[] = [];
    for (const [k, v] of this.counts) {
      tokens.push(k);
      junk.push(v[0]);
      ham.push(v[1]);
    }
    const data: WordListData = { version: 1, junkMessages: this.junkMessages, hamMessages: this.hamMessages, tokens, junk, ham };
    if (this.learned.size > 0) data.learned = Object.fromEntries(this.learned);
    return data;
  }

  static fromJSON(data: unknown): WordList {
    const d = data as Partial<WordListData> | null;
    const n = Array.isArray(d?.tokens) ? d.tokens.length : -1;
    if (!d || d.version !== 1 || n < 0 || !Array.isArray(d.junk) || !Array.isArray(d.ham) || d.junk.length !== n || d.ham.length !== n) {
      throw new Error('not a Popbox junk word list (version 1)');
    }
    // A count that is not a whole number would poison everything after it (the string "5"
    // learned once more is "51", 1e308 makes every score NaN): such a file is damaged, not half-trusted.
    if (!isCount(d.junkMessages) || !isCount(d.hamMessages)) throw new Error('message totals are not whole numbers');
    const list = new WordList();
    list.junkMessages = d.junkMessages;
    list.hamMessages = d.hamMessages;
    const { tokens, junk, ham } = d as WordListData;
    for (let i = 0; i < n; i++) {
      const token = tokens[i];
      const j = junk[i];
      const h = ham[i];
      if (typeof token !== 'string' || !isCount(j) || !isCount(h)) throw new Error(`entry ${i} is not a token with whole-number counts`);
      if (j > 0 || h > 0) list.counts.set(token, [j, h]);
    }
    if (d.learned && typeof d.learned === 'object') {
      for (const [id, l] of Object.entries(d.learned)) {
        if (!l || (l.v !== 'junk' && l.v !== 'ham')) continue;
        const by = JunkedBy.safeParse(l.junkedBy);
        list.learned.set(id, { v: l.v, ...(typeof l.from === 'string' ? { from: l.from } : {}), ...(by.success && by.data ? { junkedBy: by.data } : {}) });
      }
    }
    return list;
  }
}
