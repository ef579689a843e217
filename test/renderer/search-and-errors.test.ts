/** Pure pieces of the account and search screens: how search compares text, and errors in plain words. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../renderer/src/api/client.js';
import { foldText, searchTerms } from '../../renderer/src/db/search.js';
import { syncSummaryText } from '../../renderer/src/features/status/explain.js';
import { plainError } from '../../renderer/src/features/accounts/plain-error.js';

describe('search text', () => {
  it('folds case and accents both ways, and letters that are not a base plus a mark', () => {
    expect(foldText('Jürgen MÜLLER')).toBe('jurgen muller');
    expect(foldText('Grüße aus Köln')).toBe('grusse aus koln');
    expect(foldText('Søren Æbelø, Łódź, ﬁle, İstanbul')).toBe('soren aebelo, lodz, file, istanbul');
    expect(foldText('a \n\t b')).toBe('a b');
  });

  it('keeps quoted phrases whole, typographic quotes too, and an unclosed quote runs to the end', () => {
    expect(searchTerms('  Müller   report ')).toEqual(['muller', 'report']);
    expect(searchTerms('"exact  phrase" müller')).toEqual(['exact phrase', 'muller']);
    expect(searchTerms('“exact phrase”')).toEqual(['exact phrase']);
    expect(searchTerms('from "the exact')).toEqual(['from', 'the exact']);
    expect(searchTerms('"" "  "')).toEqual([]);
  });
});

describe('errors in plain words', () => {
  it('names the field by its label, never the method or the schema path', () => {
    const e = (message: string) => new ApiError({ code: 'invalid', message });
    expect(plainError(e('addAccount: account.name: must not be empty'))).toBe('Account name: must not be empty.');
    expect(plainError(e('updateAccount: patch.port: must be a whole number from 1 to 65535'))).toBe('Port: must be a whole number from 1 to 65535.');
    expect(plainError(e('name: an account named "Home" already exists'))).toBe('Account name: an account named "Home" already exists.');
    expect(plainError(e('could not save /x/accounts.json: ENOSPC'))).toBe('Could not save /x/accounts.json: ENOSPC.');
  });
});

describe('what Get Mail says', () => {
  const ok = (downloaded: number, deletedOnServer: number) => ({ accountId: 'a', ok: true as const, result: { downloaded, headersOnly: 0, skipped: 0, deletedOnServer, bytes: 0, warnings: [] } });
  it('counts new mail and server deletions', () => {
    expect(syncSummaryText([ok(200, 0)])).toBe('200 new messages.');
    expect(syncSummaryText([ok(1, 3)])).toBe('1 new message; 3 messages deleted from the server.');
    expect(syncSummaryText([ok(0, 0)])).toBe('No new mail.');
    expect(syncSummaryText([{ accountId: 'a', ok: false, error: { code: 'auth', message: 'no' } }])).toBeNull();
  });
});
