/**
 * The search box's query language (issue 17 §2): every form, and malformed input answered with
 * what was understood, never an exception (property-checked over arbitrary strings).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ftsExpression } from '../../electron/core/search/fts-query.js';
import { parseDay, parseQuery, parseSize, type Clause } from '../../electron/core/search/query.js';

const clauses = (q: string): (Clause & { negated?: boolean })[][] => parseQuery(q).groups.map((g) => g.map((it) => (it.negated ? { ...it.clause, negated: true } : it.clause)));

describe('search query parser', () => {
  it('words, phrases and the prefix of the word being typed', () => {
    expect(clauses('budget review ')).toEqual([
      [{ t: 'text', field: 'any', words: ['budget'], phrase: false, prefix: false, stem: true }],
      [{ t: 'text', field: 'any', words: ['review'], phrase: false, prefix: false, stem: true }],
    ]);
    expect(clauses('budget rev')[1]).toEqual([{ t: 'text', field: 'any', words: ['rev'], phrase: false, prefix: true }]);
    // One letter narrows nothing: it waits for the next.
    expect(clauses('budget r')).toHaveLength(1);
    expect(clauses('"Quarterly Budget"')).toEqual([[{ t: 'text', field: 'any', words: ['quarterly', 'budget'], phrase: true, prefix: false }]]);
    // An unclosed quote is a phrase to the end.
    expect(clauses('"quarterly budg')).toEqual([[{ t: 'text', field: 'any', words: ['quarterly', 'budg'], phrase: true, prefix: false }]]);
    // Inner punctuation makes a phrase of the pieces, as the index splits them.
    expect(clauses('e-mail ')).toEqual([[{ t: 'text', field: 'any', words: ['e', 'mail'], phrase: true, prefix: false }]]);
    expect(parseQuery('Grüße café').terms).toEqual([
      { text: 'grüße', prefix: false },
      { text: 'café', prefix: true },
    ]);
  });

  it('stems a plain word or a to: word as notmuch does; capitalised, quoted, typed, from: and subject: words are exact', () => {
    const stem = (q: string): boolean[] => parseQuery(q).groups.map((g) => g[0]!.clause.t === 'text' && g[0]!.clause.stem === true);
    expect(stem('meeting rEVIEW to:bob -budget ')).toEqual([true, true, true, true]);
    expect(stem('Meeting "budget" "review schedule" from:alice subject:invoice filename:scan meet')).toEqual([false, false, false, false, false, false, false]);
  });

  it('fields, filters, negation and OR', () => {
    expect(clauses('from:ann@example.com to:"Bob B" subject:invoice filename:scan.pdf ')).toEqual([
      [{ t: 'text', field: 'from', words: ['ann', 'example', 'com'], phrase: true, prefix: false }],
      [{ t: 'text', field: 'to', words: ['bob', 'b'], phrase: true, prefix: false }],
      [{ t: 'text', field: 'subject', words: ['invoice'], phrase: false, prefix: false }],
      [{ t: 'text', field: 'filename', words: ['scan', 'pdf'], phrase: true, prefix: false }],
    ]);
    expect(clauses('has:attachment is:unread is:flagged -is:read in:Work/Projects account:Home')).toEqual([
      [{ t: 'attachment' }],
      [{ t: 'flag', flag: 'seen', value: false }],
      [{ t: 'flag', flag: 'flagged', value: true }],
      [{ t: 'flag', flag: 'seen', value: true, negated: true }],
      [{ t: 'folder', name: 'Work/Projects' }],
      [{ t: 'account', name: 'Home' }],
    ]);
    const [[before], [after]] = clauses('before:2026-03-01 after:2026/02/01') as [[Clause], [Clause]];
    expect(before).toEqual({ t: 'date', op: 'before', at: new Date(2026, 2, 1).getTime(), text: '2026-03-01' });
    expect(after).toEqual({ t: 'date', op: 'after', at: new Date(2026, 1, 1).getTime(), text: '2026-02-01' });
    expect(clauses('larger:10K smaller:2M')).toEqual([[{ t: 'size', op: 'larger', bytes: 10240, text: '10K' }], [{ t: 'size', op: 'smaller', bytes: 2 * 1024 * 1024, text: '2M' }]]);
    expect(clauses('-budget NOT from:ann ')).toEqual([
      [{ t: 'text', field: 'any', words: ['budget'], phrase: false, prefix: false, stem: true, negated: true }],
      [{ t: 'text', field: 'from', words: ['ann'], phrase: false, prefix: false, negated: true }],
    ]);
    expect(clauses('from:ann OR from:bob is:unread')).toEqual([
      [
        { t: 'text', field: 'from', words: ['ann'], phrase: false, prefix: false },
        { t: 'text', field: 'from', words: ['bob'], phrase: false, prefix: false },
      ],
      [{ t: 'flag', flag: 'seen', value: false }],
    ]);
    expect(parseQuery('from:ann OR from:bob is:unread -"big news"').understood).toBe('from:ann OR from:bob is:unread -"big news"');
    // Negated words are not highlighted.
    expect(parseQuery('budget -review ').terms).toEqual([{ text: 'budget', prefix: false }]);
    // Unknown operators are words (a URL, "re:"), not errors.
    expect(clauses('re:lunch ')).toEqual([[{ t: 'text', field: 'any', words: ['re', 'lunch'], phrase: true, prefix: false }]]);
  });

  it('malformed input: what was understood, and the rest in plain words', () => {
    const q = parseQuery('budget before:2026-02-30 after:yesterday larger:huge is:sleepy has:pets in: OR (x) "" -- ');
    expect(q.understood).toBe('budget x');
    expect(q.ignored).toEqual([
      'brackets',
      'before:2026-02-30 (a date is written YYYY-MM-DD or YYYY/MM/DD)',
      'after:yesterday (a date is written YYYY-MM-DD or YYYY/MM/DD)',
      'larger:huge (a size is a number with K or M, like 10K or 2M)',
      'is:sleepy (is: knows unread, read, flagged, unflagged)',
      'has:pets (has: knows only attachment)',
      'in: (nothing after in:)',
      'OR with nothing on one side',
      '-- (no letters or digits to search for)',
    ]);
    expect(parseQuery('OR budget').ignored).toEqual(['OR with nothing on one side']);
    expect(parseDay('2026-2-3')).toBe(new Date(2026, 1, 3).getTime());
    expect(parseDay('2026-13-01')).toBeNull();
    expect(parseSize('1.5M')).toBe(1572864);
    expect(parseSize('10 KB')).toBe(10240);
    expect(parseSize('-1')).toBeNull();
  });

  it('never throws, and never lets typed text become FTS5 syntax', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const q = parseQuery(s);
        for (const g of q.groups) {
          for (const it of g) {
            if (it.clause.t !== 'text') continue;
            const expr = ftsExpression(it.clause);
            // Only quoted words, parentheses, AND, *, column names and colons.
            expect(expr.replace(/"[\p{L}\p{N}\p{M}\p{Co} ]+"/gu, '').replace(/\b(AND|sender|recipients|subject|files)\b|[():* ]/g, '')).toBe('');
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('is bounded: identical clauses count once, at most 32 words and 32 filters, the rest named', () => {
    const neg = parseQuery(`${Array(200).fill('-com').join(' ')} `);
    expect(neg.groups).toEqual([[{ clause: { t: 'text', field: 'any', words: ['com'], phrase: false, prefix: false, stem: true }, negated: true }]]);
    expect(neg.understood).toBe('-com');
    expect(neg.ignored).toEqual([]);
    expect(parseQuery('a1 OR a1 OR b2 ').understood).toBe('a1 OR b2');
    expect(parseQuery('is:unread is:unread -is:unread ').understood).toBe('is:unread -is:unread');

    const many = Array.from({ length: 259 }, (_, i) => `q${i}`);
    const wide = parseQuery(`${many.join(' ')} `);
    expect(wide.groups).toHaveLength(32);
    expect(wide.terms.map((t) => t.text)).toEqual(many.slice(0, 32));
    expect(wide.ignored).toEqual(['Only the first 32 words are searched']);
    const or = parseQuery(many.slice(0, 200).join(' OR '));
    expect(or.groups).toHaveLength(1);
    expect(or.groups[0]).toHaveLength(32);
    expect(or.terms).toHaveLength(32);
    // A phrase across the limit keeps its first words (and is no longer a prefix).
    const phrase = parseQuery(`${many.slice(0, 30).join(' ')} "x1 x2 x3 x4`);
    expect(phrase.groups[30]).toEqual([{ clause: { t: 'text', field: 'any', words: ['x1', 'x2'], phrase: true, prefix: false }, negated: false }]);
    expect(phrase.ignored).toEqual(['Only the first 32 words are searched']);
    // Negated words count too, but are never highlighted.
    expect(parseQuery(`${many.slice(0, 40).map((w) => `-${w}`).join(' ')} `).groups).toHaveLength(32);
    const filters = parseQuery(`${Array.from({ length: 40 }, (_, i) => `larger:${i + 1}K`).join(' ')} `);
    expect(filters.groups).toHaveLength(32);
    expect(filters.ignored).toEqual(['Only the first 32 filters are used']);
    const mixes = parseQuery('a1 OR is:unread b1 OR -c1 d1 OR is:flagged e1 OR in:inbox f1 OR -g1 h1 OR i1 -j1 OR -k1 ');
    expect(mixes.understood).toBe('a1 OR is:unread b1 OR -c1 d1 OR is:flagged e1 OR in:inbox h1 OR i1 -j1 OR -k1');
    expect(mixes.ignored).toEqual(['Only the first 4 ORs that mix words with filters or with -words are searched']);
  });
});
