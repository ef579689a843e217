/**
 * The junk filter's arithmetic (Robinson's f(w), Fisher's chi-square combination) against values
 * worked by hand, and the verdicts a user sees: junk, good, unsure, never junk from someone the
 * user wrote to, the server's own verdict only when its switch is on.
 */
import { describe, expect, it } from 'vitest';
import { classify, learn } from '../../electron/core/junk/classify.js';
import { chi2Q, combine, tokenProbability } from '../../electron/core/junk/score.js';
import { WordList } from '../../electron/core/junk/wordlist.js';

describe('Robinson and Fisher', () => {
  it('chi2Q gives the textbook values for even degrees of freedom', () => {
    expect(chi2Q(0, 2)).toBe(1);
    expect(chi2Q(2, 2)).toBeCloseTo(Math.exp(-1), 12); // e^-m with m = 1
    expect(chi2Q(4, 4)).toBeCloseTo(3 * Math.exp(-2), 12); // e^-2 (1 + 2)
    expect(chi2Q(10, 6)).toBeCloseTo(Math.exp(-5) * (1 + 5 + 12.5), 12);
    expect(chi2Q(2000, 300)).toBeGreaterThan(0); // summed in log space: tiny, not NaN
    expect(chi2Q(2000, 300)).toBeLessThan(1e-100);
    expect(() => chi2Q(1, 3)).toThrow(RangeError);
  });

  it('f(w) pulls rare tokens towards the prior and compares rates, not counts', () => {
    const p = { s: 0.45, x: 0.5 };
    expect(tokenProbability(0, 0, 10, 10, p)).toBe(0.5);
    // p(w) = 0.3 / (0.3 + 0.1) = 0.75, n = 4: (0.45·0.5 + 4·0.75) / 4.45
    expect(tokenProbability(3, 1, 10, 10, p)).toBeCloseTo(3.225 / 4.45, 12);
    // Seen in 10 of 100 junk and 10 of 1000 good: the rate says junk although the counts are equal.
    expect(tokenProbability(10, 10, 100, 1000, p)).toBeGreaterThan(0.85);
  });

  it('one clue combines to itself, opposite clues to 0.5, no clue to 0.5', () => {
    expect(combine([0.9])).toBeCloseTo(0.9, 12);
    expect(combine([0.1])).toBeCloseTo(0.1, 12);
    expect(combine([0.2, 0.8])).toBeCloseTo(0.5, 12);
    expect(combine([])).toBe(0.5);
    expect(combine(Array(150).fill(0.99))).toBeGreaterThan(0.999);
    expect(combine(Array(150).fill(0.01))).toBeLessThan(0.001);
  });
});

const mail = (from: string, subject: string, body: string, extra: string[] = []) =>
  Buffer.from([`From: ${from}`, `Subject: ${subject}`, ...extra, '', body].join('\r\n'));

function trained(): WordList {
  const list = new WordList();
  for (let i = 0; i < 20; i++) {
    learn(mail(`promo${i}@deals.example.biz`, 'Cheap pills discount', `Buy cheap pills, viagra discount, click http://deals.example.biz/${i} unsubscribe winner prize ${i}`), list, 'junk');
    learn(mail(`colleague${i}@work.example.org`, 'Meeting notes', `Hi, the meeting notes for the project review are attached. Regards, team ${i}`), list, 'ham');
  }
  return list;
}

describe('verdicts', () => {
  const list = trained();
  const junky = mail('stranger@deals.example.biz', 'Cheap pills', 'viagra discount click http://deals.example.biz/x winner prize');
  const good = mail('boss@work.example.org', 'Project review', 'the meeting notes for the review, regards team');

  it('calls junk junk and good mail good, with scores at the two ends', () => {
    const a = classify(junky, list);
    const b = classify(good, list);
    expect(a).toMatchObject({ verdict: 'junk', reason: 'words' });
    expect(a.score).toBeGreaterThan(0.999);
    expect(b).toMatchObject({ verdict: 'ham', reason: 'words' });
    expect(b.score).toBeLessThan(0.01);
  });

  it('is unsure when the words pull both ways or when it has learned nothing', () => {
    const mixed = mail('someone@else.example', 'Meeting notes', 'cheap pills viagra discount prize winner meeting notes project review regards team');
    expect(classify(mixed, list).verdict).toBe('unsure');
    expect(classify(junky, new WordList())).toMatchObject({ verdict: 'unsure', reason: 'untrained', score: 0.5 });
  });

  it('never calls junk mail from someone the user has written to', () => {
    const known = new Set(['stranger@deals.example.biz']);
    expect(classify(junky, list, { isCorrespondent: (a) => known.has(a) })).toMatchObject({ verdict: 'ham', reason: 'correspondent' });
    expect(classify(junky, list, { isCorrespondent: () => false }).verdict).toBe('junk');
  });

  it('weighs the server’s X-Spam verdict only when the switch is on', () => {
    const flagged = mail('x@nowhere.example', 'hello', 'nothing learned here', ['X-Spam-Flag: YES', 'X-Spam-Status: Yes, score=15.2']);
    const off = classify(flagged, list);
    const on = classify(flagged, list, { trustServerVerdict: true });
    expect(off.verdict).toBe('unsure');
    expect(on.score).toBeGreaterThan(off.score);
    expect(on.clues).toBe(off.clues + 1);
    // Even with nothing learned, the server's verdict is evidence.
    expect(classify(flagged, new WordList(), { trustServerVerdict: true }).score).toBeCloseTo(0.99, 6);
  });

  it('unlearning a mistaken lesson restores the scores', () => {
    const before = classify(good, list).score;
    learn(good, list, 'junk');
    expect(classify(good, list).score).toBeGreaterThan(before);
    learn(good, list, 'junk', -1);
    expect(classify(good, list).score).toBeCloseTo(before, 12);
  });
});
