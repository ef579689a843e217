/**
 * A summary's addresses come from nodemailer's addressparser and our own decoding of names and
 * addresses (mime/headers.ts parseAddressValues), not from mailparser's address-header
 * module, which also loads `he` and a second libmime (issue 18: a parse worker's start). They must
 * be the addresses mailparser's parseAddressHeader gives: every address field of every
 * SpamAssassin message, and the cases its decoding exists for.
 */
import { parseAddressHeader } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { fieldValue, parseAddressValues, splitHeader } from '../../electron/core/mime/headers.js';
import { CORPUS_GROUPS, corpusMessage, corpusNames } from '../support/spam-corpus.js';

const ADDRESS_FIELDS = new Set(['from', 'to', 'cc', 'bcc', 'reply-to', 'sender', 'resent-from', 'resent-to', 'resent-cc']);

const mailparsers = (values: string[]): unknown => parseAddressHeader(values, { flatten: true }).value;

describe('address fields read as mailparser reads them', () => {
  it('for every address field of the SpamAssassin corpus', { timeout: 300_000 }, async () => {
    let fields = 0;
    for (const group of CORPUS_GROUPS) {
      for (const name of await corpusNames(group)) {
        const { lines } = splitHeader(await corpusMessage(group, name));
        for (const line of lines) {
          if (!ADDRESS_FIELDS.has(line.key)) continue;
          const value = fieldValue(line);
          expect(parseAddressValues([value]), `${group}/${name} ${line.key}`).toStrictEqual(mailparsers([value]));
          fields++;
        }
      }
    }
    expect(fields).toBeGreaterThan(12_000);
  });

  it('for encoded words in names and addresses, punycode domains, groups and empty values', () => {
    const values = [
      '=?utf-8?B?SsO8cmdlbg==?= <j@example.org>',
      '=?iso-8859-1?Q?Ren=E9?= <rene@example.org>, "Plain" <p@example.org>',
      '=?utf-8?B?Y2VvQGJhbmsuY29t?= <x@example.org>',
      '<=?utf-8?Q?ceo=40bank=2Ecom?=>',
      '<=?utf-8?Q?not_an_address?=>',
      'user@xn--mnchen-3ya.de',
      'user@xn--invalid-.de',
      'Friends: a@example.org, =?utf-8?Q?B=C3=A9?= <b@example.org>;',
      '',
      'undisclosed-recipients:;',
      'no at sign here',
    ];
    for (const v of values) expect(parseAddressValues([v]), v).toStrictEqual(mailparsers([v]));
    expect(parseAddressValues(values)).toStrictEqual(mailparsers(values));
  });
});
