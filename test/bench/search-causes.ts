/**
 * Why a message is in one answer set and not the other (bench:search, issue 17 §4): each
 * differing message is read three ways and the cause is named by what the readings show, so
 * "agrees except for messages notmuch cannot read" is checked on every run, not argued.
 *
 * - shown: what a mail client shows. The message decoded by mailparser (transfer encoding,
 *   charset), HTML parsed by jsdom (the HTML5 parser a browser uses: a never-closed comment runs
 *   to the end, a word split by a comment is one word, entities decoded) without script, style,
 *   title, noscript and template, plus the text of text/* and forwarded-message attachments and
 *   the header names, addresses and subject.
 * - notmuch: what notmuch 0.37 indexes (lib/index.cc): the same text parts, and HTML through its
 *   tag filter — a state machine that drops `<…>`, keeps the `<` in place of each tag, treats a
 *   quote inside a tag as opening a quoted run to the next same quote, and decodes no entity —
 *   split into words as Xapian's term generator does ("_" is part of a word; "'" and "&" between
 *   letters join them).
 * - Popbox: the answer Popbox gave (known from the answer sets).
 *
 * A plain word that notmuch stems is matched by Porter stem (FTS5's porter, as Popbox does) on
 * both readings, so a difference left after the readings agree is named a stemming difference
 * (Porter vs Snowball) with the word forms involved.
 */
import Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { decodeEntities } from '../../electron/core/mime/text.js';
import { words } from '../../electron/core/search/query.js';

export type Cause =
  | 'notmuch: word split by an HTML tag or comment'
  | 'notmuch: HTML character reference'
  | 'notmuch: HTML after a stray quote in a tag'
  | 'notmuch: Xapian splits words otherwise ("_", "+")'
  | 'notmuch: words in a text attachment'
  | 'notmuch indexes text no reader sees'
  | 'notmuch cannot read the Date header'
  | 'stemming: Porter vs Snowball'
  | 'Popbox misses a word a reader sees'
  | 'unexplained';

export interface Query {
  words: string[];
  phrase: boolean;
  stem: boolean;
}

/** notmuch's HTML tag filter (lib/index.cc html_states), reimplemented: what it passes on. */
export function notmuchHtmlFilter(html: string): string {
  let out = '';
  let state: 'text' | 'tag' | "'" | '"' = 'text';
  for (const ch of html) {
    if (state === 'text') {
      out += ch; // the '<' that opens a tag is kept
      if (ch === '<') state = 'tag';
    } else if (state === 'tag') {
      if (ch === "'" || ch === '"') state = ch;
      else if (ch === '>') state = 'text';
    } else if (ch === state) state = 'tag';
  }
  return out;
}

/**
 * Words as Xapian's TermGenerator splits them (lower case): "_" is a word character; ' and &
 * between word characters join; up to three + or # right after a word belong to it ("C++").
 */
export function xapianWords(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}\p{M}\p{Pc}]+(?:['&\u2019][\p{L}\p{N}\p{M}\p{Pc}]+)*(?:[+#]{1,3}(?![\p{L}\p{N}\p{M}\p{Pc}]))?/gu) ?? []).map((w) => w.normalize('NFC'));
}

// jsdom (a devDependency, for the renderer's tests) ships no types: only this much is used.
interface DomNode {
  textContent: string | null;
  remove(): void;
  after(node: unknown): void;
}
interface DomDocument {
  querySelectorAll(selectors: string): Iterable<DomNode>;
  createTextNode(text: string): unknown;
  body: DomNode | null;
}
const { JSDOM } = createRequire(import.meta.url)('jsdom') as { JSDOM: new (html: string) => { window: { document: DomDocument } } };

const HIDDEN = 'script, style, title, noscript, template';
const BLOCK = 'p, div, br, td, th, tr, li, h1, h2, h3, h4, h5, h6, table, blockquote, pre, hr, center, dd, dt';

/** The visible text of an HTML document, as a browser builds it. */
export function shownHtmlText(html: string): string {
  const { document } = new JSDOM(html).window;
  for (const el of document.querySelectorAll(HIDDEN)) el.remove();
  for (const el of document.querySelectorAll(BLOCK)) el.after(document.createTextNode(' '));
  return document.body?.textContent ?? '';
}

function headerText(m: ParsedMail): string {
  const addrs = (a: AddressObject | AddressObject[] | undefined): string => (a === undefined ? '' : (Array.isArray(a) ? a : [a]).map((x) => x.text).join(' '));
  return `${m.subject ?? ''}\n${addrs(m.from)}\n${addrs(m.to)}\n${addrs(m.cc)}`;
}

export interface Readings {
  shown: string;
  /** The part of `shown` that comes from text attachments (notmuch indexes only their names). */
  attachments: string;
  /** notmuch's text before Xapian splits it. */
  notmuch: string;
  /** The HTML as notmuch's filter passes it on; separately, to tell why a word is lost. */
  notmuchHtml: string;
  html: string;
}

export async function readings(raw: Buffer, depth = 0): Promise<Readings> {
  const m = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const html = typeof m.html === 'string' ? m.html : '';
  const plain = m.text ?? '';
  let shownExtra = '';
  let notmuchExtra = '';
  let attachments = '';
  for (const a of m.attachments) {
    if (a.contentType === 'message/rfc822' && depth < 3) {
      const inner = await readings(a.content, depth + 1);
      shownExtra += `\n${inner.shown}`;
      notmuchExtra += `\n${inner.notmuch}`;
      continue;
    }
    if (a.contentType.startsWith('text/')) shownExtra += `\n${a.content.toString('utf8')}`;
    if (a.contentType.startsWith('text/') && a.contentDisposition === 'attachment') attachments += `\n${a.content.toString('utf8')}`;
    // notmuch indexes the bytes of every part not marked as an attachment, whatever its type.
    if (a.contentDisposition !== 'attachment') notmuchExtra += `\n${a.content.toString('latin1')}`;
  }
  const head = headerText(m);
  const notmuchHtml = notmuchHtmlFilter(html);
  return { attachments, shown: `${head}\n${plain}\n${html ? shownHtmlText(html) : ''}${shownExtra}`, notmuch: `${head}\n${plain}\n${notmuchHtml}${notmuchExtra}`, notmuchHtml, html };
}

/** Porter stems through FTS5's own porter tokenizer (what Popbox's stemmed words use). */
export class Porter {
  private db = new Database(':memory:');
  private cache = new Map<string, string>();
  constructor() {
    this.db.exec("CREATE VIRTUAL TABLE s USING fts5(w, tokenize='porter unicode61'); CREATE VIRTUAL TABLE v USING fts5vocab(s, instance);");
  }
  stem(word: string): string {
    let s = this.cache.get(word);
    if (s === undefined) {
      this.db.exec('DELETE FROM s');
      this.db.prepare('INSERT INTO s(rowid, w) VALUES (1, ?)').run(word);
      s = (this.db.prepare('SELECT term FROM v').get() as { term: string } | undefined)?.term ?? word;
      this.cache.set(word, s);
    }
    return s;
  }
  close(): void {
    this.db.close();
  }
}

/** Whether `ws` (a reading's words) answers the query; `forms` collects the words that matched a stemmed query. */
export function answers(ws: string[], q: Query, porter: Porter, forms?: Set<string>): boolean {
  if (q.stem) {
    const stem = porter.stem(q.words[0]!);
    let hit = false;
    for (const w of new Set(ws)) {
      // Xapian's term keeps "'s" ("money's"), which its stemmer removes: compare without it.
      const bare = w.replace(/['\u2019]s$/, '');
      // A Xapian word with & or + in it ("meet&nbsp") is no English word: it matches only itself.
      if (bare === q.words[0] || (/^[\p{L}\p{N}\p{M}]+$/u.test(bare) && bare.startsWith(stem.slice(0, 3)) && porter.stem(bare) === stem)) {
        hit = true;
        forms?.add(w);
      }
    }
    return hit;
  }
  if (!q.phrase) return q.words.every((w) => ws.includes(w));
  outer: for (let i = 0; i + q.words.length <= ws.length; i++) {
    for (let j = 0; j < q.words.length; j++) if (ws[i + j] !== q.words[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * The cause of one text query's difference. `popboxOnly`: Popbox found the message and notmuch
 * did not; else the other way round.
 */
export function textCause(r: Readings, q: Query, popboxOnly: boolean, porter: Porter): { cause: Cause; detail: string } {
  const shownForms = new Set<string>();
  const shown = answers(words(r.shown), q, porter, shownForms);
  const nm = answers(xapianWords(r.notmuch), q, porter);
  if (popboxOnly) {
    if (shown && !nm) {
      if (answers(words(r.attachments), q, porter) && !answers(words(r.shown.replace(r.attachments, '')), q, porter)) return { cause: 'notmuch: words in a text attachment', detail: 'notmuch indexes an attachment by its name only' };
      if (r.html && answers(xapianWords(decodeEntities(r.notmuchHtml)), q, porter)) return { cause: 'notmuch: HTML character reference', detail: 'an entity (&nbsp; &#…;) inside or next to the words' };
      if (r.html && answers(xapianWords(r.notmuchHtml.replace(/</g, '')), q, porter)) return { cause: 'notmuch: word split by an HTML tag or comment', detail: 'a tag or comment inside a word' };
      if (answers(xapianWords(r.notmuch.replace(/[_+#]/g, ' ')), q, porter)) return { cause: 'notmuch: Xapian splits words otherwise ("_", "+")', detail: 'Click_Here, unsubscribe+ are one word each' };
      if (r.html && !answers(xapianWords(r.notmuchHtml), q, porter)) return { cause: 'notmuch: HTML after a stray quote in a tag', detail: 'a quote inside a tag or comment hides what follows' };
    }
    if (shown && nm && q.stem && [...shownForms].every((f) => f !== q.words[0])) return { cause: 'stemming: Porter vs Snowball', detail: [...shownForms].join(', ') };
    return { cause: 'unexplained', detail: `shown ${shown}, notmuch reading ${nm}` };
  }
  if (nm && !shown) return { cause: 'notmuch indexes text no reader sees', detail: 'title, an unclosed comment, tag text or a part that is not text' };
  if (shown) return { cause: 'Popbox misses a word a reader sees', detail: '' };
  return { cause: 'unexplained', detail: `shown ${shown}, notmuch reading ${nm}` };
}
