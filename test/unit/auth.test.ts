import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  apopDigest,
  chooseMechanisms,
  cramMd5Response,
  mechanismsAfterInitialResponse,
  parseApopTimestamp,
  plainResponse,
  xoauth2Response,
} from '../../electron/core/pop3/auth.js';
import { parseCapabilities } from '../../electron/core/pop3/capabilities.js';
import { Pop3Error, errorFromReply, parseRespCode } from '../../electron/core/pop3/errors.js';

const caps = (...lines: string[]) => parseCapabilities(lines);

describe('mechanism choice', () => {
  const full = caps('USER', 'SASL PLAIN LOGIN CRAM-MD5');
  it('on a verified TLS channel PLAIN comes first (one round trip, no hash), alone', () => {
    expect(chooseMechanisms({ user: 'u', password: 'p' }, full, null, true)).toEqual(['PLAIN']);
    expect(chooseMechanisms({ user: 'u', password: 'p' }, full, '<1.2@h>', true)).toEqual(['PLAIN']);
    expect(chooseMechanisms({ user: 'u', password: 'p' }, caps('USER', 'SASL PLAIN LOGIN'), null, true)).toEqual(['PLAIN']);
  });

  it('after a bare -ERR to the one-line AUTH PLAIN: PLAIN in two steps and nothing after it (no CRAM-MD5 or APOP tail: each would be one more refused login)', () => {
    expect(mechanismsAfterInitialResponse()).toEqual(['PLAIN']);
  });

  it('without PLAIN, prefers challenge-response, with a clear fallback only on a secure channel', () => {
    expect(chooseMechanisms({ user: 'u', password: 'p' }, caps('USER', 'SASL LOGIN CRAM-MD5'), null, true)).toEqual(['CRAM-MD5', 'LOGIN']);
    expect(chooseMechanisms({ user: 'u', password: 'p' }, caps('USER'), '<1.2@h>', true)).toEqual(['APOP', 'USER']);
  });

  it('on a plain connection, challenge-response needs the insecure opt-in too (its digest can be guessed offline)', () => {
    for (const [c, apop, m] of [[full, null, 'CRAM-MD5'], [caps('USER'), '<1.2@h>', 'APOP']] as const) {
      expect(() => chooseMechanisms({ user: 'u', password: 'p' }, c, apop, false)).toThrow(new RegExp(`${m} without encryption would let an eavesdropper guess the password offline`));
      expect(() => chooseMechanisms({ user: 'u', password: 'p', mechanism: m }, c, apop, false)).toThrow(/insecure login/);
    }
    expect(chooseMechanisms({ user: 'u', password: 'p', allowInsecure: true }, full, null, false)).toEqual(['CRAM-MD5', 'PLAIN']);
    expect(chooseMechanisms({ user: 'u', password: 'p', mechanism: 'CRAM-MD5', allowInsecure: true }, full, null, false)).toEqual(['CRAM-MD5']);
  });

  it('uses USER/PASS with a server that has no CAPA', () => {
    expect(chooseMechanisms({ user: 'u', password: 'p' }, null, null, true)).toEqual(['USER']);
  });

  it('refuses to send a password in clear on a plain connection unless allowed', () => {
    const err = (() => {
      try {
        chooseMechanisms({ user: 'u', password: 'p' }, caps('USER', 'SASL PLAIN'), null, false);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(Pop3Error);
    expect((err as Pop3Error).code).toBe('insecure');
    expect(chooseMechanisms({ user: 'u', password: 'p', allowInsecure: true }, caps('USER', 'SASL PLAIN'), null, false)).toEqual(['PLAIN']);
    expect(() => chooseMechanisms({ user: 'u', password: 'p', mechanism: 'USER' }, full, null, false)).toThrow(/unencrypted/);
  });

  it('honours a named mechanism and checks it can work', () => {
    expect(chooseMechanisms({ user: 'u', password: 'p', mechanism: 'LOGIN' }, full, null, true)).toEqual(['LOGIN']);
    expect(() => chooseMechanisms({ user: 'u', password: 'p', mechanism: 'APOP' }, full, null, true)).toThrow(/timestamp/);
  });

  it('uses XOAUTH2 for a token, and only when offered', () => {
    expect(chooseMechanisms({ user: 'u', oauth2Token: 't' }, caps('SASL XOAUTH2 PLAIN'), null, true)).toEqual(['XOAUTH2']);
    expect(() => chooseMechanisms({ user: 'u', oauth2Token: 't' }, full, null, true)).toThrow(/XOAUTH2/);
  });
});

describe('mechanism bytes', () => {
  it('APOP digest is RFC 1939 §7 example', () => {
    expect(apopDigest('<1896.697170952@dbc.mtview.ca.us>', 'tanstaaf')).toBe('c4c9334bac560ecc979e58001b3e22fb');
  });

  it('CRAM-MD5 is the RFC 2195 example', () => {
    const challenge = Buffer.from('<1896.697170952@postoffice.reston.mci.net>').toString('base64');
    const resp = Buffer.from(cramMd5Response('tim', 'tanstaaftanstaaf', challenge), 'base64').toString();
    expect(resp).toBe('tim b913a602c7eda7a495b4e6e7334d3890');
    expect(resp.split(' ')[1]).toBe(createHmac('md5', 'tanstaaftanstaaf').update('<1896.697170952@postoffice.reston.mci.net>').digest('hex'));
  });

  it('PLAIN and XOAUTH2 encode as specified', () => {
    expect(Buffer.from(plainResponse('tim', 'pw'), 'base64').toString()).toBe('\0tim\0pw');
    expect(Buffer.from(xoauth2Response('a@b.c', 'tok'), 'base64').toString()).toBe('user=a@b.c\x01auth=Bearer tok\x01\x01');
  });

  it('finds the APOP timestamp with a bounded parser', () => {
    expect(parseApopTimestamp('POP3 server ready <1896.697170952@dbc.mtview.ca.us>')).toBe('<1896.697170952@dbc.mtview.ca.us>');
    expect(parseApopTimestamp('Dovecot ready.')).toBeNull();
    expect(parseApopTimestamp('<no-at-sign>')).toBeNull();
    expect(parseApopTimestamp(`<${'a'.repeat(5000)}@b>`)).toBeNull();
  });
});

describe('capabilities and response codes', () => {
  it('parses CAPA, keeping unknown lines', () => {
    const c = caps('TOP', 'USER', 'UIDL', 'PIPELINING', 'RESP-CODES', 'AUTH-RESP-CODE', 'STLS', 'UTF8', 'SASL plain Login', 'LOGIN-DELAY 900', 'EXPIRE 0', 'IMPLEMENTATION Test 1.0', 'X-FOO bar');
    expect(c).toMatchObject({ top: true, user: true, uidl: true, pipelining: true, stls: true, utf8: true, sasl: ['PLAIN', 'LOGIN'], loginDelaySeconds: 900, expire: 0, implementation: 'Test 1.0' });
    expect(c.lines).toContain('X-FOO bar');
    expect(caps('EXPIRE NEVER').expire).toBe('never');
  });

  it('splits and maps response codes', () => {
    expect(parseRespCode('[SYS/TEMP] later')).toEqual({ respCode: 'SYS/TEMP', text: 'later' });
    expect(parseRespCode('no code')).toEqual({ text: 'no code' });
    expect(errorFromReply('[IN-USE] locked', 'auth', 'PASS').code).toBe('in-use');
    expect(errorFromReply('[LOGIN-DELAY] wait', 'auth', 'PASS').code).toBe('login-delay');
    const unknown = errorFromReply('[SYS/NEW] hmm', 'auth', 'PASS');
    expect(unknown.code).toBe('auth');
    expect(unknown.respCode).toBe('SYS/NEW');
    expect(errorFromReply('no such message', 'command', 'RETR 9').code).toBe('command');
    // RFC 2449 §8: an unknown deeper level falls back to the known parent.
    expect(errorFromReply('[SYS/TEMP/OVERLOAD] busy', 'auth', 'PASS').code).toBe('sys-temp');
    expect(errorFromReply('[IN-USE/LOCKED] busy', 'auth', 'PASS').code).toBe('in-use');
    // Server text is cleaned of control and bidi characters before it reaches a message.
    const hostile = errorFromReply(`[SYS/PERM] evil\x1b[31m\u202etxt.exe${'x'.repeat(5000)}`, 'auth', 'PASS');
    expect(hostile.message.includes('\x1b') || hostile.message.includes('\u202e')).toBe(false);
    expect(hostile.message.length).toBeLessThan(400);
  });
});
