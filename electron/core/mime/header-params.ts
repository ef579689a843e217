/**
 * A structured header value (RFC 2045 §5.1: `type/subtype; name=value; name="quoted value"`, and
 * Content-Disposition alike) read into its value and parameters, with RFC 2231's sections
 * (`name*0=`, `name*1=`) and charsets (`name*=utf-8'en'%E2%82%AC`) assembled. The answer must be
 * the one mailparser shows (libmime's), so its lenient rules for real mail are kept:
 *
 * - Unquoted whitespace around a value or a name is dropped; quoted, or escaped with "\", it is
 *   text. A "\" escapes the next character inside quotes and out.
 * - A quoted string ends a value: what follows it up to the ";" is dropped.
 * - A parameter given twice keeps its first value; a name without "=" is a parameter with an
 *   empty value; names are lowercased.
 * - Comments "(...)" (nesting, "\" escapes) are dropped only when asked, and only where a "(" does
 *   not continue a parameter's unquoted token (`filename=Invoice(1).pdf`). A comment that never
 *   closes runs to the end, unless a ";" follows it somewhere: then it, and every later "(", is text.
 * - RFC 2231: sections are joined in number order. When section 0 (or the one unnumbered part)
 *   is extended and carries charset'language', the whole joined value is percent-decoded in that
 *   charset (a missing charset is UTF-8; the decoding's own leniencies are in percentBytes). Else
 *   the joined value has its encoded words decoded. Either way it overrides a plain parameter of
 *   the same name (RFC 6266 §4.3) and is named in decodedParams, so nobody decodes it twice.
 *
 * Readers here answer null for input left to libmime: a charset label not read here after name*=.
 */
import { bytesAsText, decoderWithLanguage } from './encoded-words.js';
import { decodeHexEscapes } from './part-text.js';

/** A structured header value: the value before the parameters, and the parameters by lowercased name. */
export interface HeaderValue {
  value: string;
  params: Record<string, string>;
  /**
   * The params assembled from RFC 2231 forms (name*=, name*0=, name*0*=): already decoded, so a
   * caller that runs decodeWords over the params leaves these out, as mailparser does. Non-enumerable,
   * as in libmime, so the {value, params} shape stays as it is.
   */
  readonly decodedParams: string[];
}

/** The linear whitespace dropped around unquoted values and names. */
const isSpace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n' || ch === '\f' || ch === '\v';

/** Text being collected, whose unquoted whitespace counts only once more text follows it. */
class Collected {
  text = '';
  private pendingSpace = '';

  add(ch: string): void {
    this.text += this.pendingSpace + ch;
    this.pendingSpace = '';
  }

  space(ch: string): void {
    if (this.text) this.pendingSpace += ch;
  }
}

/** A cursor over one header value. */
class ValueReader {
  pos = 0;
  private readonly end: number;

  constructor(
    private readonly source: string,
    private dropComments: boolean,
  ) {
    this.end = source.length;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** Past the comment opening at pos, if it is one to drop; false leaves pos where it was. */
  private skipComment(): boolean {
    if (!this.dropComments) return false;
    let depth = 0;
    for (let i = this.pos; i < this.end; i++) {
      const ch = this.source.charAt(i);
      if (ch === '\\') i++;
      else if (ch === '(') depth++;
      else if (ch === ')' && --depth === 0) {
        this.pos = i + 1;
        return true;
      }
    }
    if (this.source.indexOf(';', this.pos) < 0) {
      this.pos = this.end;
      return true;
    }
    // a parameter follows the unclosed comment: it is text, and so is every later "("
    this.dropComments = false;
    return false;
  }

  /** A parameter's name, up to its "=" (consumed) or the ";" or end that makes it a bare name. */
  readName(): { name: string; assigned: boolean } {
    const name = new Collected();
    while (this.pos < this.end) {
      const ch = this.source.charAt(this.pos);
      if (ch === '(' && this.skipComment()) continue;
      if (ch === ';') break;
      this.pos++;
      if (ch === '=') return { name: name.text.toLowerCase(), assigned: true };
      if (isSpace(ch)) name.space(ch);
      else name.add(ch);
    }
    return { name: name.text.toLowerCase(), assigned: false };
  }

  /** A value (the leading one or a parameter's), up to the unquoted ";" that ends it (not consumed). */
  readValue(isParam: boolean): string {
    const value = new Collected();
    // Whether a "(" here would continue the value's unquoted token rather than open a comment.
    let inToken = isParam;
    while (this.pos < this.end) {
      const ch = this.source.charAt(this.pos);
      if (ch === '(' && !inToken && this.skipComment()) continue;
      if (ch === ';') break;
      this.pos++;
      if (ch === '"') {
        this.readQuoted(value);
        this.skipToSemicolon();
        break;
      }
      if (ch === '\\') {
        if (this.pos < this.end) value.add(this.source.charAt(this.pos++));
        inToken = isParam;
      } else if (isSpace(ch)) {
        value.space(ch);
        inToken = false;
      } else {
        value.add(ch);
        inToken = isParam;
      }
    }
    return value.text;
  }

  /** The rest of a quoted string (its opening quote read), every character text. */
  private readQuoted(value: Collected): void {
    while (this.pos < this.end) {
      const ch = this.source.charAt(this.pos++);
      if (ch === '"') return;
      if (ch === '\\') {
        if (this.pos < this.end) value.add(this.source.charAt(this.pos++));
      } else {
        value.add(ch);
      }
    }
  }

  /** What follows a quoted string up to the ";": not part of the value (comments still skipped whole). */
  private skipToSemicolon(): void {
    while (this.pos < this.end) {
      const ch = this.source.charAt(this.pos);
      if (ch === '(' && this.skipComment()) continue;
      if (ch === ';') return;
      this.pos++;
    }
  }
}

/** An own property even for the key "__proto__" (a plain assignment would set the prototype). */
function setOwn(obj: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

function keepFirst(params: Record<string, string>, name: string, value: string): void {
  if (!Object.hasOwn(params, name)) setOwn(params, name, value);
}

/** An RFC 2231 parameter name's parts: `title*1*` is section 1 of "title", extended. */
function sectionOf(key: string): { name: string; section: number; extended: boolean } | null {
  const extended = key.endsWith('*');
  const base = extended ? key.slice(0, -1) : key;
  let digits = base.length;
  while (digits > 0 && base.charCodeAt(digits - 1) >= 0x30 && base.charCodeAt(digits - 1) <= 0x39) digits--;
  if (digits < base.length && base.charAt(digits - 1) === '*') return { name: base.slice(0, digits - 1), section: Number(base.slice(digits)) || 0, extended };
  return extended ? { name: base, section: 0, extended } : null;
}

/** charset'language'text (RFC 2231 §4): the charset and the text, if the value has that form. */
function splitExtended(value: string): { charset: string; text: string } | null {
  const first = value.indexOf("'");
  const second = first < 0 ? -1 : value.indexOf("'", first + 1);
  if (second < 0) return null;
  const text = value.slice(second + 1);
  // libmime's form takes the text to the end of a line only
  if (/[\n\r\u2028\u2029]/.test(text)) return null;
  return { charset: value.slice(0, first), text };
}

/**
 * The bytes of a percent-encoded RFC 2231 value, read as libmime reads it: "%XX" is a byte and a
 * "%" without two hex digits is "=", whitespace other than a space stands for the byte of its code
 * (beyond U+00FF: its first byte, then the hex digits of its second as text), everything else for
 * its UTF-8 bytes. Written as "=XX" escapes (a literal "=" escaped too) for decodeHexEscapes.
 */
function percentBytes(value: string): Buffer {
  let escaped = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i);
    if (ch === '%') escaped += '=';
    else if (ch === '=') escaped += '=3D';
    else if (ch !== ' ' && WHITE.test(ch)) escaped += `=${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else escaped += ch;
  }
  return decodeHexEscapes(Buffer.from(escaped));
}

const WHITE = /\s/;

/** A percent-encoded value decoded in its charset (a language after "*" ignored), or null. */
function decodePercent(value: string, charset: string): string | null {
  const decoder = decoderWithLanguage(charset);
  return decoder === null ? null : bytesAsText(percentBytes(value), decoder);
}

/** RFC 2231 sections joined and decoded into params; the names assembled, or null. */
function assembleSections(params: Record<string, string>, decodeWords: (value: string) => string): string[] | null {
  const groups = new Map<string, { charset: string | null; sections: { section: number; text: string }[] }>();
  for (const key of Object.keys(params)) {
    const parts = sectionOf(key);
    if (!parts) continue;
    let text = params[key] as string;
    delete params[key];
    let group = groups.get(parts.name);
    if (!group) {
      group = { charset: null, sections: [] };
      groups.set(parts.name, group);
    }
    const extended = parts.section === 0 && parts.extended ? splitExtended(text) : null;
    if (extended) {
      group.charset = extended.charset || 'utf-8';
      text = extended.text;
    }
    group.sections.push({ section: parts.section, text });
  }
  const assembled: string[] = [];
  for (const [name, group] of groups) {
    const joined = group.sections
      .sort((a, b) => a.section - b.section)
      .map((s) => s.text)
      .join('');
    const value = group.charset === null ? decodeWords(joined) : decodePercent(joined, group.charset);
    if (value === null) return null;
    assembled.push(name);
    setOwn(params, name, value);
  }
  return assembled;
}

/**
 * The value and its parameters, or null when it is left to libmime. `decodeWords` decodes the
 * encoded words of sections joined without a charset.
 */
export function readHeaderValue(source: string, dropComments: boolean, decodeWords: (value: string) => string): HeaderValue | null {
  const reader = new ValueReader(source, dropComments);
  const params: Record<string, string> = {};
  const value = reader.readValue(false);
  while (!reader.atEnd) {
    reader.pos++; // the ";"
    const { name, assigned } = reader.readName();
    if (assigned) keepFirst(params, name, reader.readValue(true));
    else if (name) keepFirst(params, name, '');
  }
  const assembled = assembleSections(params, decodeWords);
  if (assembled === null) return null;
  const result = { value, params } as HeaderValue;
  Object.defineProperty(result, 'decodedParams', { value: assembled, writable: true, enumerable: false, configurable: true });
  return result;
}
