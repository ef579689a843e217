/**
 * The two steps every light HTML scanner here needs (the text of an HTML part in main, the
 * `<noscript>` scan in the renderer): a tag's name, and where the tag ends. Not a parser:
 * callers that must match a browser exactly hand what they find to one.
 */

/** The tag name starting at `at` (it must start with a letter), lower-cased, and the index just past it. */
export function tagNameAt(html: string, at: number): { name: string; end: number } | null {
  const re = /[A-Za-z][A-Za-z0-9:_-]*/y;
  re.lastIndex = at;
  const m = re.exec(html);
  return m ? { name: m[0].toLowerCase(), end: re.lastIndex } : null;
}

/**
 * Index just past the `>` that ends the tag whose name ends at `from`, honouring quoted attribute
 * values. A quote opens a value only right after `=`, as in a browser: a stray one
 * (`href="x"">`) is part of a name, and taking it for a value hid the rest of a mail's text.
 */
export function tagEnd(html: string, from: number): number {
  let quote = '';
  let afterEquals = false;
  for (let i = from; i < html.length; i++) {
    const c = html[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '>') return i + 1;
    else if (c === '=') afterEquals = true;
    else if (afterEquals && (c === '"' || c === "'")) {
      quote = c;
      afterEquals = false;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r' && c !== '\f') afterEquals = false;
  }
  return html.length;
}
