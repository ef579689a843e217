/**
 * Search in scripts written without spaces (Chinese, Japanese, Thai; Korean particles): a word
 * is found inside the sentence it stands in, in real stored mail whose bodies are UTF-8, GB2312
 * (8-bit) and ISO-2022-JP, with a snippet around it and the word to mark; Latin search is
 * unchanged beside it; and an index file written before words in these scripts were cut
 * (version 1) is rebuilt from the Maildir at the next start, without anyone asking.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { messageIdFor } from '../../electron/core/store/ids.js';
import { SearchIndex } from '../../electron/core/search/search-index.js';

const head = (from: string, subject: string, day: number, type: string, cte: string): string =>
  `From: ${from}\r\nTo: Ann Reader <ann@example.net>\r\nSubject: ${subject}\r\nDate: Mon, ${String(day).padStart(2, '0')} Jun 2026 10:00:00 +0800\r\n` +
  `Message-ID: <cjk${day}@example.cn>\r\nMIME-Version: 1.0\r\nContent-Type: ${type}\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n`;

/** UTF-8, base64; the subject "项目进度报告" as an encoded word. */
const UTF8_ZH = Buffer.from(
  head('Wang Wei <wang@example.cn>', '=?UTF-8?B?6aG555uu6L+b5bqm5oql5ZGK?=', 1, 'text/plain; charset=utf-8', 'base64') +
    Buffer.from('王经理：\n本周项目进度正常。明天的会议改到三点，在二楼会议室。\n').toString('base64') +
    '\r\n',
);

/**
 * GB2312 as 8-bit bytes (what Chinese mailers sent for years): "各位同事：\n明天的会议改到三点，地点不变。\n
 * 请准时参加。\n", encoded by Python's gb2312 codec; subject "会议时间变更" as a GB2312 encoded word.
 */
const GB2312_ZH = Buffer.concat([
  Buffer.from(head('Li Na <li@example.cn>', '=?GB2312?B?u+HS6cqxvOSx5Lj8?=', 2, 'text/plain; charset=gb2312', '8bit')),
  Buffer.from('b8f7cebbcdaccac2a3ba0ac3f7ccecb5c4bbe1d2e9b8c4b5bdc8fdb5e3a3acb5d8b5e3b2bbb1e4a1a30ac7ebd7bccab1b2cebcd3a1a30a', 'hex'),
]);

/** 会 without 会议: "我们下周在北京开会" (we meet in Beijing next week). */
const UTF8_KAIHUI = Buffer.from(head('Zhao <zhao@example.cn>', 'Beijing', 3, 'text/plain; charset=utf-8', '8bit') + '我们下周在北京开会，请订机票。\r\n');

/**
 * ISO-2022-JP, 7-bit (the Japanese mail standard): "皆様\n明日の会議は三時に変更します。コーヒーを用意します。\n
 * よろしくお願いします。\n"; subject "会議の件". A dictionary segmenter cuts the sentence 三|時に, so 三時 on its own
 * would not be found that way.
 */
const ISO2022_JA = Buffer.from(
  head('Tanaka <tanaka@example.jp>', '=?ISO-2022-JP?B?GyRCMnE1RCRON28bKEI=?=', 4, 'text/plain; charset=ISO-2022-JP', '7bit') +
    "\x1b$B3'MM\x1b(B\r\n\x1b$BL@F|$N2q5D$O;0;~$KJQ99$7$^$9!#%3!<%R!<$rMQ0U$7$^$9!#\x1b(B\r\n\x1b$B$h$m$7$/$*4j$$$7$^$9!#\x1b(B\r\n",
  'latin1',
);

/** Thai in HTML: "พรุ่งนี้มีประชุมตอนบ่ายสาม" (tomorrow there is a meeting at three in the afternoon). */
const THAI_HTML = Buffer.from(
  head('Somchai <somchai@example.co.th>', 'Nat', 5, 'text/html; charset=utf-8', '8bit') + '<html><body><p>สวัสดีครับ</p><p>พรุ่งนี้มีประชุมตอนบ่ายสาม</p></body></html>\r\n',
);

/** Korean: the particle is written onto the word (회의를 = the meeting + object marker). */
const KOREAN = Buffer.from(head('Kim <kim@example.kr>', 'Time', 6, 'text/plain; charset=utf-8', '8bit') + '회의를 세 시로 옮깁니다.\r\n');

/** Latin beside them: mixed with Chinese, and plain English. */
const MIXED = Buffer.from(head('Bob <bob@example.com>', 'Budget', 7, 'text/plain; charset=utf-8', '8bit') + 'The quarterly budget review (预算审查) is on Friday.\r\n');
const ENGLISH = Buffer.from(head('Carol <carol@example.com>', 'Lunch', 8, 'text/plain; charset=utf-8', '8bit') + 'Lunch after the budget meeting?\r\n');

const MAILS: Record<string, Buffer> = { utf8zh: UTF8_ZH, gb2312: GB2312_ZH, kaihui: UTF8_KAIHUI, iso2022jp: ISO2022_JA, thai: THAI_HTML, korean: KOREAN, mixed: MIXED, english: ENGLISH };

describe('search in Chinese, Japanese, Thai and Korean mail', () => {
  let dataDir: string;
  let service: MailService;
  let accountId: string;

  const start = async () => {
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    await service.searchIndexed();
  };

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-search-cjk-'));
    const first = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    accountId = (await first.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'u', password: { source: 'command', command: 'echo pw' } })).id;
    await first.close();
    const cur = path.join(dataDir, 'accounts', accountId, 'Maildir', 'cur');
    for (const [uidl, bytes] of Object.entries(MAILS)) await fs.writeFile(path.join(cur, `${messageIdFor(accountId, uidl)}:2,`), bytes);
    // No clean-close mark: the next open reconciles and journals every file.
    await fs.rm(path.join(dataDir, 'closed-cleanly'), { force: true });
    await start();
  }, 120_000);

  afterAll(async () => {
    await service?.close();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  const id = (uidl: string) => messageIdFor(accountId, uidl);
  const found = async (query: string) => new Set((await service.search({ query })).ids);

  it('finds a Chinese word inside a sentence, in UTF-8 and GB2312 bodies, with a snippet around it and the word to mark', async () => {
    const r = await service.search({ query: '会议 ' });
    expect(new Set(r.ids)).toEqual(new Set([id('utf8zh'), id('gb2312')]));
    // 开会 has 会 but not 会议: not found.
    expect(r.ids).not.toContain(id('kaihui'));
    expect(r.terms).toEqual([{ text: '会议', prefix: false }]);
    const snippet = new Map(r.snippets.map((s) => [s.id, s.text]));
    expect(snippet.get(id('gb2312'))).toContain('明天的会议改到三点');
    expect(snippet.get(id('utf8zh'))).toContain('明天的会议改到三点');
    // Longer words and whole phrases the same way; one character alone finds 会议, 开会 and 会議.
    expect(await found('明天的会议 ')).toEqual(new Set([id('utf8zh'), id('gb2312')]));
    expect(await found('"会议 三点" ')).toEqual(new Set());
    expect(await found('"会议改到 三点" ')).toEqual(new Set([id('utf8zh'), id('gb2312')]));
    expect(await found('会')).toEqual(new Set([id('utf8zh'), id('gb2312'), id('kaihui'), id('iso2022jp')]));
    expect(await found('北京 ')).toEqual(new Set([id('kaihui')]));
  });

  it('finds words of encoded subjects (UTF-8, GB2312, ISO-2022-JP) by subject: and in the box', async () => {
    expect(await found('subject:进度 ')).toEqual(new Set([id('utf8zh')]));
    expect(await found('subject:时间 ')).toEqual(new Set([id('gb2312')]));
    expect(await found('subject:会議 ')).toEqual(new Set([id('iso2022jp')]));
    // 进度 is in utf8zh's subject and its body; nowhere else.
    expect(await found('进度 ')).toEqual(new Set([id('utf8zh')]));
  });

  it('finds Japanese words inside an ISO-2022-JP body, where a dictionary segmenter would have cut them otherwise', async () => {
    const r = await service.search({ query: '三時 ' });
    expect(r.ids).toEqual([id('iso2022jp')]);
    expect(r.snippets).toEqual([{ id: id('iso2022jp'), text: expect.stringContaining('明日の会議は三時に変更します') }]);
    expect(await found('コーヒー ')).toEqual(new Set([id('iso2022jp')]));
    expect(await found('お願い ')).toEqual(new Set([id('iso2022jp')]));
    // The simplified and the Japanese form of "meeting" are different characters.
    expect(await found('会議 ')).toEqual(new Set([id('iso2022jp')]));
  });

  it('finds a Thai word in an HTML body and a Korean word with its particle attached', async () => {
    const r = await service.search({ query: 'ประชุม ' });
    expect(r.ids).toEqual([id('thai')]);
    expect(r.snippets[0]?.text).toContain('พรุ่งนี้มีประชุมตอนบ่ายสาม');
    expect(await found('회의 ')).toEqual(new Set([id('korean')]));
  });

  it('mixes with Latin words and the rest of the query language, and leaves Latin search as it was', async () => {
    expect(await found('预算 budget ')).toEqual(new Set([id('mixed')]));
    expect(await found('budget -预算 ')).toEqual(new Set([id('english')]));
    expect(await found('会议 OR 会議 ')).toEqual(new Set([id('utf8zh'), id('gb2312'), id('iso2022jp')]));
    expect(await found('会议 from:li ')).toEqual(new Set([id('gb2312')]));
    expect(await found('会议 -from:li ')).toEqual(new Set([id('utf8zh')]));
    // Latin words stay whole words: "budge" (typed on) is a prefix, "budge " is not a word here.
    expect(await found('budge')).toEqual(new Set([id('mixed'), id('english')]));
    expect(await found('budge ')).toEqual(new Set());
    expect(await found('"budget meeting" ')).toEqual(new Set([id('english')]));
  });

  it('rebuilds, once, an index file from before words in these scripts were cut (version 1)', async () => {
    await service.close();
    const file = SearchIndex.file(dataDir);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) await fs.rm(f, { force: true });
    // The version-1 file as Popbox wrote it: every message listed as indexed, each sentence one word.
    const old = new Database(file);
    old.exec(`
      CREATE TABLE docs(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, partial INTEGER NOT NULL);
      CREATE VIRTUAL TABLE fts USING fts5(sender, recipients, subject, body, files, content='', contentless_delete=1,
        tokenize="unicode61 remove_diacritics 2 categories 'L* N* Co M*'", prefix='2 3');
      PRAGMA user_version = 1;
    `);
    Object.keys(MAILS).forEach((uidl, i) => {
      old.prepare('INSERT INTO docs(rowid, id, partial) VALUES (?, ?, 0)').run(i + 1, id(uidl));
      old.prepare('INSERT INTO fts(rowid, sender, recipients, subject, body, files) VALUES (?, ?, ?, ?, ?, ?)').run(i + 1, '', '', '', '明天的会议改到三点 budget', '');
    });
    old.close();
    await start();
    expect(await found('会议 ')).toEqual(new Set([id('utf8zh'), id('gb2312')]));
    // Rebuilt from the Maildir (the old file's words are gone), and marked with the new version.
    expect(await found('budget ')).toEqual(new Set([id('mixed'), id('english')]));
    await service.close();
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).toBe(2);
    // A second start keeps the rebuilt file (it is not rebuilt again): a table of ours survives it.
    check.exec('CREATE TABLE kept(x)');
    check.close();
    await start();
    expect(await found('会议 ')).toEqual(new Set([id('utf8zh'), id('gb2312')]));
    await service.close();
    const again = new Database(file, { readonly: true });
    expect(again.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'kept'").pluck().get()).toBe(1);
    again.close();
    await start();
  });
});
