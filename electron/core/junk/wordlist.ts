/**
 * The word list: for each token, in how many junk and how many good messages it was seen, and
 * how many messages of each kind were learned. Counts, not probabilities, so learning and
 * unlearning stay exact and the scoring parameters can change without retraining.
 */

export type Verdict = 'junk' | 'ham';

export interface WordListData {
  version: 1;
  junkMessages: number;
  hamMessages: number;
  /** token → [junk count, ham count] */
  tokens: Record<string, [number, number]>;
}

export class WordList {
  junkMessages = 0;
  hamMessages = 0;
  readonly counts = new Map<string, [number, number]>();

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
    const tokens: Record<string, [number, number]> = {};
    for (const [k, v] of this.counts) tokens[k] = v;
    return { version: 1, junkMessages: this.junkMessages, hamMessages: this.hamMessages, tokens };
  }

  static fromJSON(data: unknown): WordList {
    const d = data as Partial<WordListData> | null;
    if (!d || d.version !== 1 || typeof d.tokens !== 'object' || d.tokens === null) throw new Error('not a Popbox junk word list (version 1)');
    const list = new WordList();
    list.junkMessages = Number(d.junkMessages) || 0;
    list.hamMessages = Number(d.hamMessages) || 0;
    for (const [k, v] of Object.entries(d.tokens)) {
      if (Array.isArray(v) && v.length === 2) list.counts.set(k, [Number(v[0]) || 0, Number(v[1]) || 0]);
    }
    return list;
  }
}
