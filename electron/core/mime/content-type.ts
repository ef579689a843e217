/**
 * A Content-Type whose parameters lack their ';' (`TEXT/PLAIN charset=US-ASCII`, seen in real
 * spam and in old mailers): mail clients read the type and parameters it plainly names, and so
 * does Popbox. Read literally, the whole value is the type, no valid one, so mailparser made the
 * body an attachment: no text in the list, the reading pane or search.
 *
 * The repair is deliberately narrow: a valid type/subtype, whitespace (no ';'), then nothing but
 * name=value parameters. Anything else (a comment, a stray word, a ',' or an unclosed quote) is
 * left exactly as it was, and is read as before. structure.ts repairs the value it reads;
 * parse.ts repairs the header line before mailsplit (under mailparser) reads it, so both paths
 * see the same Content-Type.
 */
import { decodeHeader } from './header-value.js';

// RFC 2045 tokens. The type's characters are those structure.ts accepts for a media type.
const TYPE = String.raw`[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+`;
const TOKEN = String.raw`[!#$%&'*+\-.0-9A-Za-z^_\x60{|}~]+`;
// A quoted string of printable ASCII; a non-ASCII or unclosed one is not ours to guess at.
const QUOTED = String.raw`"(?:[ !#-\[\]-~]|\\[ -~])*"`;
const PARAM = `${TOKEN}=(?:${TOKEN}|${QUOTED})`;
const WS = '[ \\t]';

const SHAPE = new RegExp(`^(${TYPE})${WS}+((?:${PARAM})(?:(?:${WS}*;${WS}*|${WS}+)${PARAM})*)(?:${WS}*;)?$`);
const PARAM_AT = new RegExp(`(${PARAM})(?:${WS}*;${WS}*|${WS}+)?`, 'gy');

/**
 * The Content-Type value (unfolded, as a header parser reads it) with its parameters separated
 * by '; ', or null when it needs no repair or is not one this module repairs.
 */
export function repairContentType(value: string): string | null {
  // An encoded word (in a quoted name) is decoded by some readers and not others: not ours.
  if (value.includes('=?')) return null;
  const m = SHAPE.exec(value.trim());
  if (!m) return null;
  const [, type, rest] = m as unknown as [string, string, string];
  const params: string[] = [];
  PARAM_AT.lastIndex = 0;
  for (let p = PARAM_AT.exec(rest); p; p = PARAM_AT.exec(rest)) params.push(p[1] as string);
  return `${type}; ${params.join('; ')}`;
}

const LF = 0x0a;
const CR = 0x0d;

interface Line {
  start: number;
  end: number;
}

/**
 * A node's raw header block (as mailsplit collects it, blank line included) with its first
 * Content-Type field rewritten to the repaired value, or null when nothing is repaired. The
 * field is found the way mailsplit's Headers finds it; a block it could read differently (a
 * line without a colon, non-ASCII or encoded words in the field) is left alone.
 */
export function repairHeaderBlock(block: Buffer): Buffer | null {
  // Physical lines as mailsplit splits them: trailing line breaks dropped, then at each LF (and
  // the one CR before it); `end` excludes the line ending.
  const lines: Line[] = [];
  let last = block.length;
  while (last > 0 && (block[last - 1] === LF || block[last - 1] === CR)) last--;
  for (let start = 0; start <= last; ) {
    const lf = block.indexOf(LF, start);
    const stop = lf < 0 || lf >= last ? last : lf;
    lines.push({ start, end: stop < last && stop > start && block[stop - 1] === CR ? stop - 1 : stop });
    start = stop + 1;
  }
  const text = (i: number): string => {
    const l = lines[i] as Line;
    return block.toString('latin1', l.start, l.end);
  };

  for (let i = 0; i < lines.length; ) {
    // A field: its first line and the folded ones after it.
    let j = i + 1;
    while (j < lines.length && /^[ \t]/.test(text(j))) j++;
    const first = text(i);
    const colon = first.indexOf(':');
    if (i === 0 && /^(?:From|POST) /i.test(first)) {
      // mailsplit's envelope line, not a field
      i = j;
      continue;
    }
    // mailsplit may take the key from a later line then: not a block this module reads.
    if (colon < 0) return null;
    if (first.slice(0, colon).trim().toLowerCase() === 'content-type') {
      const from = (lines[i] as Line).start;
      const to = (lines[j - 1] as Line).end;
      const field = block.toString('latin1', from, to);
      // eslint-disable-next-line no-control-regex
      if (!/^[\x00-\x7f]*$/.test(field)) return null;
      // The value as mailsplit's Headers#getFirst reads it (and structure.ts's firstValue).
      const repaired = repairContentType(decodeHeader(field).value);
      if (repaired === null) return null;
      return Buffer.concat([block.subarray(0, from), Buffer.from(`${first.slice(0, colon)}: ${repaired}`, 'latin1'), block.subarray(to)]);
    }
    i = j;
  }
  return null;
}
