/**
 * shared/html-scan.ts: where a tag ends, as the HTML standard's tokenizer (and so Chromium)
 * ends it (review L3). A quote opens a value only where a value starts; `=` before any name
 * starts a name; a quote inside an unquoted value or a name is an ordinary character. The same
 * shapes are checked against real Chromium in test/integration/html-scan-chromium.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { tagEnd, tagNameAt } from '../../shared/html-scan.js';

/** The tag at the start of `html` as the scanner reads it: from `<` to just past its end. */
function firstTag(html: string): string {
  const tag = tagNameAt(html, 1)!;
  return html.slice(0, tagEnd(html, tag.end));
}

describe('tagEnd', () => {
  it('ends a tag at the first > outside a quoted value', () => {
    expect(firstTag('<a href="x">two')).toBe('<a href="x">');
    expect(firstTag('<a b="x>y">two')).toBe('<a b="x>y">');
    expect(firstTag("<a b='x>y'>two")).toBe("<a b='x>y'>");
    expect(firstTag('<a b = "x>y">two')).toBe('<a b = "x>y">');
    expect(firstTag('<a b\n=\n"x>y">two')).toBe('<a b\n=\n"x>y">');
    expect(firstTag('<a b="x"c="y>z">two')).toBe('<a b="x"c="y>z">');
    expect(firstTag('<a/b="x>y">two')).toBe('<a/b="x>y">');
    expect(firstTag(`<a b="x"/c='>'>two`)).toBe(`<a b="x"/c='>'>`);
    expect(firstTag(`<a b='x"y>z'>two`)).toBe(`<a b='x"y>z'>`);
  });

  it('a quote where no value starts is an ordinary character (review L3)', () => {
    // `=` before any attribute name starts a name: the quote after it is part of that name.
    expect(firstTag('<a ="x>two</a> three')).toBe('<a ="x>');
    // A second `=` starts an unquoted value: the quote is part of it.
    expect(firstTag('<a b=="x>two</a> three')).toBe('<a b=="x>');
    expect(firstTag('<a b= ="x>two</a> three')).toBe('<a b= ="x>');
    // After an unquoted value and a space, `=` starts a name again.
    expect(firstTag('<a b=x ="y>two</a> three')).toBe('<a b=x ="y>');
    expect(firstTag('<a href="x"">two')).toBe('<a href="x"">');
    expect(firstTag('<a b=x"y>two')).toBe('<a b=x"y>');
    expect(firstTag("<a b=x'y c=\"z>w\">two")).toBe("<a b=x'y c=\"z>w\">");
    expect(firstTag('<span title=a=b"c>two')).toBe('<span title=a=b"c>');
    // A quote in the tag name is part of the name, `=` too.
    expect(firstTag('<a"b="c>two')).toBe('<a"b="c>');
  });

  it('an empty value or a lone = ends at the >; a tag that never ends runs to the end of the text', () => {
    expect(firstTag('<a b=>two')).toBe('<a b=>');
    expect(firstTag('<a =>two')).toBe('<a =>');
    expect(firstTag('<a b c"d="e>two</a> three')).toBe('<a b c"d="e>two</a> three');
    expect(firstTag('<a b="x>two three')).toBe('<a b="x>two three');
    expect(tagEnd('<br', 3)).toBe(3);
  });
});
