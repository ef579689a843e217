/**
 * How Reply, Reply all, Forward and Forward as attachment start (issue 15 §2): what the user sees
 * in the compose screen's fields before typing a word.
 */
import { describe, expect, it } from 'vitest';
import type { AccountSettings } from '../../shared/accounts.js';
import { composeFrom, replyReferences, type Original } from '../../electron/core/compose/compose-from.js';
import { attribution, htmlAsText, quoteText } from '../../electron/core/compose/quote.js';
import { formatAddress, mergeAddresses } from '../../electron/core/compose/recipients.js';
import { forwardSubject, replySubject } from '../../electron/core/compose/subject.js';

const a = (name: string, address: string) => ({ name, address });

function account(id: string, email: string, identities: AccountSettings['identities']): AccountSettings {
  return { id, name: id, email, identities } as unknown as AccountSettings;
}

const home = account('home', 'me@home.example', [
  { id: 'me', name: 'Me Myself', address: 'me@home.example', signature: 'Me\nhome.example', default: true },
  { id: 'alias', name: 'Me (lists)', address: 'lists@home.example', signature: 'Lists sig' },
]);
const work = account('work', 'me@work.example', [{ id: 'w', name: 'Me at work', address: 'me@work.example' }]);
const accounts = [home, work];

function original(over: Partial<Omit<Original, 'headers'>> & { headers?: Partial<Original['headers']> } = {}): Original {
  const { headers, ...rest } = over;
  return {
    id: 'orig1',
    summary: { subject: 'Lunch?', date: '2026-12-03T10:04:00Z', messageId: '<m3@example.org>', references: ['<m1@example.org>', '<m2@example.org>'], size: 1234 },
    headers: { from: [a('Ann Example', 'ann@example.org')], to: [a('Me Myself', 'me@home.example')], cc: [a('Bob', 'bob@example.org')], replyTo: [], deliveredTo: [], ...headers },
    inSent: false,
    text: 'Shall we?\n> earlier quote\n\nAnn',
    html: null,
    attachments: [
      { id: '1', filename: 'menu.pdf', contentType: 'application/pdf', size: 10, contentId: null, inline: false },
      { id: '2', filename: 'logo.png', contentType: 'image/png', size: 5, contentId: 'logo', inline: true },
    ],
    fileName: 'Lunch_.eml',
    ...rest,
  };
}

const ctx = { account: home, accounts, sizeLimit: 10_000_000, timeZone: 'UTC' };

describe('subjects', () => {
  it.each([
    ['Lunch?', 'Re: Lunch?'],
    ['Re: Lunch?', 'Re: Lunch?'],
    ['Re: Re: RE: Lunch?', 'Re: Lunch?'],
    ['Re[2]: Lunch?', 'Re: Lunch?'],
    ['Aw: Re: Lunch?', 'Re: Lunch?'],
    ['SV: Lunch?', 'Re: Lunch?'],
    ['Antw: Lunch?', 'Re: Lunch?'],
    ['RE : Lunch?', 'Re: Lunch?'],
    ['Fwd: Lunch?', 'Re: Fwd: Lunch?'],
    ['[team] Re: Lunch?', 'Re: [team] Lunch?'],
    ['Return of the king', 'Re: Return of the king'],
    ['', 'Re:'],
  ])('reply to %j is %j', (subject, expected) => expect(replySubject(subject)).toBe(expected));

  it.each([
    ['Lunch?', 'Fwd: Lunch?'],
    ['Fwd: Fw: WG: Lunch?', 'Fwd: Lunch?'],
    ['FW: Lunch?', 'Fwd: Lunch?'],
    ['Re: Lunch?', 'Fwd: Re: Lunch?'],
  ])('forward of %j is %j', (subject, expected) => expect(forwardSubject(subject)).toBe(expected));
});

describe('reply recipients and identity', () => {
  it('Reply goes to From, with one Re:, In-Reply-To and References, the identity addressed and its signature above the quote', () => {
    const d = composeFrom('reply', original(), ctx);
    expect(d.accountId).toBe('home');
    expect(d.to).toEqual(['Ann Example <ann@example.org>']);
    expect(d.cc).toEqual([]);
    expect(d.subject).toBe('Re: Lunch?');
    expect(d.inReplyTo).toBe('<m3@example.org>');
    expect(d.references).toEqual(['<m1@example.org>', '<m2@example.org>', '<m3@example.org>']);
    expect(d.identityId).toBe('me');
    expect(d.text).toBe('\n\n-- \nMe\nhome.example\n\nOn Thu, 3 Dec 2026 at 10:04, Ann Example <ann@example.org> wrote:\n> Shall we?\n>> earlier quote\n>\n> Ann\n');
    expect(d.sizeLimit).toBe(10_000_000);
  });

  it('Reply goes to Reply-To when there is one', () => {
    const d = composeFrom('reply', original({ headers: { replyTo: [a('The List', 'list@example.org')] } }), ctx);
    expect(d.to).toEqual(['The List <list@example.org>']);
  });

  it('Reply all: To and Cc of the original, the user\'s own addresses (any account, any case) out, duplicates merged keeping names', () => {
    const d = composeFrom(
      'replyAll',
      original({
        headers: {
          from: [a('Ann Example', 'ann@example.org')],
          to: [a('', 'ME@HOME.example'), a('', 'carol@example.org'), a('Me at work', 'me@work.example')],
          cc: [a('Carol C', 'Carol@Example.org'), a('', 'ann@example.org'), a('Dan', 'dan@example.org'), a('', 'lists@home.example')],
        },
      }),
      ctx,
    );
    expect(d.to).toEqual(['Ann Example <ann@example.org>']);
    expect(d.cc).toEqual(['Carol C <carol@example.org>', 'Dan <dan@example.org>']);
  });

  it('the identity is the one the original was addressed to (Cc or Delivered-To), else the account default', () => {
    expect(composeFrom('reply', original({ headers: { to: [a('', 'list@example.org')], cc: [a('', 'lists@home.example')] } }), ctx).identityId).toBe('alias');
    expect(composeFrom('reply', original({ headers: { to: [a('', 'list@example.org')], cc: [], deliveredTo: [a('', 'lists@home.example')] } }), ctx).identityId).toBe('alias');
    const d = composeFrom('reply', original({ headers: { to: [a('', 'list@example.org')], cc: [] } }), ctx);
    expect(d.identityId).toBe('me');
  });

  it('a reply to one\'s own sent message goes to its recipients, not to oneself', () => {
    const sent = original({ inSent: true, headers: { from: [a('Me (lists)', 'lists@home.example')], to: [a('Ann Example', 'ann@example.org')], cc: [a('', 'bob@example.org')] } });
    const r = composeFrom('reply', sent, ctx);
    expect(r.to).toEqual(['Ann Example <ann@example.org>']);
    expect(r.identityId).toBe('alias');
    const all = composeFrom('replyAll', sent, ctx);
    expect(all.to).toEqual(['Ann Example <ann@example.org>']);
    expect(all.cc).toEqual(['bob@example.org']);
    // From is one of the user's addresses though not filed in Sent: the same.
    expect(composeFrom('reply', { ...sent, inSent: false }, ctx).to).toEqual(['Ann Example <ann@example.org>']);
  });

  it('References keep the first and the last 99 of a long thread', () => {
    const refs = Array.from({ length: 150 }, (_, i) => `<r${i}@x>`);
    const out = replyReferences({ references: refs, messageId: '<new@x>' });
    expect(out).toHaveLength(100);
    expect(out[0]).toBe('<r0@x>');
    expect(out[1]).toBe('<r52@x>'); // 151 in all: the first, then the last 99
    expect(out.at(-1)).toBe('<new@x>');
    expect(replyReferences({ references: [], messageId: null })).toEqual([]);
    // An id Send would refuse (too long) is left out rather than making the reply unsendable.
    expect(replyReferences({ references: [`<${'x'.repeat(1000)}@x>`, '<ok@x>'], messageId: '<m@x>' })).toEqual(['<ok@x>', '<m@x>']);
  });
});

describe('forward', () => {
  it('Forward inline: Fwd:, the forwarded-message block with the original unquoted, its files kept (not its inline images), no recipients', () => {
    const d = composeFrom('forward', original(), ctx);
    expect(d.subject).toBe('Fwd: Lunch?');
    expect(d.to).toEqual([]);
    expect(d.inReplyTo).toBeNull();
    expect(d.text).toContain('---------- Forwarded message ---------\nFrom: Ann Example <ann@example.org>\nDate: Thu, 3 Dec 2026 at 10:04\nSubject: Lunch?\nTo: Me Myself <me@home.example>\nCc: Bob <bob@example.org>\n\nShall we?\n> earlier quote');
    expect(d.text.indexOf('-- \nMe')).toBeLessThan(d.text.indexOf('Forwarded message'));
    expect(d.storedAttachments).toEqual([{ id: 'orig1', attachmentId: '1', filename: 'menu.pdf', contentType: 'application/pdf', size: 10 }]);
  });

  it('Forward as attachment: the whole message as message/rfc822 named after its subject', () => {
    const d = composeFrom('forwardAsAttachment', original(), ctx);
    expect(d.subject).toBe('Fwd: Lunch?');
    expect(d.storedAttachments).toEqual([{ id: 'orig1', filename: 'Lunch_.eml', contentType: 'message/rfc822', size: 1234 }]);
    expect(d.text).toBe('\n\n-- \nMe\nhome.example\n');
  });

  it('New: the default identity and its signature, nothing else', () => {
    const d = composeFrom('new', null, ctx);
    expect(d).toMatchObject({ accountId: 'home', identityId: 'me', to: [], subject: '', text: '\n\n-- \nMe\nhome.example\n', draftId: null, storedAttachments: [] });
  });
});

describe('quoting', () => {
  it('an HTML-only original is quoted as its text, a line per block, no markup, scripts gone', () => {
    const html = '<html><head><style>p{color:red}</style></head><body><p>Hello <b>Bob</b>,</p><div>line&nbsp;two<br>line three</div><script>alert(1)</script><ul><li>one</li><li>two</li></ul></body></html>';
    expect(htmlAsText(html)).toBe('Hello Bob,\n\nline two\nline three\none\ntwo');
    const d = composeFrom('reply', original({ text: null, html }), ctx);
    expect(d.text).toContain('wrote:\n> Hello Bob,\n>\n> line two\n> line three\n> one\n> two\n');
    expect(d.text).not.toMatch(/<b>|<p>|alert|color:red/);
  });

  it('nested quotes get one more ">", empty lines a bare ">"', () => {
    expect(quoteText('a\n> b\n>> c\n\nd')).toBe('> a\n>> b\n>>> c\n>\n> d');
  });

  it('an original without a date is attributed without one', () => {
    expect(attribution({ from: [a('Ann', 'ann@example.org')], date: null })).toBe('Ann <ann@example.org> wrote:');
  });

  it('addresses: names with commas quoted, duplicates merged case-insensitively with the name kept', () => {
    expect(formatAddress(a('Doe, John', 'j@x.org'))).toBe('"Doe, John" <j@x.org>');
    expect(formatAddress(a('Zoë Ünïcode', 'z@x.org'))).toBe('Zoë Ünïcode <z@x.org>');
    expect(formatAddress(a('', 'z@x.org'))).toBe('z@x.org');
    expect(mergeAddresses([a('', 'A@x.org'), a('Ann', 'a@X.org'), a('B', 'b@x.org')])).toEqual([a('Ann', 'A@x.org'), a('B', 'b@x.org')]);
  });
});
