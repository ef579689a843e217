/**
 * Text helpers for summaries: bytes to text (by charset.ts's rule), an HTML-to-text pass that only
 * has to be good enough for a 200-character snippet, and the snippet itself. Everything here is linear in its
 * input, because the input is untrusted mail.
 */
import { tagEnd, tagNameAt } from '../../../shared/html-scan.js';
import { decodeUndeclared } from './charset.js';
import { replaceWhereFound } from './replace-where-found.js';

/**
 * shared/messages.ts's SNIPPET_MAX_CHARS (the contract's limit; a unit test keeps the two equal),
 * written here because importing that module loads zod, ~0.1 s of CPU a parse worker's start
 * paid for this one number (issue 18).
 */
export const SNIPPET_MAX_CHARS = 200;

/** A binary string (one char per byte, as mailparser keeps raw header lines) as text. */
export function bytesToText(binary: string): string {
  // eslint-disable-next-line no-control-regex -- plain ASCII needs no decoding
  if (/^[\x00-\x7f]*$/.test(binary)) return binary;
  return decodeUndeclared(Buffer.from(binary, 'latin1'));
}

// eslint-disable-next-line no-control-regex -- removing control characters is the point
const CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/** Removes C0 controls (tab, LF and CR excepted) and DEL: NULs from broken mail must not reach the UI. */
export function stripControls(s: string): string {
  // Most text has none (a parse worker runs this over every message's text).
  return replaceWhereFound(s, CONTROLS, '');
}

// Zero-width and bidi formatting characters: newsletters pad their preheaders with them.
const INVISIBLE = /[\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]|\u034f|\u17b4|\u17b5/g;

/** Cuts to `max` UTF-16 units without leaving half a surrogate pair. */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const code = s.charCodeAt(max - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

// Text is cleaned a piece at a time, and a snippet needs little of it. The piece size changes how
// far the loop looks, never the result: once more than `max` characters are collected, nothing
// that follows can reach the snippet (see collapsedStart).
const PIECE = 512;

/** The first `max` characters of `text` with whitespace collapsed; looks only as far as it needs. */
export function snippet(text: string, max = SNIPPET_MAX_CHARS): string {
  return snippetOf(text, max).snippet;
}

/** `text` cleaned and collapsed, as far as the snippet needs; settled once it passes `max`. */
function collapsedStart(text: string, max: number): { snippet: string; settled: boolean } {
  let acc = '';
  let settled = false;
  for (let i = 0; i < text.length; i += PIECE) {
    const piece = stripControls(text.slice(i, i + PIECE)).replace(INVISIBLE, '');
    acc = `${acc}${piece}`.replace(/\s+/g, ' ');
    if (acc.trimStart().length > max) {
      settled = true;
      break;
    }
  }
  return { snippet: cut(acc.trim(), max).trimEnd(), settled };
}

// What a list preview leaves out of a reply: quoted lines ("> ..."; ">From " is mbox's escape,
// not a quote), the line that attributes the quote ("On <date>, <name> wrote:" and the variants
// real mail has, right before a quote), and what follows a signature separator ("-- ") or an
// Outlook-style "-----Original Message-----" (the quoted message).
const QUOTED = /^[ \t]*>(?!From )/;
const REST_DROPPED = /^(?:--[ \t]*|[ \t]*-{3,}[ \t]*Original Message[ \t]*-{3,}[ \t]*)$/i;
const ATTRIBUTION = [
  /\b(?:wrote|writes|said|says|mentioned|posted|a écrit|schrieb|escribió|scrisse)\b[^:]{0,40}:[ \t]*$/i,
  /^(?:On|At|Quoting|In article|Le|Am|El|Op|Il)\b.*:[ \t]*$/,
  /^\[[^\]]{1,40}\][ \t]*$/, // Python lists' "[Tim]"
  /^[A-Z][\w.'-]*(?: [A-Z][\w.'-]*){0,3}:[ \t]*$/, // "Robert Harley:"
];
/** The first half of an attribution a mailer wrapped: "On Tue, 20 Aug 2002, Bob Smith" / "<bob@example.com> wrote:". */
const ATTRIBUTION_OPENER = /^(?:On|At|Le|Am|El|Op|Il) /;

/** Longer lines are never taken for an attribution (nor for its wrapped first half). */
const ATTRIBUTION_MAX = 200;

const blank = (line: string): boolean => line.trim() === '';
const attribution = (line: string): boolean => line.length <= ATTRIBUTION_MAX && ATTRIBUTION.some((re) => re.test(line.trimEnd()));
const opener = (line: string): boolean => line.length <= ATTRIBUTION_MAX && ATTRIBUTION_OPENER.test(line) && !line.trimEnd().endsWith(':');
const clean = (s: string): string => stripControls(s).replace(INVISIBLE, '');

/**
 * The snippet, and whether it is settled: whether every text that starts with `text` has this
 * snippet too. It is made from the text's own lines (without quotes, their attribution and a
 * signature); only where nothing else is left does it show the quoted text, so a reply that
 * only quotes still has a preview. It is settled once more than `max` characters of own lines
 * that no later line can take away (as a quote's attribution) survive the collapsing.
 */
export function snippetOf(text: string, max = SNIPPET_MAX_CHARS): { snippet: string; settled: boolean } {
  const kept: string[] = [];
  /** Where kept's lines that are not blank are, in order (no scan back over blank lines: linear). */
  const nonBlank: number[] = [];
  let skipped = false;
  let restDropped = false;
  /** Own lines no later line can take away, collapsed: kept[0, folded). */
  let folded = 0;
  let acc = '';
  let settled = false;
  for (let at = 0; at < text.length; ) {
    const lf = text.indexOf('\n', at);
    if (lf === at) {
      // An empty line moves nothing below (what a quote may take, what is settled): just kept.
      kept.push('');
      at++;
      continue;
    }
    const end = lf < 0 ? text.length : lf;
    const line = text.slice(at, end).replace(/\r$/, '');
    at = end + 1;
    if (line.length <= ATTRIBUTION_MAX && REST_DROPPED.test(line)) {
      // A line cut short ("--" of "--foo") is left out of this snippet but settles nothing.
      skipped = true;
      restDropped = lf >= 0;
      break;
    }
    if (QUOTED.test(line)) {
      skipped = true;
      // The attribution right before the quote (blank lines between), and its wrapped first half.
      const i = nonBlank.at(-1) ?? -1;
      if (i >= folded && attribution(kept[i]!)) {
        kept.length = i > folded && !ATTRIBUTION_OPENER.test(kept[i]!) && opener(kept[i - 1]!) ? i - 1 : i;
        while ((nonBlank.at(-1) ?? -1) >= kept.length) nonBlank.pop();
      }
      continue;
    }
    if (!blank(line)) nonBlank.push(kept.length);
    kept.push(line);
    // What a later quote could still take: the last line that is not blank and its wrapped first half.
    let i = nonBlank.at(-1) ?? -1;
    if (i >= folded && kept[i]!.length <= ATTRIBUTION_MAX) {
      if (i > folded && opener(kept[i - 1]!)) i--;
    } else i++;
    // A long last line counts even if cut short: it cannot become an attribution.
    for (; folded < i; folded++) acc = `${acc}${folded > 0 ? '\n' : ''}${clean(kept[folded]!)}`.replace(/\s+/g, ' ');
    if (acc.trimStart().length > max) {
      settled = true;
      break;
    }
  }
  if (!skipped) return { snippet: collapsedStart(text, max).snippet, settled };
  const own = collapsedStart(kept.join('\n'), max);
  if (own.snippet) return { snippet: own.snippet, settled: settled || restDropped };
  // Nothing but quotes (or a signature): the quoted text is the preview. After a signature or an
  // "Original Message" line no own line can follow, so then the answer is the whole text's.
  const whole = collapsedStart(text, max);
  return { snippet: whole.snippet, settled: restDropped && whole.settled };
}

// ---------------------------------------------------------------------------------------------
// HTML → text

// Elements whose content is never shown as text; noscript as in the reader, which reads it as a
// browser with scripts on does (raw text to its end tag) and drops it. Not head: what a head may
// hold is hidden by its own tag, and a head never closed ends, as in a browser, where the body's
// first tag starts (spam that opens <head> and never closes it showed no text at all).
const HIDDEN_CONTENT = new Set(['script', 'style', 'title', 'template', 'xml', 'noscript']);
// Elements that do not separate words; any other tag does.
const INLINE = new Set([
  'a', 'abbr', 'b', 'bdi', 'bdo', 'big', 'cite', 'code', 'del', 'dfn', 'em', 'font', 'i', 'ins', 'kbd',
  'mark', 'o:p', 'q', 's', 'samp', 'small', 'span', 'strike', 'strong', 'sub', 'sup', 'time', 'tt', 'u', 'var', 'wbr',
]);

// HTML 4's Latin-1 entities name the code points 160–255 in order.
const LATIN1_ENTITIES = (
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 ' +
  'acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml ' +
  'Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde ' +
  'Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ' +
  'ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide ' +
  'oslash ugrave uacute ucirc uuml yacute thorn yuml'
).split(' ');
const ENTITIES = new Map<string, string>([
  ...LATIN1_ENTITIES.map((name, i): [string, string] => [name, String.fromCharCode(160 + i)]),
  ['amp', '&'], ['lt', '<'], ['gt', '>'], ['quot', '"'], ['apos', "'"],
  ['hellip', '…'], ['mdash', '—'], ['ndash', '–'], ['lsquo', '‘'], ['rsquo', '’'], ['sbquo', '‚'],
  ['ldquo', '“'], ['rdquo', '”'], ['bdquo', '„'], ['bull', '•'], ['euro', '€'], ['trade', '™'],
  ['dagger', '†'], ['Dagger', '‡'], ['permil', '‰'], ['lsaquo', '‹'], ['rsaquo', '›'], ['OElig', 'Œ'],
  ['oelig', 'œ'], ['Scaron', 'Š'], ['scaron', 'š'], ['Yuml', 'Ÿ'], ['circ', 'ˆ'], ['tilde', '˜'],
  ['ensp', ' '], ['emsp', ' '], ['thinsp', ' '], ['zwnj', ''], ['zwj', ''], ['lrm', ''], ['rlm', ''],
  ['larr', '←'], ['rarr', '→'], ['uarr', '↑'], ['darr', '↓'], ['harr', '↔'], ['check', '✓'], ['hearts', '♥'],
]);

/** Decodes character references; unknown named ones are dropped so no "&foo;" reaches a snippet. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9]{1,31}))(;?)/g, (m, dec?: string, hex?: string, name?: string, semi?: string) => {
    if (name !== undefined) {
      const v = ENTITIES.get(name);
      if (v !== undefined) return v;
      return semi ? '' : m; // "AT&T" is text, "&foo;" is an entity we do not know
    }
    const cp = dec !== undefined ? Number(dec) : parseInt(hex ?? '', 16);
    if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return '\ufffd';
    if (cp < 0x20 && cp !== 9 && cp !== 10 && cp !== 13) return '';
    return String.fromCodePoint(cp);
  });
}

/**
 * The visible text of an HTML document, roughly: tags removed (block tags become spaces),
 * script/style/head content dropped, entities decoded. One pass, no backtracking.
 */
export function htmlToText(html: string, maxChars = Number.POSITIVE_INFINITY): string {
  let out = '';
  let i = 0;
  while (i < html.length && out.length < maxChars) {
    const lt = html.indexOf('<', i);
    const textEnd = lt < 0 ? html.length : lt;
    if (textEnd > i) out += decodeEntities(html.slice(i, textEnd));
    if (lt < 0) break;
    if (html.startsWith('<!--', lt)) {
      const close = html.indexOf('-->', lt + 4);
      i = close < 0 ? html.length : close + 3;
      continue;
    }
    if (html[lt + 1] === '!' || html[lt + 1] === '?') {
      i = tagEnd(html, lt + 2); // doctype, CDATA, processing instruction
      continue;
    }
    const closing = html[lt + 1] === '/';
    const tag = tagNameAt(html, lt + (closing ? 2 : 1));
    if (!tag) {
      out += '<'; // "a < b" is text
      i = lt + 1;
      continue;
    }
    const name = tag.name;
    i = tagEnd(html, tag.end);
    if (!INLINE.has(name)) out += ' ';
    if (!closing && HIDDEN_CONTENT.has(name)) {
      // Raw text up to the end tag.
      const endTag = new RegExp(`</${name}\\b`, 'gi');
      endTag.lastIndex = i;
      const end = endTag.exec(html);
      i = end ? tagEnd(html, end.index + 1) : html.length;
    }
  }
  return out;
}
