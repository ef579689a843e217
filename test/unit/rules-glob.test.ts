/** "matches": globs over the whole value, and a hostile pattern stays linear (counted steps, not the clock). */
import { describe, expect, it } from 'vitest';
import { compileGlob, globMatches, type MatchCounter } from '../../electron/core/rules/glob.js';

const m = (p: string, s: string) => globMatches(compileGlob(p), s);

describe('glob', () => {
  it.each([
    ['*@example.com', 'Bob@EXAMPLE.com', true],
    ['*@example.com', 'bob@example.com.evil', false],
    ['invoice*', 'Invoice 2026-01', true],
    ['*invoice*', 'your invoice is here', true],
    ['*invoice*', 'your receipt', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXcYYb', false],
    ['*', '', true],
    ['', '', true],
    ['', 'x', false],
    ['abc', 'abc', true],
    ['abc', 'abcd', false],
    ['*ab', 'aab', true],
    ['ab*ab', 'ab', false],
    ['ab*ab', 'abab', true],
    ['\\*urgent\\*', '*urgent*', true],
    ['\\*urgent\\*', 'xurgentx', false],
    ['what\\?', 'what?', true],
    ['what\\?', 'whatx', false],
    ['(a+)+$', '(a+)+$', true],
    ['[x]', 'x', false],
    ['ü*', 'Über', true],
    ['?', '😀', true],
  ])('%s ~ %s → %s', (p, s, want) => {
    expect(m(p, s)).toBe(want);
  });

  it('a pathological pattern stays linear in the text', () => {
    // `*a*a*a…*b` against "aaaa…": a backtracking matcher (or the RegExp /.*a.*a…b/) takes
    // time growing as text^stars. Here each segment scans the text once.
    const pattern = `${'*a'.repeat(60)}*b*`;
    const glob = compileGlob(pattern);
    for (const n of [1_000, 10_000, 100_000]) {
      const counter: MatchCounter = { steps: 0 };
      expect(globMatches(glob, 'a'.repeat(n), counter)).toBe(false);
      expect(counter.steps).toBeLessThanOrEqual(2 * n + pattern.length);
    }
    const counter: MatchCounter = { steps: 0 };
    const text = 'a'.repeat(50_000);
    expect(globMatches(compileGlob(`*${'a'.repeat(100)}b`), text, counter)).toBe(false);
    expect(counter.steps).toBeLessThanOrEqual(text.length * 101); // text × pattern, the stated bound
  });

  it('refuses a pattern over the bound', () => {
    expect(() => compileGlob('x'.repeat(257))).toThrow(/at most 256/);
  });
});
