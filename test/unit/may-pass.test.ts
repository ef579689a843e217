/**
 * Which failures may pass by themselves is one table (shared/error-codes.ts MAY_PASS) with a column
 * per use: the scheduler retries a check with backoff by its `check` column, and a filter action
 * left by a failure is tried again at the next check by its `action` column (rules/forward.ts
 * failsForGood). The two differ on purpose (a missing password stops a check and asks the person,
 * but only delays a forward); here both users are asked about every code, and the columns are the
 * two lists the scheduler and the filters kept before the table.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { AppFailure } from '../../electron/core/errors.js';
import { failsForGood } from '../../electron/core/rules/forward.js';
import { Scheduler } from '../../electron/core/sync/scheduler.js';
import { ERROR_CODES, MAY_PASS } from '../../shared/error-codes.js';
import type { ErrorCode } from '../../shared/errors.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const CHECK_RETRIED = ['network', 'timeout', 'in-use', 'login-delay', 'sys-temp', 'protocol', 'storage', 'command', 'cancelled', 'closing'];
const ACTION_RETRIED = ['storage', 'cancelled', 'closing', 'network', 'timeout', 'busy', 'in-use', 'sys-temp', 'secret'];

it('the columns are the lists the scheduler and the filters kept', () => {
  expect(ERROR_CODES.filter((c) => MAY_PASS[c].check).sort()).toEqual([...CHECK_RETRIED].sort());
  expect(ERROR_CODES.filter((c) => MAY_PASS[c].action).sort()).toEqual([...ACTION_RETRIED].sort());
});

it.each(ERROR_CODES)('%s: the scheduler and the filters each read their own column', async (code: ErrorCode) => {
  expect(failsForGood(new AppFailure(code, 'x'))).toBe(!MAY_PASS[code].action);
  const s = new Scheduler({ run: async () => ({ ok: false, code, message: 'x' }), backoffBaseMs: 60_000 });
  s.setAccounts([{ id: 'a', checkEveryMinutes: 60, checkAtStartup: true }]);
  s.start();
  await vi.advanceTimersByTimeAsync(10);
  expect(s.status('a')?.state === 'retrying').toBe(MAY_PASS[code].check);
  s.stop();
});
