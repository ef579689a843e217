/**
 * List previews (a summary's snippet) show what the sender wrote, not what they quoted: quoted
 * lines, the attribution line right before a quote, and a signature are left out; a message that
 * is nothing but quotes still has the quoted text as its preview. Real replies from the
 * SpamAssassin corpus, hand-made edge cases, the fast path against mailparser's on every corpus
 * message that quotes, and the "settled" promise the fast path relies on.
 */
import { describe, expect, it } from 'vitest';
import { summarize, summarizeFast, summarizeWithMailparser } from '../../electron/core/mime/summary.js';
import { snippet, snippetOf } from '../../electron/core/mime/text.js';
import { CORPUS_GROUPS, corpusMessage, corpusNames } from '../support/spam-corpus.js';

const mail = (body: string): Buffer => Buffer.from(`From: a@example.com\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\n${body.replace(/\n/g, '\r\n')}`);

describe('list previews of replies', () => {
  it('start with what the sender wrote in real corpus replies, on both summary paths', async () => {
    const cases: [string, string][] = [
      // "Martin Adamson wrote:" and five quoted lines, then the reply.
      ['easy-ham-1/00008.5891548d921601906337dcf1ed8543cb.txt', "You're probably right, mine's just the same"],
      // A quote in a quote, after "Joseph S. Barrera III wrote:" and a blank line.
      ['easy-ham-1/00029.56d4310a82386b76b9e771523d571e67.txt', 'Oh, hell - what about excrement?'],
      // Quotes between own lines: "peter@staunton.ie said:" goes with its quote.
      ['easy-ham-1/00025.d685245bdc4444f44fa091e6620b20b3.txt', 'Well at least our Caps-Lock keys work: :-P erm...'],
      // "--- In forteana@y..., "D.McMann" <dmcmann@b...> wrote:" (Yahoo groups).
      ['easy-ham-1/00017.08ef2d89f14cf7e2a458b80697eb1837.txt', 'look at There is a bit of circumstantial evidence'],
    ];
    for (const [file, start] of cases) {
      const [group, name] = file.split('/') as [string, string];
      const bytes = await corpusMessage(group, name);
      expect((await summarize(bytes)).snippet, file).toMatch(new RegExp(`^${start.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      expect((await summarizeWithMailparser(bytes)).snippet, file).toMatch(new RegExp(`^${start.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    }
  });

  it('leave out quotes, their attribution (wrapped too), a signature and an Outlook original', async () => {
    const cases: [string, string][] = [
      ['On Tue, Aug 20, 2002 at 10:00 AM, Bob <bob@example.com> wrote:\n> Lunch?\n> Bob\n\nYes, at noon.\n', 'Yes, at noon.'],
      ['On Tue, Aug 20, 2002 at 10:00 AM, Bob Smith\n<bob@example.com> wrote:\n\n> Lunch?\n\nYes, at noon.\n', 'Yes, at noon.'],
      ['Yes, at noon.\n\n-- \nAlice\nhttp://alice.example\n', 'Yes, at noon.'],
      ['Yes, at noon.\n\n-----Original Message-----\nFrom: Bob\nSent: Tuesday\n\nLunch?\n', 'Yes, at noon.'],
      ['[Tim]\n> Lunch?\n\nYes.\n', 'Yes.'],
      // Nothing of their own: the quote is the preview rather than nothing.
      ['Bob wrote:\n> Lunch at noon?\n', 'Bob wrote: > Lunch at noon?'],
      // mbox's escaped "From " is the sender's own line.
      ['>From the top: yes.\n', '>From the top: yes.'],
      // A line that ends with a colon but is followed by no quote stays.
      ['Bob said:\nlunch is at noon\n', 'Bob said: lunch is at noon'],
    ];
    for (const [body, want] of cases) {
      expect(snippet(body), body).toBe(want);
      expect((await summarize(mail(body))).snippet, body).toBe(want);
      expect((await summarizeWithMailparser(mail(body))).snippet, body).toBe(want);
    }
  });

  it('keep the promise the fast path relies on: a settled snippet of the start is the whole text’s', async () => {
    let settledSeen = 0;
    for (const group of ['easy-ham-1', 'hard-ham-1'] as const) {
      for (const name of (await corpusNames(group)).slice(0, 600)) {
        const text = (await corpusMessage(group, name)).toString('latin1');
        const body = text.slice(text.indexOf('\n\n') + 2);
        const whole = snippet(body);
        for (const at of [40, 150, 300, 600, 1000, 2000, 4000]) {
          const start = snippetOf(body.slice(0, at));
          if (!start.settled) continue;
          settledSeen++;
          expect(start.snippet, `${group}/${name} cut at ${at}`).toBe(whole);
        }
      }
    }
    expect(settledSeen).toBeGreaterThan(1000);
  });

  it('are the same on the fast path as on mailparser’s for every corpus message that quotes', { timeout: 600_000 }, async () => {
    let compared = 0;
    for (const group of CORPUS_GROUPS) {
      for (const name of await corpusNames(group)) {
        const bytes = await corpusMessage(group, name);
        if (!/\n[ \t]*(>|--)/.test(bytes.toString('latin1'))) continue;
        const fast = await summarizeFast(bytes);
        if (fast === null) continue;
        expect(fast.snippet, `${group}/${name}`).toBe((await summarizeWithMailparser(bytes)).snippet);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1500);
  });
});
