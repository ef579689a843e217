/**
 * A CSS tokenizer after CSS Syntax Level 3 §4, and serializers that write a token back without
 * escapes or comments that could be read two ways. The mail sanitizer decides what may load on
 * the tokens a browser would see (`u\72l(` is `url(`, a comment ends a token, a string runs to
 * its own quote), then writes its canonical form, so what the frame parses is what was checked.
 */

export type CssToken =
  | { type: 'ws' | 'comment' | 'cdo' | 'cdc' }
  | { type: 'ident' | 'function' | 'at' | 'hash'; value: string }
  /** `unterminated`: the input ended first (a quote that never closes). */
  | { type: 'string'; value: string; unterminated: boolean }
  /** A newline ended the string: the browser drops the declaration around it. */
  | { type: 'bad-string' }
  /** An unquoted url(...). */
  | { type: 'url'; value: string; unterminated: boolean }
  | { type: 'bad-url' }
  /** Numbers keep their text (digits, sign, dot, exponent: no escapes possible); unit decoded. */
  | { type: 'number'; text: string; unit: string }
  /** One of ( ) [ ] { } , : ; or any other single character. */
  | { type: 'delim'; value: string };

const isDigit = (c: string) => c >= '0' && c <= '9';
const isHex = (c: string) => /^[0-9a-fA-F]$/.test(c);
const isWs = (c: string) => c === ' ' || c === '\t' || c === '\n';
const isIdentStart = (c: string) => /^[a-zA-Z_]$/.test(c) || (c !== '' && c.charCodeAt(0) >= 0x80);
const isIdentChar = (c: string) => isIdentStart(c) || isDigit(c) || c === '-';
const code = (c: string) => (c === '' ? -1 : c.codePointAt(0)!);
const isControl = (c: string) => (code(c) >= 0 && code(c) <= 0x1f) || code(c) === 0x7f;
const isNonPrintable = (c: string) => isControl(c) && c !== '\t' && c !== '\n' && code(c) !== 0x0c && code(c) !== 0x0d;
const validEscape = (a: string, b: string) => a === '\\' && b !== '\n';

function startsIdent(a: string, b: string, c: string): boolean {
  if (a === '-') return isIdentStart(b) || b === '-' || validEscape(b, c);
  if (isIdentStart(a)) return true;
  return validEscape(a, b);
}

function startsNumber(a: string, b: string, c: string): boolean {
  if (a === '+' || a === '-') return isDigit(b) || (b === '.' && isDigit(c));
  if (a === '.') return isDigit(b);
  return isDigit(a);
}

export function tokenizeCss(input: string): CssToken[] {
  // §3.3 preprocessing. Code points, not UTF-16 units, so non-BMP characters stay whole.
  const s = [...input.replace(/\r\n?|\f/g, '\n').replace(/\0/g, '\uFFFD')];
  let i = 0;
  const at = (k = 0) => s[i + k] ?? '';
  const tokens: CssToken[] = [];

  const escape = (): string => {
    // Called after the backslash.
    const c = at();
    if (c === '') return '\uFFFD';
    if (isHex(c)) {
      let hex = '';
      while (hex.length < 6 && isHex(at())) hex += s[i++];
      if (isWs(at())) i++;
      const cp = parseInt(hex, 16);
      return cp === 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ? '\uFFFD' : String.fromCodePoint(cp);
    }
    i++;
    return c;
  };
  const name = (): string => {
    let out = '';
    for (;;) {
      if (isIdentChar(at())) out += s[i++];
      else if (validEscape(at(), at(1))) {
        i++;
        out += escape();
      } else return out;
    }
  };
  const string = (quote: string): CssToken => {
    let value = '';
    for (;;) {
      const c = at();
      if (c === '') return { type: 'string', value, unterminated: true };
      if (c === quote) {
        i++;
        return { type: 'string', value, unterminated: false };
      }
      if (c === '\n') return { type: 'bad-string' };
      i++;
      if (c === '\\') {
        if (at() === '') continue;
        if (at() === '\n') i++;
        else value += escape();
      } else value += c;
    }
  };
  const badUrlRemnants = (): CssToken => {
    for (;;) {
      const c = at();
      if (c === '' || c === ')') {
        if (c) i++;
        return { type: 'bad-url' };
      }
      if (validEscape(c, at(1))) {
        i++;
        escape();
      } else i++;
    }
  };
  const url = (): CssToken => {
    let value = '';
    while (isWs(at())) i++;
    for (;;) {
      const c = at();
      if (c === ')') {
        i++;
        return { type: 'url', value, unterminated: false };
      }
      if (c === '') return { type: 'url', value, unterminated: true };
      if (isWs(c)) {
        while (isWs(at())) i++;
        if (at() === ')' || at() === '') continue;
        return badUrlRemnants();
      }
      if (c === '"' || c === "'" || c === '(' || isNonPrintable(c)) return badUrlRemnants();
      if (c === '\\') {
        if (!validEscape(c, at(1))) return badUrlRemnants();
        i++;
        value += escape();
        continue;
      }
      value += c;
      i++;
    }
  };
  const identLike = (): CssToken => {
    const value = name();
    if (value.toLowerCase() === 'url' && at() === '(') {
      i++;
      while (isWs(at()) && isWs(at(1))) i++;
      const next = isWs(at()) ? at(1) : at();
      if (next === '"' || next === "'") return { type: 'function', value };
      return url();
    }
    if (at() === '(') {
      i++;
      return { type: 'function', value };
    }
    return { type: 'ident', value };
  };
  const numeric = (): CssToken => {
    let text = '';
    if (at() === '+' || at() === '-') text += s[i++];
    while (isDigit(at())) text += s[i++];
    if (at() === '.' && isDigit(at(1))) {
      text += s[i++];
      while (isDigit(at())) text += s[i++];
    }
    if ((at() === 'e' || at() === 'E') && (isDigit(at(1)) || ((at(1) === '+' || at(1) === '-') && isDigit(at(2))))) {
      text += s[i++];
      if (!isDigit(at())) text += s[i++];
      while (isDigit(at())) text += s[i++];
    }
    if (startsIdent(at(), at(1), at(2))) return { type: 'number', text, unit: name() };
    if (at() === '%') {
      i++;
      return { type: 'number', text, unit: '%' };
    }
    return { type: 'number', text, unit: '' };
  };

  while (i < s.length) {
    const c = at();
    if (c === '/' && at(1) === '*') {
      const end = s.indexOf('*', i + 2);
      let j = end;
      while (j !== -1 && s[j + 1] !== '/') j = s.indexOf('*', j + 1);
      i = j === -1 ? s.length : j + 2;
      tokens.push({ type: 'comment' });
    } else if (isWs(c)) {
      while (isWs(at())) i++;
      tokens.push({ type: 'ws' });
    } else if (c === '"' || c === "'") {
      i++;
      tokens.push(string(c));
    } else if (c === '#' && (isIdentChar(at(1)) || validEscape(at(1), at(2)))) {
      i++;
      tokens.push({ type: 'hash', value: name() });
    } else if ((c === '+' || c === '-' || c === '.') && startsNumber(c, at(1), at(2))) {
      tokens.push(numeric());
    } else if (c === '-' && at(1) === '-' && at(2) === '>') {
      i += 3;
      tokens.push({ type: 'cdc' });
    } else if (c === '<' && at(1) === '!' && at(2) === '-' && at(3) === '-') {
      i += 4;
      tokens.push({ type: 'cdo' });
    } else if (c === '@' && startsIdent(at(1), at(2), at(3))) {
      i++;
      tokens.push({ type: 'at', value: name() });
    } else if (isDigit(c)) {
      tokens.push(numeric());
    } else if (startsIdent(c, at(1), at(2))) {
      tokens.push(identLike());
    } else {
      i++;
      tokens.push({ type: 'delim', value: c });
    }
  }
  return tokens;
}

const hexEscape = (c: string) => `\\${c.codePointAt(0)!.toString(16)} `;

/** CSSOM "serialize an identifier": only plain ident characters stay bare. */
export function serializeIdent(value: string): string {
  const chars = [...value];
  return chars
    .map((c, k) => {
      if (c === '\0') return '\uFFFD';
      if (isControl(c)) return hexEscape(c);
      if (k === 0 && isDigit(c)) return hexEscape(c);
      if (k === 1 && isDigit(c) && chars[0] === '-') return hexEscape(c);
      if (k === 0 && c === '-' && chars.length === 1) return '\\-';
      if (isIdentChar(c)) return c;
      return `\\${c}`;
    })
    .join('');
}

/** A double-quoted CSS string whose content reads back exactly as `value`. */
export function serializeString(value: string): string {
  return `"${[...value].map((c) => (c === '"' || c === '\\' ? `\\${c}` : isControl(c) ? hexEscape(c) : c)).join('')}"`;
}

/** Writes a token back; strings and urls are the caller's (they are what it rewrites). */
export function serializeToken(t: CssToken): string {
  switch (t.type) {
    case 'ws':
      return ' ';
    // An empty comment keeps two tokens apart exactly as the original one did.
    case 'comment':
      return '/**/';
    case 'cdo':
      return '<!--';
    case 'cdc':
      return '-->';
    case 'ident':
      return serializeIdent(t.value);
    case 'function':
      return `${serializeIdent(t.value)}(`;
    case 'at':
      return `@${serializeIdent(t.value)}`;
    case 'hash':
      return `#${[...t.value].map((c) => (isIdentChar(c) ? c : hexEscape(c))).join('')}`;
    case 'number':
      // A unit starting with e and a digit would read as an exponent; % is its own token.
      return t.text + (t.unit === '%' ? '%' : /^[eE][-+0-9]/.test(t.unit) ? `${hexEscape(t.unit.charAt(0))}${serializeIdent(t.unit.slice(1))}` : serializeIdent(t.unit));
    case 'string':
      return serializeString(t.value);
    case 'url':
      return `url(${serializeString(t.value)})`;
    // A lone backslash is only ever followed by a newline or the end; written before our
    // whitespace it would become an escaped space.
    case 'delim':
      return t.value === '\\' ? '' : t.value;
    case 'bad-string':
    case 'bad-url':
      return '';
  }
}
