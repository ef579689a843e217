/**
 * after:/before: days are the person's own days (local midnight, as Gmail), and notmuch 0.37's
 * date:A..B reads its days the same way: in the time zone of the process, not UTC and not the
 * Date header's own zone. Tried here on a Maildir of four messages near the edges of August 2002,
 * in three zones: the set Popbox's bounds select equals notmuch's each time. (bench:search runs
 * notmuch in Popbox's zone for the same reason.)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseQuery, type Clause } from '../../electron/core/search/query.js';

const unavailable = spawnSync('sh', ['-c', 'command -v notmuch']).status === 0 ? null : 'notmuch not found: apt-get install notmuch (see .ci/run)';
if (unavailable && process.env.CI) throw new Error(`This test needs notmuch in CI: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

const DATES = ['Sat, 31 Aug 2002 23:30:00 +0000', 'Thu, 01 Aug 2002 02:00:00 +0000', 'Sat, 31 Aug 2002 22:30:00 -0500', 'Thu, 01 Aug 2002 08:00:00 +0900'];

suite('after:/before: days and notmuch date: days', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-day-bounds-'));
  const zone = process.env.TZ;
  afterAll(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const d of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(dir, 'mail', d), { recursive: true });
  DATES.forEach((date, i) => fs.writeFileSync(path.join(dir, 'mail', 'cur', `m${i}:2,`), `From: a@example.org\nSubject: m${i}\nMessage-ID: <m${i}@example.org>\nDate: ${date}\n\nbody\n`));
  fs.writeFileSync(path.join(dir, 'config'), `[database]\npath=${path.join(dir, 'mail')}\n[new]\ntags=\nignore=\n[search]\nexclude_tags=\n[maildir]\nsynchronize_flags=false\n`);

  for (const tz of ['UTC', 'America/New_York', 'Asia/Tokyo']) {
    it(`in ${tz}: the same messages`, () => {
      const env = { ...process.env, NOTMUCH_CONFIG: path.join(dir, 'config'), TZ: tz };
      if (!fs.existsSync(path.join(dir, 'mail', '.notmuch'))) expect(spawnSync('notmuch', ['new', '--quiet'], { env }).status).toBe(0);
      const r = spawnSync('notmuch', ['search', '--output=files', 'date:2002-08-01..2002-08-31'], { env, encoding: 'utf8' });
      const notmuch = r.stdout.split('\n').filter(Boolean).map((f) => path.basename(f)).sort();

      process.env.TZ = tz; // Node reads the zone again when TZ changes
      const bounds = parseQuery('after:2002-08-01 before:2002-09-01 ').groups.map((g) => g[0]!.clause) as Extract<Clause, { t: 'date' }>[];
      const popbox = DATES.flatMap((date, i) => (bounds.every((c) => (c.op === 'before' ? Date.parse(date) < c.at : Date.parse(date) >= c.at)) ? [`m${i}:2,`] : []));
      expect(popbox).toEqual(notmuch);
      // And each zone gives a different pair, so the zone is really used by both.
      expect(notmuch).toEqual({ UTC: ['m0:2,', 'm1:2,'], 'America/New_York': ['m0:2,', 'm2:2,'], 'Asia/Tokyo': ['m1:2,', 'm3:2,'] }[tz]);
    });
  }
});
