/**
 * Address fields of the shapes nearly all mail has (`a@b.c`, `Name <a@b.c>`, `"Last, First" <a@b.c>`,
 * encoded-word names) are read without nodemailer's addressparser (mime/headers.ts simpleAddresses,
 * issue 18: it was the largest part of a summary's header work). Whatever a field looks like, the
 * addresses must be those mailparser's parseAddressHeader gives: fields drawn from those shapes and
 * from the characters that make a field not simple (quotes, comments, groups, odd spacing).
 */
import fc from 'fast-check';
import { parseAddressHeader } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { parseAddressValues } from '../../electron/core/mime/headers.js';

const mailparsers = (values: string[]): unknown => parseAddressHeader(values, { flatten: true }).value;

const pieces = [
  'alice', 'Bob', 'O', 'x9', 'kowalski', 'a.b', 'a+b', 'a_b-c', '@', '@example.org', '@mail.example.com', 'xn--mnchen-3ya.de',
  '<', '>', '"', ',', ', ', ' ', '  ', '\t', ';', ':', '(', ')', '.', '\\', "'", '=?UTF-8?Q?Jos=C3=A9_N=C3=BA=C3=B1ez?=',
  '=?utf-8?B?SsO8cmdlbg==?=', '=?iso-8859-1?q?Ren=E9?=', '=?x?Q?a?=', '=?', '?=', 'Rossi, Dave', '<alice@example.org>',
  'alice@example.org', '"Chen, Ivan"', '""', 'undisclosed-recipients:;', '..', '@@', 'é',
];

describe('simple address fields read as mailparser reads them', () => {
  it('for fields built from simple shapes and the characters that break them', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 14 }), (parts) => {
        const value = parts.join('');
        expect(parseAddressValues([value]), JSON.stringify(value)).toStrictEqual(mailparsers([value]));
      }),
      { numRuns: 20_000 },
    );
  });

  it('for lists of simple addresses', () => {
    const address = fc.constantFrom('a@b.c', 'alice.k@mail.example.com', 'x_y+z@ex-ample.org', 'A@B.COM');
    const name = fc.constantFrom('Alice', 'Alice Kowalski', 'Dr Who 2', '=?UTF-8?Q?S=C3=B8ren_Kierkegaard?=', '=?UTF-8?Q?=D0=90?= =?UTF-8?Q?=D0=B2?=');
    const one = fc.oneof(address, fc.tuple(name, address).map(([n, a]) => `${n} <${a}>`), fc.tuple(name, address).map(([n, a]) => `${n}<${a}>`), address.map((a) => `<${a}>`), fc.tuple(name, name, address).map(([n, m, a]) => `"${n}, ${m}" <${a}>`));
    fc.assert(
      fc.property(fc.array(one, { minLength: 1, maxLength: 6 }), fc.constantFrom(',', ', ', ' , ', ',  '), (list, sep) => {
        const value = list.join(sep);
        expect(parseAddressValues([value]), value).toStrictEqual(mailparsers([value]));
      }),
      { numRuns: 5_000 },
    );
  });
});
