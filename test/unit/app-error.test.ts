/** One mapping from a failure to what the UI gets: the same for a command and a sync outcome. */
import { describe, expect, it } from 'vitest';
import { AppFailure, toAppError } from '../../electron/core/errors.js';
import { NetError } from '../../electron/core/net/errors.js';
import { Pop3Error } from '../../electron/core/pop3/errors.js';

describe('toAppError', () => {
  it('keeps everything the UI acts on from a POP3 failure', () => {
    const e = new Pop3Error('in-use', 'the mailbox is locked', { respCode: 'IN-USE', retryAfterSeconds: 60, serverText: 'not for the UI' });
    expect(toAppError(e, 'x')).toEqual({ code: 'in-use', message: 'the mailbox is locked', respCode: 'IN-USE', retryAfterSeconds: 60 });
    const cert = new Pop3Error('certificate', 'not trusted', { fingerprint256: 'AB:CD' });
    expect(toAppError(cert, 'x')).toEqual({ code: 'certificate', message: 'not trusted', fingerprint256: 'AB:CD' });
  });

  it('reads a connection failure of any protocol the same way, by its shape', () => {
    const changed = new NetError('certificate', 'the certificate changed', { fingerprint256: 'AB:CD', expectedFingerprint256: 'EF:01', serverText: 'not for the UI' });
    expect(toAppError(changed, 'x')).toEqual({ code: 'certificate', message: 'the certificate changed', fingerprint256: 'AB:CD', expectedFingerprint256: 'EF:01' });
    // Node's own error codes are not ours: a raw socket error is still a bug to report plainly.
    const raw = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(toAppError(raw, 'sync failed unexpectedly')).toEqual({ code: 'storage', message: 'sync failed unexpectedly' });
  });

  it('passes typed failures through and turns anything else into storage with the given message', () => {
    expect(toAppError(new AppFailure('not-found', 'no such message'), 'x')).toEqual({ code: 'not-found', message: 'no such message' });
    expect(toAppError(new TypeError('undefined is not a function at /home/me/secret.ts:1'), 'getMessage failed unexpectedly')).toEqual({ code: 'storage', message: 'getMessage failed unexpectedly' });
  });
});
