/**
 * An AppFailure or a NetError made by another copy of its module is one too, as a Pop3Error is
 * (pop3-error-copies.test.ts): the CLI's quick paths run from a script of their own
 * (cli/quick-script.ts) with their own copy of what they import, and a failure they hand to the
 * full path must keep its code (a refusal the CLI words as such, a lost connection POP3 names),
 * not become a bug ("storage") because `instanceof` knows only its own copy.
 */
import { expect, it } from 'vitest';
import { runCli } from '../../electron/cli/run.js';
import type { MailService } from '../../electron/core/mail-service.js';
import { failsForGood } from '../../electron/core/rules/forward.js';
import type * as coreErrors from '../../electron/core/errors.js';
import { AppFailure, isAppFailure, toAppError } from '../../electron/core/errors.js';
import type * as netErrors from '../../electron/core/net/errors.js';
import { isNetError, NetError } from '../../electron/core/net/errors.js';

it('isAppFailure knows an AppFailure of another copy of its module, and nothing else by its looks', async () => {
  const copy = '../../electron/core/errors.js?copy';
  const other = (await import(/* @vite-ignore */ copy)) as typeof coreErrors;
  expect(other.AppFailure).not.toBe(AppFailure); // the premise: two copies
  const refused = new other.AppFailure('not-found', 'no account named "Work"');
  expect(isAppFailure(refused)).toBe(true);
  expect(toAppError(refused, 'a bug')).toEqual({ code: 'not-found', message: 'no account named "Work"' });
  expect(isAppFailure(new AppFailure('invalid', 'bad port'))).toBe(true);
  // Node's errors have codes too; a plain object is no error; a name alone is not enough.
  expect(isAppFailure(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }))).toBe(false);
  expect(isAppFailure({ name: 'AppFailure', code: 'invalid', message: 'x' })).toBe(false);
  expect(isAppFailure(Object.assign(new Error('x'), { name: 'AppFailure', code: 'EPERM' }))).toBe(false);
  // A filter's refusal in words is said once, whichever copy made it.
  expect(failsForGood(new other.AppFailure('invalid', 'a folder name refused'))).toBe(true);
});

it('the CLI says a refusal from another copy in its words and exit code, not as an unexpected error', async () => {
  const copy = '../../electron/core/errors.js?copy';
  const other = (await import(/* @vite-ignore */ copy)) as typeof coreErrors;
  const service = {
    listAccounts: () => [],
    on: () => () => {},
    messages: () => {
      throw new other.AppFailure('not-found', 'no folder named "Bills"');
    },
  } as unknown as MailService;
  const err: string[] = [];
  const code = await runCli(['--data-dir', '/nonexistent', 'messages'], { out: () => {}, err: (t: string) => void err.push(t), columns: 100, stdin: () => undefined, service });
  expect(err.join('')).toBe('popbox: not-found: no folder named "Bills"\n');
  expect(code).toBe(2);
});

it('isNetError knows a NetError of another copy of its module, and nothing else by its looks', async () => {
  const copy = '../../electron/core/net/errors.js?copy';
  const other = (await import(/* @vite-ignore */ copy)) as typeof netErrors;
  expect(other.NetError).not.toBe(NetError);
  expect(isNetError(new other.NetError('network', 'connection reset'))).toBe(true);
  expect(isNetError(new NetError('timeout', 'no answer'))).toBe(true);
  expect(isNetError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(false);
  expect(isNetError({ name: 'NetError', code: 'network', message: 'x' })).toBe(false);
  // One of our codes a socket never ends with is no NetError.
  expect(isNetError(Object.assign(new Error('x'), { name: 'NetError', code: 'auth' }))).toBe(false);
});
