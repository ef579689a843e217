/**
 * format=flowed (RFC 3676), so a long paragraph typed as one line arrives as lines of at most
 * 78 characters that a flowed-aware reader joins back, and a quote keeps its depth:
 * - a soft break is a line ending in a space; hard breaks have none (trailing spaces the user
 *   typed are dropped, or they would join lines);
 * - a line starting with " ", "From " or ">" that is not a quote is space-stuffed;
 * - a quoted line starts with its ">"s and one space, on each of its wrapped lines;
 * - "-- " (the signature separator) is kept as it is and never taken for a soft break.
 * DelSp=no: the space before a soft break belongs to the text.
 */

export const FLOWED_WIDTH = 78;

const SIG_SEPARATOR = '-- ';

/** A line's quote depth (leading ">"s) and its content (one stuffed space after them removed). */
function splitQuote(line: string): { depth: number; content: string } {
  let depth = 0;
  while (line[depth] === '>') depth++;
  let content = line.slice(depth);
  if (depth > 0 && content.startsWith(' ')) content = content.slice(1);
  return { depth, content };
}

/** `content` cut into pieces each ending with a space (soft break) but the last, at most `width` long where words allow. */
function wrap(content: string, width: number): string[] {
  const out: string[] = [];
  let rest = content;
  while (rest.length > width) {
    // Break after the last space that keeps the line within width; a longer word stays whole.
    let cut = rest.lastIndexOf(' ', width - 1);
    if (cut <= 0) {
      cut = rest.indexOf(' ', width);
      if (cut === -1) break;
    }
    out.push(rest.slice(0, cut + 1));
    rest = rest.slice(cut + 1);
    if (rest === '') {
      // The text ended in its break space: that space must not make the last line soft.
      out[out.length - 1] = out[out.length - 1]!.replace(/ +$/, '');
      return out;
    }
  }
  out.push(rest);
  return out;
}

/** Plain text (LF or CRLF line ends) as format=flowed lines joined with "\r\n". */
export function encodeFlowed(text: string, width = FLOWED_WIDTH): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  for (const raw of lines) {
    if (raw === SIG_SEPARATOR) {
      out.push(raw);
      continue;
    }
    const { depth, content: typed } = splitQuote(raw);
    // A hard break has no trailing space: what the user left there would read as a soft break.
    const content = typed.replace(/ +$/, '');
    const prefix = depth > 0 ? `${'>'.repeat(depth)} ` : '';
    if (content === '') {
      out.push('>'.repeat(depth));
      continue;
    }
    for (const piece of wrap(content, Math.max(20, width - prefix.length - 1))) {
      // Unquoted lines that would look quoted, stuffed, or like an mbox separator get a space (§4.4).
      const stuffed = depth === 0 && (piece.startsWith(' ') || piece.startsWith('>') || piece.startsWith('From ')) ? ` ${piece}` : piece;
      out.push(`${prefix}${stuffed}`);
    }
  }
  return out.join('\r\n');
}

/** RFC 3676 decoding (DelSp=no): the lines a reader shows, quotes as ">" per level and one space. */
export function decodeFlowed(flowed: string): string {
  const lines = flowed.replace(/\r\n?/g, '\n').split('\n');
  const out: { depth: number; text: string }[] = [];
  let open: { depth: number; text: string } | null = null;
  for (const line of lines) {
    let depth = 0;
    while (line[depth] === '>') depth++;
    let content = line.slice(depth);
    if (content.startsWith(' ')) content = content.slice(1); // stuffing
    const soft = content.endsWith(' ') && content !== SIG_SEPARATOR;
    if (open && open.depth === depth) open.text += content;
    else {
      if (open) out.push(open);
      open = { depth, text: content };
    }
    if (!soft) {
      out.push(open);
      open = null;
    }
  }
  if (open) out.push(open);
  return out.map((l) => (l.depth === 0 ? l.text : l.text === '' ? '>'.repeat(l.depth) : `${'>'.repeat(l.depth)} ${l.text}`)).join('\n');
}
