/**
 * A Pop3Error made by another copy of pop3/errors.ts is one too. The CLI's quick paths run from a
 * script of their own (cli/quick-script.ts, V8's code cache), with their own copy of the POP3
 * client; a session they hand over to the full path (core/sync/hand-over.ts) fails there with that
 * copy's errors, and the full sync's decisions ("this server has no UIDL", a certificate block to
 * record) must read them as its own.
 */
import { expect, it } from 'vitest';
import type * as errors from '../../electron/core/pop3/errors.js';
import { isPop3Error, Pop3Error } from '../../electron/core/pop3/errors.js';

type ErrorsModule = typeof errors;

it('isPop3Error knows a Pop3Error of another copy of its module, and nothing else by its looks', async () => {
  const copy = '../../electron/core/pop3/errors.js?copy';
  const other = (await import(/* @vite-ignore */ copy)) as ErrorsModule;
  expect(other.Pop3Error).not.toBe(Pop3Error); // the premise: two copies
  expect(isPop3Error(new other.Pop3Error('command', '-ERR no UIDL'))).toBe(true);
  expect(isPop3Error(new Pop3Error('certificate', 'not trusted'))).toBe(true);
  // Node's errors have codes too; a plain object is no error.
  expect(isPop3Error(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(false);
  expect(isPop3Error({ name: 'Pop3Error', code: 'command', message: '-ERR' })).toBe(false);
});
