/**
 * Scoring, after Gary Robinson's "A Statistical Approach to the Spam Problem" (2003), the method
 * SpamBayes and bogofilter both use: each token's probability of junk f(w), pulled towards a
 * prior x with strength s when the token has been seen rarely, and the strongest clues combined
 * with Fisher's inverse chi-square test, once for "junk" and once for "good". The indicator is
 * (1 + S − H)/2 with S the junk evidence and H the good evidence: 0 is surely good, 1 surely
 * junk, 0.5 no evidence or strong evidence both ways (which is what makes "unsure" honest).
 */
import type { WordList } from './wordlist.js';

export interface ScoreParams {
  /** Robinson's s: how many messages' worth of weight the prior x has. */
  s: number;
  /** Robinson's x: f(w) of a token never seen. */
  x: number;
  /** Tokens with |f(w) − 0.5| below this are no clue at all. */
  minDev: number;
  /** At most this many of the strongest clues are combined. */
  maxClues: number;
}

/**
 * Chosen with the band (classify.ts) by 5-fold cross-validation on the benchmark's training split
 * only (BENCH_JUNK_TUNE=1 npm run bench:junk), by SpamBayes's cost rule: $10 per good message
 * called junk, $1 per junk called good, $0.20 per unsure. The cheapest setting was also the only
 * one that called no good message junk (the grid and its costs: the tune output).
 */
export const DEFAULT_PARAMS: ScoreParams = { s: 0.45, x: 0.5, minDev: 0, maxClues: 150 };

/**
 * Robinson's f(w). p(w) compares the token's rate in junk with its rate in good mail (so an
 * unbalanced training set does not tilt it), then n = how often it was seen decides how far
 * it moves from the prior.
 */
export function tokenProbability(junk: number, ham: number, junkMessages: number, hamMessages: number, p: Pick<ScoreParams, 's' | 'x'>): number {
  const n = junk + ham;
  if (n === 0) return p.x;
  const bad = junkMessages > 0 ? Math.min(1, junk / junkMessages) : 0;
  const good = hamMessages > 0 ? Math.min(1, ham / hamMessages) : 0;
  const pw = bad + good === 0 ? p.x : bad / (bad + good);
  return (p.s * p.x + n * pw) / (p.s + n);
}

/**
 * Q(χ² | ν) for even ν: the probability that a chi-square variable with ν degrees of freedom
 * is at least `chi2`. The series is summed in log space so a long message cannot underflow it.
 */
export function chi2Q(chi2: number, dof: number): number {
  if (dof % 2 !== 0 || dof <= 0) throw new RangeError('chi2Q needs an even, positive number of degrees of freedom');
  if (chi2 <= 0) return 1;
  const m = chi2 / 2;
  const lnM = Math.log(m);
  let lnTerm = -m;
  let sum = Math.exp(lnTerm);
  for (let i = 1; i < dof / 2; i++) {
    lnTerm += lnM - Math.log(i);
    sum += Math.exp(lnTerm);
  }
  return Math.min(1, sum);
}

/** Fisher–Robinson combination of token probabilities into one indicator in [0, 1]. */
export function combine(probs: readonly number[]): number {
  if (probs.length === 0) return 0.5;
  let lnJunk = 0;
  let lnGood = 0;
  for (const f of probs) {
    const q = Math.min(Math.max(f, 1e-6), 1 - 1e-6);
    lnGood += Math.log(q); // small when the clues say junk
    lnJunk += Math.log(1 - q); // small when the clues say good
  }
  const dof = 2 * probs.length;
  const S = 1 - chi2Q(-2 * lnJunk, dof); // near 1: the clues are junk-like
  const H = 1 - chi2Q(-2 * lnGood, dof); // near 1: the clues are good-like
  return (1 + S - H) / 2;
}

export interface Clue {
  token: string;
  f: number;
}

/** The clues of a token set: its known tokens' f(w), strongest first, at most maxClues. */
export function clues(tokens: readonly string[], list: WordList, p: ScoreParams): Clue[] {
  const out: Clue[] = [];
  for (const token of tokens) {
    const c = list.get(token);
    if (!c) continue;
    const f = tokenProbability(c[0], c[1], list.junkMessages, list.hamMessages, p);
    if (Math.abs(f - 0.5) >= p.minDev) out.push({ token, f });
  }
  if (out.length > p.maxClues) {
    out.sort((a, b) => Math.abs(b.f - 0.5) - Math.abs(a.f - 0.5));
    out.length = p.maxClues;
  }
  return out;
}
