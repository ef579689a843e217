/**
 * "Show all headers": the header block of a message's stored source, one field per entry,
 * folded lines joined (RFC 5322 §2.2.3) and encoded words decoded (RFC 2047) so they read as
 * the sender wrote them. Raw 8-bit header bytes arrive already decoded as UTF-8 by rawSource.
 */
export interface HeaderField {
  name: string;
  value: string;
}

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

function bytesOf(encoding: string, text: string): Uint8Array {
  if (encoding.toUpperCase() === 'B') {
    const bin = atob(text.replace(/[^A-Za-z0-9+/]/g, ''));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '_') out.push(0x20);
    else if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c.charCodeAt(0) & 0xff);
  }
  return Uint8Array.from(out);
}

export function decodeEncodedWords(value: string): string {
  // White space between two adjacent encoded words is not part of the text (RFC 2047 §6.2).
  const joined = value.replace(/(\?=)\s+(=\?)/g, '$1$2');
  return joined.replace(ENCODED_WORD, (word, charset: string, encoding: string, text: string) => {
    try {
      // A language tag after '*' (RFC 2231) is not part of the charset's name.
      return new TextDecoder(charset.split('*')[0]!.toLowerCase()).decode(bytesOf(encoding, text));
    } catch {
      return word;
    }
  });
}

export function headerFields(source: string): HeaderField[] {
  const end = source.search(/\r?\n\r?\n/);
  const block = end < 0 ? source : source.slice(0, end);
  const fields: HeaderField[] = [];
  for (const line of block.split(/\r?\n/)) {
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line) && last) {
      last.value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return fields.map((f) => ({ name: f.name, value: decodeEncodedWords(f.value) }));
}
