/**
 * `popbox junk` as a person at a terminal uses it (issue 16 §2): teach it with message files and
 * with a stored folder, ask it about files (plain and --json), the plain words for a missing or
 * unreadable file, and reset.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { messageIdFor } from '../../electron/core/store/ids.js';
import { runCli } from '../support/cli-bundle.js';

const junkMail = (i: number) =>
  `From spam@bulk.example.biz Mon Jan  1 00:00:00 2024\nFrom: Deals <offers${i}@bulk.example.biz>\nSubject: Cheap pills discount ${i}\n\nBuy cheap pills, viagra discount, click http://bulk.example.biz/${i} winner prize\n`;
const goodMail = (i: number) =>
  `From: Colleague <c${i}@work.example.org>\r\nSubject: Meeting notes ${i}\r\n\r\nHi, the meeting notes for the project review. Regards, team ${i}\r\n`;

describe('popbox junk', () => {
  let base: string;
  let dataDir: string;
  let files: string;
  const wordList = () => fs.readFile(path.join(dataDir, 'junk', 'wordlist.json'), 'utf8').then((t) => JSON.parse(t) as { junkMessages: number; hamMessages: number });

  beforeAll(async () => {
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-junk-cli-'));
    dataDir = path.join(base, 'data');
    files = path.join(base, 'files');
    await fs.mkdir(files);
    for (let i = 0; i < 8; i++) {
      await fs.writeFile(path.join(files, `junk${i}.eml`), junkMail(i));
      await fs.writeFile(path.join(files, `good${i}.eml`), goodMail(i));
    }
    await fs.writeFile(path.join(files, 'mixed.eml'), 'From: x@elsewhere.example\nSubject: Meeting notes\n\ncheap pills viagra discount winner prize meeting notes project review regards team\n');
    await fs.writeFile(path.join(files, 'unreadable.eml'), goodMail(99), { mode: 0o000 });
  });

  afterAll(async () => {
    if (base) await fs.rm(base, { recursive: true, force: true });
  });

  it('learns junk and good mail from files and says how much it knows', async () => {
    const junk = await runCli(dataDir, 'junk', 'learn', '--junk', ...[0, 1, 2, 3, 4, 5].map((i) => path.join(files, `junk${i}.eml`)));
    expect(junk).toMatchObject({ code: 0, stderr: '' });
    expect(junk.stdout).toBe('learned 6 messages as junk (the word list knows 6 junk and 0 good)\n');
    const good = await runCli(dataDir, 'junk', 'learn', '--not-junk', ...[0, 1, 2, 3, 4, 5].map((i) => path.join(files, `good${i}.eml`)));
    expect(good.stdout).toBe('learned 6 messages as not junk (the word list knows 6 junk and 6 good)\n');
    expect(await wordList()).toMatchObject({ junkMessages: 6, hamMessages: 6 });
  });

  it('classifies files as junk, ham or unsure with a score, one line each', async () => {
    const r = await runCli(dataDir, 'junk', 'classify', path.join(files, 'junk7.eml'), path.join(files, 'good7.eml'), path.join(files, 'mixed.eml'));
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^junk {3}(0\.999\d|1\.0000) {2}.*junk7\.eml$/);
    expect(lines[1]).toMatch(/^ham {4}0\.0\d{3} {2}.*good7\.eml$/);
    expect(lines[2]).toMatch(/^unsure 0\.\d{4} {2}.*mixed\.eml$/);
  });

  it('--json gives each file, its verdict and score', async () => {
    const r = await runCli(dataDir, 'junk', 'classify', '--json', path.join(files, 'junk7.eml'), path.join(files, 'good7.eml'));
    const json = JSON.parse(r.stdout) as { file: string; verdict: string; score: number }[];
    expect(json.map((j) => [path.basename(j.file), j.verdict])).toEqual([['junk7.eml', 'junk'], ['good7.eml', 'ham']]);
    expect(json[0]!.score).toBeGreaterThan(0.999);
    expect(json[1]!.score).toBeLessThan(0.1);
  });

  it('names a missing file, a directory and an unreadable file in plain words, still doing the rest (exit 1)', async () => {
    const args = ['junk', 'classify', path.join(files, 'nope.eml'), files, path.join(files, 'good7.eml')];
    if (process.getuid?.() !== 0) args.push(path.join(files, 'unreadable.eml')); // root reads anything
    const r = await runCli(dataDir, ...args);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path.join(files, 'nope.eml')}: no such file\n`);
    expect(r.stderr).toContain(`${files}: it is a directory, not a message file\n`);
    if (process.getuid?.() !== 0) expect(r.stderr).toContain(`${path.join(files, 'unreadable.eml')}: permission denied\n`);
    expect(r.stdout).toMatch(/^ham .*good7\.eml\n$/);
    const learnMissing = await runCli(dataDir, 'junk', 'learn', '--junk', path.join(files, 'nope.eml'));
    expect(learnMissing.code).toBe(1);
    expect(learnMissing.stdout).toContain('learned 0 messages');
    expect(await wordList()).toMatchObject({ junkMessages: 6, hamMessages: 6 }); // nothing changed
  });

  it('bad input is a usage error (exit 2)', async () => {
    const both = await runCli(dataDir, 'junk', 'learn', '--junk', '--not-junk', path.join(files, 'junk0.eml'));
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('junk learn needs --junk or --not-junk (one of them)');
    expect((await runCli(dataDir, 'junk', 'classify')).code).toBe(2);
    expect((await runCli(dataDir, 'junk', 'frobnicate')).stderr).toContain('junk needs a subcommand: learn, classify or reset');
  });

  it('learns the mail stored in a folder (--folder)', async () => {
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    const account = await service.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'u', password: { source: 'command', command: 'echo pw' } });
    await service.close();
    const maildir = path.join(dataDir, 'accounts', account.id, 'Maildir');
    for (let i = 0; i < 3; i++) await fs.writeFile(path.join(maildir, 'cur', `${messageIdFor(account.id, `u${i}`)}:2,`), goodMail(100 + i));
    await fs.rm(path.join(dataDir, 'closed-cleanly'));
    const r = await runCli(dataDir, 'junk', 'learn', '--not-junk', '--folder', 'Inbox');
    expect(r).toMatchObject({ code: 0, stdout: 'learned 3 messages as not junk (the word list knows 6 junk and 9 good)\n' });
    const unknown = await runCli(dataDir, 'junk', 'learn', '--junk', '--folder', 'Nowhere');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no folder "Nowhere"');
  });

  it('terminals learning at once each keep their lessons, and classify meanwhile disturbs nothing', async () => {
    const fresh = path.join(base, 'concurrent');
    const learners = Array.from({ length: 6 }, (_, i) => runCli(fresh, 'junk', 'learn', i % 2 ? '--not-junk' : '--junk', path.join(files, i % 2 ? `good${i}.eml` : `junk${i}.eml`)));
    const readers = Array.from({ length: 6 }, () => runCli(fresh, 'junk', 'classify', path.join(files, 'mixed.eml')));
    const results = await Promise.all([...learners, ...readers]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    for (const r of results.slice(0, 6)) expect(r.stderr).toBe('');
    const list = JSON.parse(await fs.readFile(path.join(fresh, 'junk', 'wordlist.json'), 'utf8')) as { junkMessages: number; hamMessages: number };
    expect(list).toMatchObject({ junkMessages: 3, hamMessages: 3 }); // every lesson counted, none overwritten
    expect(await fs.readdir(path.join(fresh, 'junk'))).toEqual(['wordlist.json']); // no lock or temporary file left
    // A reset while others learn is never undone by a save of what was read before it.
    const after = await Promise.all([runCli(fresh, 'junk', 'learn', '--junk', path.join(files, 'junk6.eml')), runCli(fresh, 'junk', 'reset')]);
    for (const r of after) expect(r.code, r.stderr).toBe(0);
    const final = JSON.parse(await fs.readFile(path.join(fresh, 'junk', 'wordlist.json'), 'utf8').catch(() => '{"junkMessages":0,"hamMessages":0}')) as { junkMessages: number; hamMessages: number };
    // Either order is fine (reset then learn: one junk; learn then reset: nothing), never the six from before.
    expect([{ junkMessages: 1, hamMessages: 0 }, { junkMessages: 0, hamMessages: 0 }]).toContainEqual({ junkMessages: final.junkMessages, hamMessages: final.hamMessages });
  });

  it('reset forgets everything: classify is unsure again and says why', async () => {
    const r = await runCli(dataDir, 'junk', 'reset');
    expect(r.code).toBe(0);
    await expect(fs.access(path.join(dataDir, 'junk', 'wordlist.json'))).rejects.toThrow();
    const after = await runCli(dataDir, 'junk', 'classify', path.join(files, 'junk7.eml'));
    expect(after.stdout).toMatch(/^unsure 0\.5000 /);
    expect(after.stderr).toContain('has not learned both kinds yet');
  });
});
