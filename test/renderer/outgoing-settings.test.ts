/** The outgoing server's and identities' checks as the user types, and the Test button's words. */
import { describe, expect, it } from 'vitest';
import type { SmtpReport } from '../../shared/contract.js';
import { ApiError } from '../../renderer/src/api/client.js';
import { plainError } from '../../renderer/src/features/accounts/plain-error.js';
import { EMPTY_SMTP, identitiesProblems, identityValue, newSmtpValue, smtpDraftOf, smtpProblems, smtpReportLines, smtpValue } from '../../renderer/src/features/accounts/outgoing.js';

const report = (over: Partial<SmtpReport>): SmtpReport => ({
  secure: true,
  authenticated: true,
  ehlo: [],
  sizeLimit: 10 * 1024 * 1024,
  smtpUtf8: true,
  eightBitMime: true,
  pipelining: true,
  chunking: false,
  dsn: true,
  enhancedStatusCodes: true,
  authMechanisms: ['PLAIN', 'LOGIN'],
  startTls: false,
  ...over,
});

describe('the outgoing server test in plain words', () => {
  it('says TLS, the login, the size limit in MB and SMTPUTF8', () => {
    expect(smtpReportLines(report({}))).toEqual([
      'The connection is encrypted (TLS).',
      'Popbox logged in.',
      'Login methods offered: PLAIN, LOGIN.',
      'It accepts messages up to 10 MB.',
      'It takes addresses with non-Latin characters (SMTPUTF8).',
    ]);
    const plain = smtpReportLines(report({ secure: false, authenticated: false, authMechanisms: [], sizeLimit: null, smtpUtf8: false }));
    expect(plain).toContain('The connection is not encrypted.');
    expect(plain).toContain('The server asks for no login.');
    expect(plain).toContain('It does not say how big a message may be.');
    expect(plain).toContain('It does not take addresses with non-Latin characters (no SMTPUTF8).');
    expect(smtpReportLines(report({ sizeLimit: 0 }))).toContain('It sets no fixed limit on message size.');
    expect(smtpReportLines(report({ sizeLimit: 36_700_160 }))).toContain('It accepts messages up to 35 MB.');
  });
});

describe('outgoing server fields', () => {
  const on = { ...EMPTY_SMTP, enabled: true, host: 'smtp.example.org', user: 'alice' };
  it('says what is wrong beside each field, and nothing when sending is off', () => {
    expect(smtpProblems({ ...EMPTY_SMTP, host: '' })).toEqual({});
    expect(smtpProblems(on)).toEqual({});
    const p = smtpProblems({ ...on, host: 'smtp example', port: '70000', user: ' ', tlsFingerprint: 'AB:CD' });
    expect(p.host).toBe('Enter a host name or an IP address, without spaces.');
    expect(p.port).toMatch(/^Enter a port number from 1 to 65535/);
    expect(p.user).toMatch(/^Enter the user name/);
    expect(p.tlsFingerprint).toMatch(/64 hex digits/);
    // No login: no user needed.
    expect(smtpProblems({ ...on, login: false, user: '' }).user).toBeUndefined();
  });

  it('gives the contract the whole server: the incoming password or its own, nulls to clear', () => {
    expect(smtpValue({ ...on, tlsFingerprint: '' })).toEqual({ host: 'smtp.example.org', port: 465, security: 'tls', auth: 'password', user: 'alice', mechanism: null, allowInsecureAuth: false, tlsFingerprint: null, password: { source: 'incoming' } });
    expect(newSmtpValue({ ...on, useIncoming: false, login: false })).toEqual({ host: 'smtp.example.org', port: 465, security: 'tls', auth: 'none', allowInsecureAuth: false, password: { source: 'keychain' } });
  });

  it('a password command set on the command line is carried through a Save untouched (no password in the patch)', () => {
    const smtp = { host: 'smtp.example.org', port: 465, security: 'tls', auth: 'password', user: 'alice', allowInsecureAuth: false, password: { source: 'command' } } as const;
    const value = smtpValue(smtpDraftOf({ user: 'alice', smtp } as never));
    expect(value).not.toHaveProperty('password');
    expect(value).toMatchObject({ host: 'smtp.example.org', port: 465, auth: 'password', user: 'alice' });
    // Choosing the incoming password instead is the user's to make.
    expect(smtpValue({ ...smtpDraftOf({ user: 'alice', smtp } as never), useIncoming: true }).password).toEqual({ source: 'incoming' });
  });
});

describe('identities', () => {
  const id = (address: string, more = {}) => ({ name: 'Alice', address, replyTo: '', signature: '', default: false, ...more });
  it('checks each as typed: address, a duplicate, reply-to, a name with a line break, a long signature', () => {
    const p = identitiesProblems([id('alice@example.org'), id('Alice@Example.org'), id('alice', { replyTo: 'not an address' }), id('', { name: 'A\nB', signature: 'x'.repeat(10_001) })]);
    expect(p[0]).toEqual({ address: 'Another identity of this account has this address.' });
    expect(p[1]).toEqual({ address: 'Another identity of this account has this address.' });
    expect(p[2]!.address).toMatch(/^That is not an email address/);
    expect(p[2]!.replyTo).toMatch(/^That is not an email address/);
    expect(p[3]!.address).toMatch(/^Enter the address you send from/);
    expect(p[3]!.name).toBe('A name cannot hold line breaks or tabs.');
    expect(p[3]!.signature).toMatch(/at most 10,000 characters/);
    expect(identitiesProblems([id('alice@localhost')])[0]).toEqual({});
  });

  it('gives the contract what was typed, trimmed, and only what is set', () => {
    expect(identityValue({ id: 'i1', name: ' Alice ', address: ' alice@example.org ', replyTo: '', signature: 'Alice\n\n', default: true })).toEqual({ id: 'i1', name: 'Alice', address: 'alice@example.org', signature: 'Alice', default: true });
  });

  it('errors from main name the outgoing field or the identity, not the incoming one', () => {
    const e = (message: string) => new ApiError({ code: 'invalid', message });
    expect(plainError(e('updateAccount: patch.smtp.host: must be a host name or an IP address, without spaces'))).toBe('Outgoing server: must be a host name or an IP address, without spaces.');
    expect(plainError(e('updateAccount: patch.identities.1.address: must be an email address'))).toBe('Identity 2: Email address: must be an email address.');
    expect(plainError(e('updateAccount: patch.host: must not be empty'))).toBe('Server: must not be empty.');
  });
});
