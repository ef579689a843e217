/** shared/accounts.ts: what an account may hold, and the messages when it may not. */
import { describe, expect, it } from 'vitest';
import {
  accountNameProblem,
  AccountInput,
  AccountPatch,
  AccountSettings,
  AuthMechanism,
  incomingPasswordSpreads,
  ScreenAccountInput,
  ScreenAccountPatch,
  SmtpServer,
  smtpDestinationChanged,
  TlsFingerprint,
} from '../../shared/accounts.js';
import { AUTH_MECHANISMS } from '../../electron/core/pop3/index.js';
import { describeZodError } from '../../electron/core/errors.js';

const base = { name: 'Home', host: 'pop.example.org', port: 995, security: 'tls', user: 'me', password: { source: 'keychain' } } as const;

function problem(input: unknown, schema: { safeParse(v: unknown): { success: boolean; error?: unknown } } = AccountInput): string {
  const r = schema.safeParse(input);
  expect(r.success).toBe(false);
  return describeZodError(r.error as never);
}

const HEX = 'ab'.repeat(32);
const CANONICAL = Array(32).fill('AB').join(':');

describe('TlsFingerprint', () => {
  it.each([
    ['lower-case hex without colons', HEX],
    ['upper-case hex without colons', HEX.toUpperCase()],
    ['lower-case with colons', Array(32).fill('ab').join(':')],
    ['canonical', CANONICAL],
    ['mixed case, surrounding spaces', `  ${Array(32).fill('aB').join(':')} `],
  ])('accepts %s and stores "AB:CD:…"', (_what, input) => {
    expect(TlsFingerprint.parse(input)).toBe(CANONICAL);
  });

  it('keeps the byte order', () => {
    const bytes = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0'));
    expect(TlsFingerprint.parse(bytes.join(''))).toBe(bytes.join(':').toUpperCase());
  });

  it.each([
    ['31 bytes', 'ab'.repeat(31)],
    ['33 bytes', 'ab'.repeat(33)],
    ['a SHA-1 fingerprint', Array(20).fill('AB').join(':')],
    ['non-hex', 'zz'.repeat(32)],
    ['colons in odd places', `a:${'b'.repeat(63)}`],
    ['a doubled colon', `AB::${Array(31).fill('AB').join(':')}`],
    ['spaces between bytes', Array(32).fill('AB').join(' ')],
  ])('refuses %s', (_what, input) => {
    expect(problem(input, TlsFingerprint)).toMatch(/SHA-256 fingerprint: 32 bytes/);
  });

  it('is normalized inside an account', () => {
    expect(AccountInput.parse({ ...base, tlsFingerprint: HEX }).tlsFingerprint).toBe(CANONICAL);
  });
});

describe('AccountInput', () => {
  it('fills in the defaults', () => {
    expect(AccountInput.parse(base)).toEqual({
      ...base,
      allowInsecureAuth: false,
      leaveOnServer: false,
      deleteAfterDays: null,
      deleteWhenDeletedLocally: false,
      maxMessageSizeKB: null,
      pipelining: true,
      trustServerVerdict: false,
      junkOnServer: false,
      checkEveryMinutes: 10,
      checkAtStartup: true,
      smtp: null,
      identities: [],
    });
  });

  it('accepts host names, IPv4 and IPv6 addresses', () => {
    for (const host of ['localhost', 'pop.example.org', 'mail-1.example.co.uk.', '127.0.0.1', '::1', 'fe80::1:2']) {
      expect(AccountInput.safeParse({ ...base, host }).success, host).toBe(true);
    }
  });

  it('accepts ordinary names: any printable text, trimmed, up to 64 characters', () => {
    for (const name of ['Home', 'me@example.org', 'Work 2', 'a.b_c-d+e', 'Jürgen', 'ホーム', '7', 'Bob (real mail)', 'Family / shared', 'Ann’s “work” mail!', '👨‍👩‍👧 Family', 'x'.repeat(64), '😀'.repeat(64)]) {
      expect(AccountInput.safeParse({ ...base, name }).success, name).toBe(true);
    }
    expect(AccountInput.parse({ ...base, name: '  Home  ' }).name).toBe('Home');
  });

  it('says what is wrong with a name in plain words, as the form shows it', () => {
    expect(accountNameProblem('Bob (real mail)', ['Home'])).toBeNull();
    expect(accountNameProblem('   ')).toBe('Enter a name for this account.');
    expect(accountNameProblem(' HOME ', ['Home'])).toBe('There is already an account named “Home”. Choose another name.');
    expect(accountNameProblem('a\tb')).toMatch(/control characters/);
    expect(accountNameProblem('x'.repeat(65))).toBe('Use at most 64 characters.');
  });

  it('accepts an address without a dot in its domain (alice@localhost on a home server)', () => {
    expect(AccountInput.safeParse({ ...base, email: 'alice@localhost' }).success).toBe(true);
    expect(AccountInput.safeParse({ ...base, email: 'not an address' }).success).toBe(false);
  });

  it('normalizes names to NFC', () => {
    expect(AccountInput.parse({ ...base, name: 'Jo\u0301se' }).name).toBe('J\u00f3se');
  });

  it.each([
    [{ name: '' }, 'name: must not be empty'],
    [{ name: '   ' }, 'name: must not be empty'],
    [{ name: 'a\nb' }, 'name: must not contain line breaks, tabs or other control characters'],
    [{ name: 'a\u2028b' }, /^name: must not contain line breaks/],
    [{ name: 'x'.repeat(65) }, 'name: must be at most 64 characters'],
    [{ host: 'pop example.org' }, 'host: must be a host name or an IP address, without spaces'],
    [{ host: 'pop.example.org/x' }, /^host: /],
    [{ port: 0 }, 'port: must be a whole number from 1 to 65535'],
    [{ port: 65536 }, 'port: must be a whole number from 1 to 65535'],
    [{ port: 99.5 }, 'port: must be a whole number from 1 to 65535'],
    [{ port: '995' }, 'port: must be a whole number from 1 to 65535'],
    [{ port: undefined }, 'port: is required'],
    [{ security: 'none' }, 'security: must be "tls", "starttls" or "plain"'],
    [{ user: 'me\r\nDELE 1' }, 'user: must not contain control characters'],
    [{ email: 'not an address' }, 'email: must be an email address'],
    [{ authMechanism: 'GSSAPI' }, /^authMechanism: must be one of XOAUTH2/],
    [{ checkEveryMinutes: 0 }, 'checkEveryMinutes: must be a whole number of minutes from 1 to 1440'],
    [{ checkEveryMinutes: 1441 }, 'checkEveryMinutes: must be a whole number of minutes from 1 to 1440'],
    [{ maxMessageSizeKB: 0 }, 'maxMessageSizeKB: must be a whole number of KB, at least 1, or null'],
    [{ leaveOnServer: true, deleteAfterDays: 0 }, 'deleteAfterDays: must be a whole number of days, at least 1, or null'],
    [{ password: { source: 'command', command: '' } }, 'password.command: must not be empty'],
    [{ password: { source: 'vault' } }, 'password.source: must be "keychain", "session" or "command"'],
    [{ password: {} }, 'password.source: must be "keychain", "session" or "command"'],
    [{ password: 'x' }, 'password: must be { "source": "keychain" }, { "source": "session" } or { "source": "command", "command": "…" }'],
    [{ password: undefined }, 'password: is required'],
    [{ id: 'mine' }, 'unknown field "id"'],
    [{ leaveOnSever: true }, 'unknown field "leaveOnSever"'],
  ])('%j → %s', (change, message) => {
    const text = problem({ ...base, ...change });
    if (typeof message === 'string') expect(text).toBe(message);
    else expect(text).toMatch(message);
  });

  it('refuses server-deletion settings without leaveOnServer, saying why', () => {
    expect(problem({ ...base, deleteAfterDays: 7 })).toBe(
      'deleteAfterDays: needs leaveOnServer: without it every message is deleted from the server as soon as it is downloaded',
    );
    expect(problem({ ...base, deleteWhenDeletedLocally: true })).toMatch(/^deleteWhenDeletedLocally: needs leaveOnServer/);
    expect(AccountInput.safeParse({ ...base, leaveOnServer: true, deleteAfterDays: 7, deleteWhenDeletedLocally: true }).success).toBe(true);
  });

  it('refuses a certificate pin on a connection without TLS', () => {
    expect(problem({ ...base, security: 'plain', port: 110, tlsFingerprint: HEX })).toMatch(/^tlsFingerprint: pins a TLS certificate/);
    expect(AccountInput.safeParse({ ...base, security: 'starttls', port: 110, tlsFingerprint: HEX }).success).toBe(true);
  });

  it('never puts a stray password value into its message', () => {
    const secret = 'hunter2-very-secret';
    for (const input of [
      { ...base, password: secret },
      { ...base, password: { source: 'keychain', value: secret } },
      { ...base, password: { source: secret } },
      { ...base, secret },
    ]) {
      const text = problem(input);
      expect(text).not.toContain(secret);
      expect(text).toMatch(/^password|unknown field/);
    }
  });
});

describe('AccountSettings', () => {
  it('needs a well-formed id', () => {
    expect(problem({ ...base, id: '../x' }, AccountSettings)).toMatch(/^id: must be 1–64 letters, digits/);
    expect(AccountSettings.safeParse({ ...base, id: '3f1c2a9e-0d4b-4c2e-9a51-1b7c0e6f8d2a' }).success).toBe(true);
  });
});

describe('AccountPatch', () => {
  it('applies no defaults, so an empty patch changes nothing', () => {
    expect(AccountPatch.parse({})).toEqual({});
    expect(AccountPatch.parse({ port: 110 })).toEqual({ port: 110 });
  });

  it('takes null to remove optional settings', () => {
    expect(AccountPatch.parse({ email: null, authMechanism: null, tlsFingerprint: null, deleteAfterDays: null })).toEqual({
      email: null,
      authMechanism: null,
      tlsFingerprint: null,
      deleteAfterDays: null,
    });
  });

  it('validates each field as the full form does', () => {
    expect(problem({ port: 0 }, AccountPatch)).toBe('port: must be a whole number from 1 to 65535');
    expect(problem({ name: null }, AccountPatch)).toMatch(/^name: /);
    expect(problem({ id: 'x' }, AccountPatch)).toBe('unknown field "id"');
    expect(AccountPatch.parse({ tlsFingerprint: HEX }).tlsFingerprint).toBe(CANONICAL);
  });
});

describe('shared enums in the POP3 client', () => {
  it('AUTH_MECHANISMS is the schema’s list', () => {
    expect(AUTH_MECHANISMS).toEqual(AuthMechanism.options);
    expect(AUTH_MECHANISMS).toEqual(['XOAUTH2', 'CRAM-MD5', 'APOP', 'PLAIN', 'LOGIN', 'USER']);
  });
});

describe('outgoing server and identities', () => {
  const smtp = { host: 'smtp.example.org', port: 465, security: 'tls', user: 'me' } as const;

  it('an outgoing server gets defaults: password login from its own keychain entry, no clear-text login', () => {
    expect(SmtpServer.parse(smtp)).toEqual({ ...smtp, auth: 'password', allowInsecureAuth: false, password: { source: 'keychain' } });
  });

  it('refuses unknown mechanisms and fields, says what is missing', () => {
    expect(problem({ ...smtp, mechanism: 'APOP' }, SmtpServer)).toMatch(/^mechanism: must be one of PLAIN, LOGIN, CRAM-MD5, XOAUTH2/);
    expect(problem({ ...smtp, hots: 'x' }, SmtpServer)).toMatch(/hots/);
    expect(problem({ port: 465, security: 'tls', user: 'me' }, SmtpServer)).toMatch(/^host: is required/);
    expect(problem({ ...smtp, password: { source: 'elsewhere' } }, SmtpServer)).toMatch(/^password: must be/);
  });

  it('a new account with an outgoing server needs an identity or an email address to make one from', () => {
    expect(problem({ ...base, smtp })).toMatch(/^identities: an account with an outgoing server needs at least one identity/);
    expect(AccountInput.safeParse({ ...base, email: 'me@example.org', smtp }).success).toBe(true);
    expect(AccountInput.safeParse({ ...base, smtp, identities: [{ address: 'me@example.org' }] }).success).toBe(true);
    // Stored accounts always have it.
    expect(problem({ id: 'a1', ...base, email: 'me@example.org', smtp }, AccountSettings)).toMatch(/^identities: /);
  });

  it('identities: header-safe names, real addresses', () => {
    expect(problem({ ...base, identities: [{ name: 'A\nB', address: 'a@b.example' }] })).toMatch(/^identities\[0\]\.name: must not contain line breaks/);
    expect(problem({ ...base, identities: [{ address: 'not an address' }] })).toMatch(/^identities\[0\]\.address: must be an email address/);
    expect(problem({ ...base, identities: [{ address: 'a@b.example', replyTo: 'x' }] })).toMatch(/^identities\[0\]\.replyTo: must be an email address/);
    expect(AccountInput.parse({ ...base, identities: [{ address: 'a@b.example' }] }).identities).toEqual([{ name: '', address: 'a@b.example' }]);
    // Letters beyond ASCII (sent where the server offers SMTPUTF8), never a bidi mark.
    expect(AccountInput.parse({ ...base, identities: [{ address: 'jörg@bücher.example', replyTo: '用户@例子.广告' }] }).identities).toEqual([{ name: '', address: 'jörg@bücher.example', replyTo: '用户@例子.广告' }]);
    expect(problem({ ...base, identities: [{ address: 'jö\u202erg@example.org' }] })).toMatch(/^identities\[0\]\.address: must be an email address/);
  });

  it('the screens may set the outgoing server, its keychain password or the incoming one, but never a password command', () => {
    const input = { ...base, email: 'me@example.org', smtp: { ...smtp, password: { source: 'command', command: 'touch /tmp/x' } } };
    expect(AccountInput.safeParse(input).success).toBe(true);
    expect(problem(input, ScreenAccountInput)).toMatch(/^smtp\.password: .*only on the command line/);
    expect(problem({ smtp: { password: { source: 'command', command: 'x' } } }, ScreenAccountPatch)).toMatch(/^smtp\.password: .*only on the command line/);
    expect(ScreenAccountPatch.safeParse({ smtp: { host: 'smtp.example.net', password: { source: 'incoming' } } }).success).toBe(true);
    expect(ScreenAccountInput.parse({ ...base, email: 'me@example.org', smtp }).smtp?.password).toEqual({ source: 'keychain' });
  });
});

describe('where an outgoing password goes', () => {
  const s = SmtpServer.parse({ host: 'smtp.example.org', port: 465, security: 'tls', user: 'me' });
  const pin = Array(32).fill('AB').join(':');

  it.each([
    ['another host', { host: 'evil.example' }, true],
    ['the same host in other case', { host: 'SMTP.example.org' }, false],
    ['another port', { port: 587 }, true],
    ['other security', { security: 'starttls' as const }, true],
    ['clear-text login newly allowed', { allowInsecureAuth: true }, true],
    ['a new pin', { tlsFingerprint: pin }, true],
    ['another user', { user: 'you' }, false],
  ])('%s: changed is %s', (_what, change, changed) => {
    expect(smtpDestinationChanged(s, { ...s, ...change })).toBe(changed);
  });

  it('setting up or removing the server is a change', () => {
    expect(smtpDestinationChanged(null, s)).toBe(true);
    expect(smtpDestinationChanged(s, null)).toBe(true);
    expect(smtpDestinationChanged(null, null)).toBe(false);
  });

  it('a pin removed is a change (any certificate a CA vouches for would do), the same pin is not', () => {
    const pinned = { ...s, tlsFingerprint: pin };
    expect(smtpDestinationChanged(pinned, s)).toBe(true);
    expect(smtpDestinationChanged(pinned, { ...pinned })).toBe(false);
  });

  it('the incoming password spreads when the outgoing server starts using it, or moves while using it', () => {
    const incoming = { ...s, password: { source: 'incoming' as const } };
    expect(incomingPasswordSpreads({ smtp: s }, { smtp: incoming })).toBe(true);
    expect(incomingPasswordSpreads({ smtp: null }, { smtp: incoming })).toBe(true);
    expect(incomingPasswordSpreads({ smtp: incoming }, { smtp: incoming })).toBe(false);
    expect(incomingPasswordSpreads({ smtp: incoming }, { smtp: { ...incoming, port: 2525 } })).toBe(true);
    expect(incomingPasswordSpreads({ smtp: incoming }, { smtp: { ...incoming, auth: 'none' } })).toBe(false);
    expect(incomingPasswordSpreads({ smtp: incoming }, { smtp: { ...s, host: 'evil.example' } })).toBe(false);
  });
});
