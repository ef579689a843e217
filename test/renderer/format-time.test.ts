/**
 * Times as the person's own clock writes them, as Thunderbird and Apple Mail show them: the
 * list said "04:42 PM" for a message sent this afternoon, a leading zero no US clock shows.
 * Locales are pinned, so these hold on any machine whatever its own locale.
 */
import { expect, it } from 'vitest';
import { formatListDate, formatTime } from '../../renderer/src/app/format.js';

const now = new Date(2026, 11, 6, 17, 0).getTime();
const afternoon = new Date(2026, 11, 6, 16, 42).getTime();
const morning = new Date(2026, 11, 6, 9, 5).getTime();

it('a US clock: "4:42 PM" and "9:05 AM", not "04:42 PM"', () => {
  expect(formatListDate(afternoon, now, 'en-US')).toBe('4:42 PM');
  expect(formatListDate(morning, now, 'en-US')).toBe('9:05 AM');
  expect(formatTime(afternoon, 'en-US')).toBe('4:42 PM');
  expect(formatTime(morning, 'en-US')).toBe('9:05 AM');
  // Other days keep their date.
  expect(formatListDate(new Date(2026, 11, 5, 16, 42).getTime(), now, 'en-US')).toBe('Dec 5');
});

it('a British clock: "09:05" and "16:42", the 24-hour time with its zero', () => {
  expect(formatListDate(morning, now, 'en-GB')).toBe('09:05');
  expect(formatTime(morning, 'en-GB')).toBe('09:05');
  expect(formatTime(afternoon, 'en-GB')).toBe('16:42');
  expect(formatListDate(new Date(2026, 11, 5, 16, 42).getTime(), now, 'en-GB')).toBe('5 Dec');
});
