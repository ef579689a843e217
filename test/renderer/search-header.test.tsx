/**
 * The search header as a person reads it (walkthrough finding): while main works it says what
 * was typed, "Searching for “lunch”…", the ellipsis outside the quotes; once answered, how many
 * messages match what main understood, "12 results for “lunch”". main writes a word it matches
 * as a prefix as "lunch…", which inside the quotes read like a typo ("Searching for “lunch…”").
 */
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { SearchResult } from '../../shared/search.js';
import { SearchStatus } from '../../renderer/src/features/search/SearchStatus.js';
import type { SearchAnswer } from '../../renderer/src/features/search/useSearch.js';

afterEach(cleanup);

const result = (over: Partial<SearchResult>): SearchResult => ({ ids: [], total: 0, terms: [], understood: '', ignored: [], snippets: [], ...over });
const header = (answer: SearchAnswer, query = 'lunch') => {
  render(<SearchStatus answer={answer} query={query} savedAs={null} onSave={() => {}} />);
  return screen.getByRole('status', { name: 'Search' });
};
/** What the header says, without its Save search button. */
const said = (el: HTMLElement) => el.querySelector('.search-summary')?.textContent;

describe('the search header', () => {
  it('while main works: “Searching for “lunch”…”, the query as typed, the ellipsis outside the quotes', () => {
    const el = header({ status: 'searching', key: 'k', previous: null }, 'lunch ');
    expect(said(el)).toBe('Searching for lunch…');
    expect(el.querySelector('q')?.textContent).toBe('lunch');
  });

  it('answered: “12 results for “lunch”” — the count, and main’s prefix mark left out of the quotes', () => {
    const el = header({ status: 'answered', key: 'k', result: result({ total: 12, understood: 'lunch…' }) });
    expect(said(el)).toBe('12 results for lunch');
    expect(el.querySelector('q')?.textContent).toBe('lunch');
  });

  it('one result, thousands, several words and operators; a query of only filters says the count alone', () => {
    expect(said(header({ status: 'answered', key: 'k', result: result({ total: 1, understood: 'from:ann lunch…' }) }))).toBe('1 result for from:ann lunch');
    cleanup();
    expect(said(header({ status: 'answered', key: 'k', result: result({ total: 1234, understood: '"big deal" OR invoice' }) }))).toBe(`${(1234).toLocaleString()} results for "big deal" OR invoice`);
    cleanup();
    expect(said(header({ status: 'answered', key: 'k', result: result({ total: 3, understood: '' }) }))).toBe('3 results');
  });
});
