/**
 * A message's verdict: junk, ham (good) or unsure, with its score. Words decide, within two
 * overrides the user relies on: mail from someone the user has written to is never junk, and
 * (when the account's switch is on) the receiving server's own verdict counts as one strong clue.
 */
import { clues, combine, DEFAULT_PARAMS, type ScoreParams } from './score.js';
import { senderAddress, serverVerdict, tokenize } from './tokenize.js';
import type { WordList } from './wordlist.js';

/** Scores below `ham` are good mail, at or above `junk` junk, between them unsure. */
export interface Band {
  ham: number;
  junk: number;
}

/**
 * Chosen with the scoring parameters (score.ts DEFAULT_PARAMS says how), on the benchmark's
 * training split only. Junk needs near-certainty (0.999): calling good mail junk costs the user
 * far more than a junk message left in "unsure".
 */
export const DEFAULT_BAND: Band = { ham: 0.1, junk: 0.999 };

/** The clue the server's "Yes" adds (and its "No"): strong, but one among many words. */
const SERVER_SAYS_JUNK = 0.99;
const SERVER_SAYS_GOOD = 0.3;

export interface ClassifyOptions {
  params?: ScoreParams;
  band?: Band;
  /** Whether the user has written to this (lowercased) address: such mail is never junk. */
  isCorrespondent?: (address: string) => boolean;
  /** Weigh X-Spam-Flag / X-Spam-Status as evidence (a per-account switch). */
  trustServerVerdict?: boolean;
}

export type Outcome = 'junk' | 'ham' | 'unsure';

export interface Classification {
  verdict: Outcome;
  /** 0 surely good … 1 surely junk. */
  score: number;
  /** What decided: the words, a known correspondent, or nothing learned yet. */
  reason: 'words' | 'correspondent' | 'untrained';
  /** How many tokens counted as clues. */
  clues: number;
}

export function outcomeOf(score: number, band: Band = DEFAULT_BAND): Outcome {
  return score >= band.junk ? 'junk' : score < band.ham ? 'ham' : 'unsure';
}

/** Classifies a message from its tokens (tokenize()) and what its headers say. */
export function classifyTokens(
  tokens: readonly string[],
  list: WordList,
  opts: ClassifyOptions = {},
  headers: { sender?: string | null; server?: boolean | null } = {},
): Classification {
  const params = opts.params ?? DEFAULT_PARAMS;
  const found = clues(tokens, list, params);
  const probs = found.map((c) => c.f);
  if (opts.trustServerVerdict && headers.server != null) probs.push(headers.server ? SERVER_SAYS_JUNK : SERVER_SAYS_GOOD);
  const trained = list.junkMessages > 0 && list.hamMessages > 0;
  const score = trained || probs.length > found.length ? combine(trained ? probs : probs.slice(found.length)) : 0.5;
  if (headers.sender && opts.isCorrespondent?.(headers.sender)) return { verdict: 'ham', score, reason: 'correspondent', clues: probs.length };
  if (!trained && probs.length === found.length) return { verdict: 'unsure', score, reason: 'untrained', clues: 0 };
  return { verdict: outcomeOf(score, opts.band), score, reason: 'words', clues: probs.length };
}

/** Classifies a raw RFC 822 message. */
export function classify(raw: Buffer, list: WordList, opts: ClassifyOptions = {}): Classification {
  return classifyTokens(tokenize(raw), list, opts, {
    sender: opts.isCorrespondent ? senderAddress(raw) : null,
    server: opts.trustServerVerdict ? serverVerdict(raw) : null,
  });
}

/** Learns a raw message as junk or good (`sign` −1 takes a mistaken lesson back). */
export function learn(raw: Buffer, list: WordList, kind: 'junk' | 'ham', sign: 1 | -1 = 1): void {
  list.learn(tokenize(raw), kind, sign);
}
