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

/** The tokenizer's states inside a tag (HTML Living Standard §13.2.5.8–13.2.5.40, those a tag's end depends on). */
type TagState = 'name' | 'beforeAttr' | 'attrName' | 'afterAttrName' | 'beforeValue' | 'doubleQuoted' | 'singleQuoted' | 'unquoted' | 'afterQuoted' | 'selfClosing';

/** Tab, line feed, form feed, space; and carriage return, which the browser reads as a line feed before tokenizing. */
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\f' || c === '\r';

/**
 * Index just past the `>` that ends the tag whose name ends at `from` (or, for `<!` and `<?`,
 * the scan starting after them), as Chromium's tokenizer ends it (the HTML standard's tag,
 * attribute name and attribute value states): a quote opens a value only where a value starts
 * (after `=` and any spaces), so a stray one (`href="x"">`), one inside a name (`<a ="x>`, where
 * `=` starts a name) or inside an unquoted value (`<a b=="x>`) is an ordinary character, and a
 * `>` inside a quoted value does not end the tag. Taking a stray quote for a value hid the rest
 * of a mail's text from search and snippets. The end of the text when the tag never ends (the
 * browser then drops it).
 */
export function tagEnd(html: string, from: number): number {
  let state: TagState = 'name';
  for (let i = from; i < html.length; i++) {
    const c = html[i]!;
    switch (state) {
      case 'doubleQuoted':
        if (c === '"') state = 'afterQuoted';
        continue;
      case 'singleQuoted':
        if (c === "'") state = 'afterQuoted';
        continue;
      case 'beforeValue':
        if (isSpace(c)) continue;
        if (c === '>') return i + 1; // `<a b=>`: a missing value ends the tag
        state = c === '"' ? 'doubleQuoted' : c === "'" ? 'singleQuoted' : 'unquoted';
        continue;
      case 'unquoted':
        if (c === '>') return i + 1;
        if (isSpace(c)) state = 'beforeAttr';
        continue; // quotes, `=`, `<` and backquotes are part of the value
      default:
        break;
    }
    // The states in which `>` ends the tag and `/` and spaces separate: name, attribute names,
    // after a quoted value, after a `/`.
    if (c === '>') return i + 1;
    if (isSpace(c)) {
      if (state === 'attrName') state = 'afterAttrName';
      else if (state !== 'afterAttrName') state = 'beforeAttr';
    } else if (c === '/') state = 'selfClosing';
    else if (c === '=' && (state === 'attrName' || state === 'afterAttrName')) state = 'beforeValue';
    else if (state !== 'name') state = 'attrName'; // any other character (`=` or a quote included) starts or continues a name
  }
  return html.length;
}
