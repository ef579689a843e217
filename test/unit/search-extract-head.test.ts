/**
 * An HTML part whose <head> is never closed (no </head>, no <body>) still shows its text: a
 * browser (and the reading pane) ends the head at the first tag that cannot be in one. Search
 * read it as all head and indexed nothing: spam-2/00244's "CLICK HERE!" links were found by
 * notmuch and not by Popbox (bench:search, issue 17 §4).
 */
import { describe, expect, it } from 'vitest';
import { extractText } from '../../electron/core/search/extract.js';
import { words } from '../../electron/core/search/query.js';
import { htmlToText } from '../../electron/core/mime/text.js';
import { corpusFileSync } from '../support/spam-corpus.js';


describe('HTML with a head that is never closed', () => {
  it('keeps the text after the head, and still leaves out the title, styles and scripts', () => {
    const html = '<html><head><title>Campaign</title><style>p{color:red}</style><script>var x=1</script>\n<meta charset="utf-8">\n<DIV>To be removed, simply <a href="mailto:x@y">CLICK HERE!</a></DIV></html>';
    const text = htmlToText(html);
    expect(words(text)).toEqual(['to', 'be', 'removed', 'simply', 'click', 'here']);
  });

  it('spam-2/00244: the words of its body are indexed', async () => {
    const { body } = await extractText(corpusFileSync('spam-2/00244.934aa46481d9503c1fd02a964e19de24.txt'));
    expect(words(body).join(' ')).toContain('to be removed from any future offers simply click here');
    expect(words(body)).not.toContain('freightmart'); // the <title>, which no reader shows
  });

  it('a stray quote after an attribute value does not hide the text that follows (hard-ham-1/00137)', async () => {
    // A browser ends the tag at '>': the extra '"' is a parse error, not the start of a value.
    expect(words(htmlToText('<a href="http://x/ref=y"">Training From the Source</a> pairs <b class=a\'b>well</b>'))).toEqual(['training', 'from', 'the', 'source', 'pairs', 'well']);
    const { body } = await extractText(corpusFileSync('hard-ham-1/00137.30e6f75738b0cbad4f91da9590d7af0b.txt')); // no mbox line
    expect(words(body).join(' ')).toContain('to unsubscribe or change your delivery address');
  });
});
