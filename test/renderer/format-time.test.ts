/**
 * Times as the person's own clock writes them, as Thunderbird and Apple Mail show them: the
 * list said "04:42 PM" for a message sent this afternoon, a leading zero no US clock shows.
 */
import { expect, it } from 'vitest';
import { formatListDate, formatTime } from '../../renderer/src/app/format.js';

const us = Intl.DateTimeFormat().resolvedOptions().locale === 'en-US';

it.runIf(us)('a US clock: "4:42 PM" and "9:05 AM", not "04:42 PM"', () => {
  const now = new Date(2026, 11, 6, 17, 0).getTime();
  expect(formatListDate(new Date(2026, 11, 6, 16, 42).getTime(), now)).toBe('4:42 PM');
  expect(formatListDate(new Date(2026, 11, 6, 9, 5).getTime(), now)).toBe('9:05 AM');
  expect(formatTime(new Date(2026, 11, 6, 16, 42).getTime())).toBe('4:42 PM');
  // Other days keep their date.
  expect(formatListDate(new Date(2026, 11, 5, 16, 42).getTime(), now)).toBe('Dec 5');
});

it('any locale: the time is the locale\u2019s own short time', () => {
  const at = new Date(2026, 11, 6, 9, 5).getTime();
  expect(formatTime(at)).toBe(new Intl.DateTimeFormat(undefined, { timeStyle: 'short' }).format(at));
});
