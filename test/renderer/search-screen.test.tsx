/**
 * The search screen (issue 17) in jsdom over a real MailService: what is typed goes up to main as
 * typed, main's answer (its order, its count, what it understood and left out, its snippets) is
 * what the list shows, the words are marked in the list and the reading pane's text (plain text
 * in React, HTML in the sanitized document's text nodes only), and saved searches round-trip
 * through the preferences with duplicate names refused in plain words.
 */
import { act, cleanup, fireEvent, render, renderHook, screen, waitFor, within } from '@testing-library/react';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PopboxApi } from '../../shared/api.js';
import type { SearchInput, SearchResult } from '../../shared/search.js';
import { PopboxDb } from '../../renderer/src/db/database.js';
import { PlainText } from '../../renderer/src/features/reader/PlainText.js';
import { sanitizeEmailHtml } from '../../renderer/src/features/reader/sanitize.js';
import { matchRanges, type SearchTerm } from '../../renderer/src/features/search/highlight.js';
import { HIT_ATTR, markDocument, unmarkDocument } from '../../renderer/src/features/search/mark-frame.js';
import { useSearch, type SearchAnswer } from '../../renderer/src/features/search/useSearch.js';
import { typedTerms } from '../../renderer/src/features/search/useSearchView.js';
import { record, serviceApi, type ServiceApi } from './service-api.js';
import { giveElementsASize, renderApp } from './support/app-harness.js';

const word = (text: string): SearchTerm => ({ text, prefix: false });
const prefix = (text: string): SearchTerm => ({ text, prefix: true });
const marked = (text: string, terms: SearchTerm[]) => matchRanges(text, terms).map(([s, e]) => text.slice(s, e));

describe('where the words are', () => {
  it('marks whole words, word starts for a prefix, case and accents folded', () => {
    expect(marked('Party art: ART, artist', [word('art')])).toEqual(['art', 'ART']);
    expect(marked('Party art: ART, artist', [prefix('art')])).toEqual(['art', 'ART', 'artist']);
    expect(marked('Grüße an Jürgen MÜLLER', [word('muller'), word('grusse')])).toEqual(['Grüße', 'MÜLLER']);
    expect(marked('the quarterly\n  report, and a report', [word('quarterly report')])).toEqual(['quarterly\n  report']);
    // A prefix marks the whole word it begins; a whole word is not found inside a longer one.
    expect(marked('reports report', [prefix('re'), word('report')])).toEqual(['reports', 'report']);
    expect(marked('reports report', [word('report')])).toEqual(['report']);
    expect(marked('nothing here', [word('x.y*')])).toEqual([]);
    expect(marked('a (b) c', [word('(b)')])).toEqual(['b']);
  });

  it('before main answers, the plain words typed (not operators) are marked, the last one as a prefix', () => {
    expect(typedTerms('from:ann invoi')).toEqual([prefix('invoi')]);
    expect(typedTerms('ann OR carol -spam')).toEqual([word('ann'), word('carol')]);
    expect(typedTerms('"big deal" invoice ')).toEqual([word('big deal'), word('invoice')]);
  });
});

describe('marks in the reading pane', () => {
  it('plain text: the words in <mark>, links still links', () => {
    const links = { hover: () => {}, activate: () => {} };
    const { container } = render(<PlainText text={'Dear Ann,\nthe invoice is at https://example.org/invoice today.'} links={links} terms={[word('invoice')]} />);
    expect([...container.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['invoice', 'invoice']);
    expect(container.querySelector('a')?.textContent).toBe('https://example.org/invoice');
    cleanup();
  });

  it('HTML: only text nodes are marked, never attributes, styles or a title; unmarking gives the same document back', () => {
    const html = '<style>.invoice{color:red}</style><p class="invoice" title="invoice">Your <b>invoice</b> 42 and <mark>their mark</mark></p><a href="https://example.org/invoice">Pay the invoice</a><img alt="invoice">';
    const clean = sanitizeEmailHtml(html, { allowRemote: false, cid: new Map(), origin: 'http://127.0.0.1' }).html;
    const doc = document.implementation.createHTMLDocument('');
    doc.body.innerHTML = clean;
    const before = doc.body.innerHTML;
    expect(markDocument(doc, [word('invoice'), word('mark')])).toBe(3);
    expect([...doc.querySelectorAll(`mark[${HIT_ATTR}]`)].map((m) => m.textContent)).toEqual(['invoice', 'mark', 'invoice']);
    // Nothing but marks and split text: the attributes, the link and the style are as they were.
    expect(doc.querySelector('p')!.getAttribute('title')).toBe('invoice');
    expect(doc.querySelector('a')!.getAttribute('href')).toBe('https://example.org/invoice');
    expect(doc.querySelector('style')?.textContent ?? '').not.toContain('mark');
    unmarkDocument(doc);
    expect(doc.body.innerHTML).toBe(before);
    // The message's own <mark> stays.
    expect(doc.querySelectorAll('mark')).toHaveLength(1);
  });

  it('a message cannot pass its own element off as a mark of ours: the sanitizer drops data- attributes', () => {
    const clean = sanitizeEmailHtml(`<mark ${HIT_ATTR}="">x</mark>`, { allowRemote: false, cid: new Map(), origin: 'http://127.0.0.1' }).html;
    expect(clean).not.toContain(HIT_ATTR);
  });
});

// jsdom has no layout: give the list a size so the virtualizer renders rows.
beforeAll(() => giveElementsASize());

let n = 0;
describe('the search box asks main', () => {
  let s: ServiceApi;
  let db: PopboxDb;
  let stop: () => void;
  let asked: SearchInput[];
  /** When set, main's answer is replaced by this (what a full-text index would say). */
  let answer: ((input: SearchInput) => SearchResult) | null;
  /** When set, main refuses every search with this. */
  let refuse: string | null;
  beforeEach(async () => {
    s = await serviceApi();
    db = new PopboxDb(`search-${process.pid}-${++n}`, { indexedDB, IDBKeyRange });
    asked = [];
    answer = null;
    refuse = null;
  });
  afterEach(async () => {
    cleanup();
    stop?.();
    db.close();
    await s.close();
  });

  const mount = () => {
    // main's search as the page sees it, with each question kept.
    const api: PopboxApi = {
      ...s.api,
      search: async (input) => {
        asked.push(input);
        if (refuse) return { ok: false, error: { code: 'storage', message: refuse } };
        return answer ? { ok: true, value: answer(input) } : s.api.search(input);
      },
    };
    ({ stop } = renderApp(db, api));
  };
  const grid = () => screen.getByRole('grid', { name: 'Messages' });
  const rows = () => within(grid()).queryAllByRole('row').map((r) => r.getAttribute('aria-label') ?? '');
  const type = (text: string) => act(async () => fireEvent.change(screen.getByRole('searchbox'), { target: { value: text } }));

  async function threeMessages() {
    const account = await s.service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'me', password: { source: 'keychain' } }, 'pw');
    const m = [
      record({ subject: 'Dinner plans', from: 'Ann', snippet: 'Shall we meet at eight?', accountId: account.id }),
      record({ subject: 'Invoice 42', from: 'Shop', snippet: 'Your invoice for November is attached.', accountId: account.id }),
      record({ subject: 'Re: Invoice 42', from: 'Carol', snippet: 'Paid the invoice yesterday.', accountId: account.id }),
    ];
    await s.service.journal.append(m.map((x) => ({ t: 'add' as const, m: x })));
    // main indexes in the background: these exist only in the journal, so their names and subjects.
    await s.service.searchIndexed();
    return m;
  }

  it('as you type: main hears the query as typed, in this view, and its answer is the list, its words marked', async () => {
    await threeMessages();
    mount();
    // The first mount of a run loads the app's modules: give it time.
    await waitFor(() => expect(rows()).toHaveLength(3), { timeout: 10_000 });
    await type('invoice ');
    await waitFor(() => expect(asked.at(-1)).toEqual({ query: 'invoice ', folder: 'INBOX' }));
    // Once main answers, the header says how many it found for what it understood (no "…" typo inside the quotes).
    await waitFor(() => expect(screen.getByRole('status', { name: 'Search' }).textContent).toMatch(/^2 results for invoice(?!…)/));
    expect(screen.getByRole('status', { name: 'Search' }).querySelector('q')?.textContent).toBe('invoice');
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(within(grid()).getAllByText(/^invoice$/i, { selector: 'mark' }).length).toBeGreaterThan(1);
    expect(screen.getByText('2 matches')).toBeTruthy();

    // main's order, count and snippets are what the list shows; what it left out is said in words.
    const [, invoice, reply] = s.service.messages().sort((a, b) => a.summary.subject.length - b.summary.subject.length);
    void invoice;
    answer = () => ({
      ids: [reply!.id, s.service.messages().find((m) => m.summary.subject === 'Invoice 42')!.id],
      total: 7,
      terms: [{ text: 'invoice', prefix: false }],
      understood: 'invoice',
      ignored: ['“larger:lots” is not a size'],
      snippets: [{ id: reply!.id, text: '…the invoice from the body…' }],
    });
    await type('invoice larger:lots');
    await waitFor(() => expect(screen.getByText(/Left out: “larger:lots” is not a size\./)).toBeTruthy());
    await waitFor(() => expect(rows()[0]).toMatch(/^Carol, Re: Invoice 42/));
    expect(rows()[1]).toMatch(/^Shop, Invoice 42/);
    expect(screen.getByText('Best 2 of 7 matches')).toBeTruthy();
    expect(screen.getByText('Best matches first')).toBeTruthy();
    const first = within(grid()).getAllByRole('row')[0]!;
    expect(first.querySelector('.snippet')!.textContent).toBe('…the invoice from the body…');
    expect([...first.querySelectorAll('.snippet mark')].map((m) => m.textContent)).toEqual(['invoice']);
    // A malformed query is never an error page: the list is there and nothing is an alert.
    expect(screen.queryByRole('alert')).toBeNull();

    // The All folders switch asks main about every folder; Escape clears and the folder is back.
    fireEvent.click(screen.getByRole('button', { name: 'All folders' }));
    await waitFor(() => expect(asked.at(-1)).toEqual({ query: 'invoice larger:lots' }));
    await act(async () => fireEvent.keyDown(screen.getByRole('searchbox'), { key: 'Escape' }));
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(screen.queryByRole('status', { name: 'Search' })).toBeNull();
    expect(within(grid()).queryAllByText(/./, { selector: 'mark' })).toHaveLength(0);
  });

  it('when main cannot search, the in-memory matches stay and the line says what is searched, not an error page', async () => {
    await threeMessages();
    refuse = 'The search index cannot be opened on this computer';
    mount();
    await waitFor(() => expect(rows()).toHaveLength(3), { timeout: 10_000 });
    await type('invoice');
    await waitFor(() => expect(screen.getByRole('status', { name: 'Search' }).textContent).toMatch(/^Only senders, subjects and first lines are searched: The search index cannot be opened on this computer\./));
    expect(rows()).toHaveLength(2);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('the help lists the operators; a chip adds itself to the query', async () => {
    await threeMessages();
    mount();
    // The first mount of a run loads the app's modules: give it time.
    await waitFor(() => expect(rows()).toHaveLength(3), { timeout: 10_000 });
    await type('invoice');
    fireEvent.click(screen.getByRole('button', { name: 'Search operators' }));
    const help = screen.getByRole('dialog', { name: 'Search operators' });
    for (const op of ['from:ann', 'to:bob@example.org', 'subject:holiday', 'has:attachment', 'is:unread', 'is:flagged', 'in:Archive', 'account:Home', 'before:2026-01-01', 'after:2025-12-01', 'larger:5M']) {
      expect(within(help).getByRole('button', { name: op })).toBeTruthy();
    }
    await act(async () => fireEvent.click(within(help).getByRole('button', { name: 'is:unread' })));
    expect((screen.getByRole('searchbox') as HTMLInputElement).value).toBe('invoice is:unread');
    await waitFor(() => expect(asked.at(-1)?.query).toBe('invoice is:unread'));
    // A query that names its folder or account looks beyond the folder on screen (the Unified Inbox here).
    expect(asked.at(-1)).toEqual({ query: 'invoice is:unread', folder: 'INBOX' });
    await type('in:Archive invoice');
    await waitFor(() => expect(asked.at(-1)).toEqual({ query: 'in:Archive invoice' }));
  });

  it('saved searches: saved under a name, shown in the sidebar, run by a click, renamed, reordered, deleted; a taken name is refused in words', async () => {
    await threeMessages();
    mount();
    // The first mount of a run loads the app's modules: give it time.
    await waitFor(() => expect(rows()).toHaveLength(3), { timeout: 10_000 });
    const save = async (query: string, name: string) => {
      await type(query);
      fireEvent.click(await screen.findByRole('button', { name: 'Save search' }));
      const dialog = screen.getByRole('dialog', { name: 'Save search' });
      fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: name } });
      return dialog;
    };
    let dialog = await save('invoice', 'Bills');
    await act(async () => fireEvent.click(within(dialog).getByRole('button', { name: 'Save' })));
    await waitFor(() => expect(s.service.preferences().savedSearches.map((x) => [x.name, x.query])).toEqual([['Bills', 'invoice']]));
    const saved = () => within(screen.getByRole('region', { name: 'Saved searches' }));
    await waitFor(() => expect(saved().getByRole('button', { name: /Bills/ }).getAttribute('aria-current')).toBe('page'));
    expect(screen.getByRole('heading', { name: 'Saved search: Bills' })).toBeTruthy();

    dialog = await save('dinner', ' bills ');
    expect(within(dialog).getByRole('alert').textContent).toBe('There is already a saved search called “Bills”. Choose another name.');
    expect((within(dialog).getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'Dinner' } });
    await act(async () => fireEvent.click(within(dialog).getByRole('button', { name: 'Save' })));
    await waitFor(() => expect(s.service.preferences().savedSearches.map((x) => x.name)).toEqual(['Bills', 'Dinner']));

    // A click on a folder leaves the saved search; a click on the saved search runs it again.
    fireEvent.click(screen.getByRole('button', { name: /^Unified Inbox/ }));
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect((screen.getByRole('searchbox') as HTMLInputElement).value).toBe('');
    fireEvent.click(saved().getByRole('button', { name: /Bills/ }));
    await waitFor(() => expect(asked.at(-1)).toEqual({ query: 'invoice' }));
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect((screen.getByRole('searchbox') as HTMLInputElement).value).toBe('invoice');

    // Its menu: Move down keeps the new order in main; Rename refuses a taken name; Delete.
    const menuOf = async (name: string) => {
      fireEvent.contextMenu(saved().getByRole('button', { name: new RegExp(name) }), { clientX: 5, clientY: 5 });
      return screen.findByRole('menu');
    };
    await act(async () => fireEvent.click(within(await menuOf('Bills')).getByRole('menuitem', { name: 'Move down' })));
    await waitFor(() => expect(s.service.preferences().savedSearches.map((x) => x.name)).toEqual(['Dinner', 'Bills']));
    await waitFor(() => expect(saved().getAllByRole('button').map((b) => b.textContent)).toEqual(['⌕Dinner', '⌕Bills']));
    fireEvent.click(within(await menuOf('Bills')).getByRole('menuitem', { name: 'Rename…' }));
    dialog = screen.getByRole('dialog', { name: 'Rename “Bills”' });
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'DINNER' } });
    expect(within(dialog).getByRole('alert').textContent).toMatch(/already a saved search called “Dinner”/);
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'Invoices' } });
    await act(async () => fireEvent.click(within(dialog).getByRole('button', { name: 'Rename' })));
    await waitFor(() => expect(s.service.preferences().savedSearches.map((x) => x.name)).toEqual(['Dinner', 'Invoices']));
    await act(async () => fireEvent.click(within(await menuOf('Dinner')).getByRole('menuitem', { name: 'Delete' })));
    await waitFor(() => expect(s.service.preferences().savedSearches.map((x) => x.name)).toEqual(['Invoices']));
  });

  it('main refuses two saved searches of one name (a second window, or a script), in plain words', async () => {
    const r = await s.api.updatePreferences({ savedSearches: [{ id: 'a', name: 'Bills', query: 'invoice' }, { id: 'b', name: 'bills ', query: 'x' }] });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toMatch(/There is already a saved search called “Bills”\. Choose another name\./);
    expect(s.service.preferences().savedSearches).toEqual([]);
  });
});

describe('the answer while the mail changes', () => {
  it('main answering slower than the mail changes (a sync, a loaded machine): the answer is still shown, and the newest kept', async () => {
    let asked = 0;
    const answer = (n: number): SearchResult => ({ ids: [`m${n}`], total: 1, terms: [], understood: 'grusse koln', ignored: [], snippets: [] });
    // Each question answered 300 ms later, with which one it was.
    const api = { search: async () => { const n = ++asked; await new Promise((r) => setTimeout(r, 300)); return { ok: true, value: answer(n) }; } } as unknown as PopboxApi;
    const { result, rerender } = renderHook(({ version }) => useSearch(api, 'GRUSSE koln', { folder: 'INBOX' }, version), { initialProps: { version: 0 } });
    // The mail changes every 100 ms: main is asked again each time (Chromium, load 15: "Searching…" for 30 s).
    let version = 0;
    const changing = setInterval(() => rerender({ version: ++version }), 100);
    try {
      await waitFor(() => expect(result.current.status).toBe('answered'), { timeout: 10_000 });
      const first = result.current.status === 'answered' ? result.current.result.ids[0]! : '';
      await waitFor(() => expect(result.current.status === 'answered' && result.current.result.ids[0] !== first).toBe(true), { timeout: 10_000 });
    } finally {
      clearInterval(changing);
    }
    // Once it stops changing, the answer to the last question asked.
    await waitFor(() => expect(result.current.status === 'answered' && result.current.result.ids).toEqual([`m${asked}`]), { timeout: 10_000 });
  });
});

describe('one question at a time while the mail changes', () => {
  it('a sync changing the mail every 50 ms for 3 s, main answering in 300 ms: one question in flight, a bounded number asked, the last answer about the last change', async () => {
    let version = 0;
    let asked = 0;
    let flying = 0;
    let mostFlying = 0;
    // main reads the mail as it is when asked, and answers 300 ms later.
    const api = {
      search: async () => {
        const seen = version;
        asked++;
        mostFlying = Math.max(mostFlying, ++flying);
        await new Promise((r) => setTimeout(r, 300));
        flying--;
        return { ok: true, value: { ids: [`v${seen}`], total: 1, terms: [], understood: 'grusse koln', ignored: [], snippets: [] } satisfies SearchResult };
      },
    } as unknown as PopboxApi;
    const { result, rerender } = renderHook(({ version: v }) => useSearch(api, 'GRUSSE koln', { folder: 'INBOX' }, v), { initialProps: { version } });
    const start = Date.now();
    const changing = setInterval(() => rerender({ version: ++version }), 50);
    try {
      // The list still answers during the changes (never "Searching…" for the whole sync).
      await waitFor(() => expect(result.current.status).toBe('answered'), { timeout: 3_000 });
      await new Promise((r) => setTimeout(r, Math.max(0, 3_000 - (Date.now() - start))));
    } finally {
      clearInterval(changing);
    }
    const changed = Date.now() - start;
    const last = version;
    await waitFor(() => expect(result.current.status === 'answered' && result.current.result.ids).toEqual([`v${last}`]), { timeout: 5_000 });
    expect(mostFlying).toBe(1);
    // Each answer asks at most once more, whatever number of changes came meanwhile.
    expect(asked).toBeLessThanOrEqual(Math.ceil(changed / 300) + 2);
  });

  it('other words are asked at once, not behind the question on its way, and the old words\' answer never replaces theirs', async () => {
    const questions: string[] = [];
    let land = () => {};
    const firstLands = new Promise<void>((r) => (land = r));
    // The first question about the old words lands only when the test says so; the others at once.
    const api = {
      search: async ({ query }: SearchInput) => {
        questions.push(query);
        if (questions.length === 1) await firstLands;
        return { ok: true, value: { ids: [`${query} ${questions.length}`], total: 1, terms: [], understood: query, ignored: [], snippets: [] } satisfies SearchResult };
      },
    } as unknown as PopboxApi;
    const shown = (r: SearchAnswer) => (r.status === 'answered' ? r.result.ids : r.status);
    const seen = new Set<string>();
    const { result, rerender } = renderHook(
      ({ query }) => {
        const answer = useSearch(api, query, { folder: 'INBOX' }, 0);
        if (answer.status === 'answered') seen.add(answer.result.ids.join());
        return answer;
      },
      { initialProps: { query: 'old' } },
    );
    await waitFor(() => expect(questions).toEqual(['old']));
    rerender({ query: 'new' });
    await waitFor(() => expect(shown(result.current)).toEqual(['new 2']), { timeout: 5_000 });
    // The old words' question lands after the newer words were answered: not shown.
    await act(async () => land());
    expect(shown(result.current)).toEqual(['new 2']);
    rerender({ query: 'old' });
    await waitFor(() => expect(shown(result.current)).toEqual(['old 3']), { timeout: 5_000 });
    expect(questions).toEqual(['old', 'new', 'old']);
    // The old words' first answer was never shown.
    expect([...seen]).toEqual(['new 2', 'old 3']);
  });
});
