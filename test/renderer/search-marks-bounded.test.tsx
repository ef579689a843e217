/**
 * Search marks stay bounded whatever the message (review findings 6 and 7): a body with a
 * million matches gets at most 2,000 marks, shared by all its text (plain text in React, HTML in
 * the frame's document), and the rest of its text is still shown, unmarked; the HTML marking does
 * work per node that does not grow with how deep the nodes are nested or with how many marks
 * there are; a query of hundreds of words uses its first 32.
 */
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { PlainText } from '../../renderer/src/features/reader/PlainText.js';
import { MAX_MARKS, MAX_TERMS, matchRanges, type SearchTerm } from '../../renderer/src/features/search/highlight.js';
import { HIT_ATTR, markDocument, unmarkDocument } from '../../renderer/src/features/search/mark-frame.js';

const word = (text: string): SearchTerm => ({ text, prefix: false });
const prefix = (text: string): SearchTerm => ({ text, prefix: true });
const links = { hover: () => {}, activate: () => {} };
const marks = (root: ParentNode) => root.querySelectorAll('mark');
const ours = (doc: Document) => doc.querySelectorAll(`mark[${HIT_ATTR}]`);
const htmlDoc = (html: string) => {
  const doc = document.implementation.createHTMLDocument('');
  doc.body.innerHTML = html;
  return doc;
};

afterEach(cleanup);

describe('plain text: one budget of marks for the whole body', () => {
  it("'invoice ' 100,000 times on one line: 2,000 marks, and all the text is still there", () => {
    const text = 'invoice '.repeat(100_000);
    const { container } = render(<PlainText text={text} links={links} terms={[word('invoice')]} />);
    expect(MAX_MARKS).toBe(2000);
    expect(marks(container)).toHaveLength(MAX_MARKS);
    expect(container.textContent).toBe(text);
  });

  it('the budget is shared across lines and links, in reading order', () => {
    const text = 'invoice at https://example.org/invoice\n'.repeat(1500);
    const { container } = render(<PlainText text={text} links={links} terms={[word('invoice')]} />);
    expect(marks(container)).toHaveLength(MAX_MARKS);
    // The first 1,000 lines are marked (one in the text, one in the link), the rest are not.
    const lines = container.querySelectorAll('.plain-body > div');
    expect(marks(lines[999]!)).toHaveLength(2);
    expect(marks(lines[1000]!)).toHaveLength(0);
    expect(container.querySelectorAll('a')).toHaveLength(1500);
  });
});

describe('HTML: bounded marks, and work per node that does not grow with nesting', () => {
  it('1,500 paragraphs with two matches each: 2,000 marks; unmarked, the same document; marked again with other words', () => {
    const doc = htmlDoc('<p>Your invoice, the invoice.</p>'.repeat(1500));
    const before = doc.body.innerHTML;
    expect(markDocument(doc, [word('invoice')])).toBe(MAX_MARKS);
    expect(ours(doc)).toHaveLength(MAX_MARKS);
    // Reading order: the first 1,000 paragraphs.
    expect(doc.querySelectorAll('p')[999]!.querySelectorAll('mark')).toHaveLength(2);
    expect(doc.querySelectorAll('p')[1000]!.querySelectorAll('mark')).toHaveLength(0);
    expect(markDocument(doc, [prefix('you'), word('the')])).toBe(MAX_MARKS);
    expect(new Set([...ours(doc)].map((m) => m.textContent))).toEqual(new Set(['Your', 'the']));
    unmarkDocument(doc);
    expect(ours(doc)).toHaveLength(0);
    expect(doc.body.innerHTML).toBe(before);
    // Each paragraph is one text node again, as parsed.
    expect(doc.querySelectorAll('p')[0]!.childNodes).toHaveLength(1);
  });

  it('no ancestor walk per text node and no normalize per mark: the DOM reads do not grow with depth or marks', () => {
    const count = { parent: 0, normalize: 0 };
    const parentElement = Object.getOwnPropertyDescriptor(Node.prototype, 'parentElement')!;
    const normalize = Object.getOwnPropertyDescriptor(Node.prototype, 'normalize')!;
    Object.defineProperty(Node.prototype, 'parentElement', {
      ...parentElement,
      get(this: Node) {
        count.parent++;
        return parentElement.get!.call(this);
      },
    });
    Object.defineProperty(Node.prototype, 'normalize', {
      ...normalize,
      value(this: Node) {
        count.normalize++;
        return normalize.value.call(this);
      },
    });
    try {
      const nodes = 600;
      const deep = htmlDoc(`${'<b>'.repeat(100)}<div>${Array.from({ length: nodes }, (_, i) => (i % 2 ? 'x' : 'invoice')).join('<br>')}</div>`);
      expect(markDocument(deep, [word('invoice')])).toBe(nodes / 2);
      expect(markDocument(deep, [prefix('invoic')])).toBe(nodes / 2);
      unmarkDocument(deep);
      // The old code read parentElement 100 times per text node (60,000 here) and normalized the parent once per mark.
      expect(count.parent).toBeLessThan(nodes);
      expect(count.normalize).toBe(0);
      expect(deep.querySelectorAll('div')[0]!.childNodes).toHaveLength(nodes * 2 - 1);
    } finally {
      Object.defineProperty(Node.prototype, 'parentElement', parentElement);
      Object.defineProperty(Node.prototype, 'normalize', normalize);
    }
  });

  it('text in style, title and script (also inside SVG) is never marked; their subtrees are left out whole', () => {
    const doc = htmlDoc('<style>.invoice{}</style><svg><title>invoice</title><style>invoice</style><text>invoice</text></svg><p>invoice</p>');
    expect(markDocument(doc, [word('invoice')])).toBe(2);
    expect([...ours(doc)].map((m) => m.parentElement!.localName)).toEqual(['text', 'p']);
  });
});

describe('words', () => {
  it('a query of 200 words uses its first 32', () => {
    const terms = Array.from({ length: 200 }, (_, i) => word(`w${i}x`));
    const text = terms.map((t) => t.text).join(' ');
    expect(MAX_TERMS).toBe(32);
    expect(matchRanges(text, terms).map(([s, e]) => text.slice(s, e))).toEqual(terms.slice(0, MAX_TERMS).map((t) => t.text));
  });

  it('where letters outside ASCII fold, the marks still fall on the right characters', () => {
    const text = 'Ça va? Grüße: invoice #3 für Müller, Straße and STRASSE; İstanbul invoice';
    const got = matchRanges(text, [word('invoice'), word('fur'), word('muller'), word('strasse'), word('istanbul')]).map(([s, e]) => text.slice(s, e));
    expect(got).toEqual(['invoice', 'für', 'Müller', 'Straße', 'STRASSE', 'İstanbul', 'invoice']);
  });
});
