/**
 * Full-text search in main (issue 17 §1–2): messages stored in the Maildir are indexed in the
 * background and found by a word that is only in their body (HTML too), by attachment name, by
 * the query language's filters; the index follows moves, flag changes, copies and deletions; a
 * missing or corrupt index file is rebuilt; the real SpamAssassin corpus is searchable by a word
 * of one message's body only.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { messageIdFor } from '../../electron/core/store/ids.js';
import { extractText } from '../../electron/core/search/extract.js';
import { words } from '../../electron/core/search/query.js';
import { SearchIndex } from '../../electron/core/search/search-index.js';
import { mulberry32 } from '../support/mailgen.js';
import { corpusMessage, corpusNames } from '../support/spam-corpus.js';

const CORPUS = 150;

function plain(i: number, subject: string, body: string, extra = ''): string {
  return `From: Sender ${i} <s${i}@example.org>\r\nTo: Ann Reader <ann@example.net>\r\nSubject: ${subject}\r\nDate: Mon, ${String((i % 28) + 1).padStart(2, '0')} Jun 2026 10:00:00 +0000\r\nMessage-ID: <m${i}@example.org>\r\n${extra}\r\n${body}\r\n`;
}

const HTML_ONLY =
  'From: Shop <news@shop.example>\r\nTo: ann@example.net\r\nSubject: Weekly offers\r\nDate: Tue, 02 Jun 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n' +
  'Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' +
  '<html><head><style>.x{color:red}</style></head><body><p>Our <b>zanzibarian</b> caf=C3=A9 blend is back.</p></body></html>\r\n';

const WITH_ATTACHMENT =
  'From: Bob <bob@example.com>\r\nTo: ann@example.net\r\nSubject: The scans\r\nDate: Wed, 03 Jun 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n' +
  'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nSee the file.\r\n--b1\r\n' +
  'Content-Type: application/pdf; name="tax-return-2025.pdf"\r\nContent-Disposition: attachment; filename="tax-return-2025.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n';

describe('full-text search index', () => {
  let dataDir: string;
  let service: MailService;
  let accountId: string;
  const corpusIds = new Map<string, string>();
  const uniq = (i: number) => `quokka${i}x`;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-search-'));
    const first = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    accountId = (await first.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'u', password: { source: 'command', command: 'echo pw' } })).id;
    await first.close();
    const cur = path.join(dataDir, 'accounts', accountId, 'Maildir', 'cur');
    const write = (uidl: string, bytes: string | Buffer) => fs.writeFile(path.join(cur, `${messageIdFor(accountId, uidl)}:2,`), bytes);
    for (let i = 0; i < 40; i++) await write(`g${i}`, plain(i, `Status report ${i}`, `Hello, the ${uniq(i)} numbers are in.\r\nZorblex budget review on Friday.`, i % 5 === 0 ? 'Cc: Carol Cee <carol@example.com>\r\n' : ''));
    await write('html', HTML_ONLY);
    // Ranking: the word in an old message's subject beats it once in a newer one's long body.
    await write('rank-subject', plain(100, 'Pelican migration plans', 'See you there.').replace('Jun 2026', 'Jan 2020'));
    await write('rank-body', plain(101, 'Weekend', `${'We walked along the shore and talked about many things. '.repeat(30)}A pelican flew by.`));
    await write('att', WITH_ATTACHMENT);
    // English stems (made-up words, so the corpus has none): flurbings, flurbing and flurbed share "flurb".
    await write('stem-plural', plain(200, 'Weekly Flurbings', 'The weekly flurbings moved to Tuesday.'));
    await write('stem-ing', plain(201, 'Notes', 'One flurbing about the plans.'));
    await write('stem-ed', plain(202, 'Done', 'We flurbed it yesterday.'));
    const files = (await corpusNames('easy-ham-1')).slice(0, CORPUS);
    for (const f of files) {
      await write(`sa-${f}`, await corpusMessage('easy-ham-1', f));
      corpusIds.set(messageIdFor(accountId, `sa-${f}`), f);
    }
    // No clean-close mark: the next open reconciles and journals every file.
    await fs.rm(path.join(dataDir, 'closed-cleanly'), { force: true });
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    await service.searchIndexed();
  }, 120_000);

  afterAll(async () => {
    await service?.close();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  const id = (uidl: string) => messageIdFor(accountId, uidl);
  const ids = async (query: string) => (await service.search({ query })).ids;

  it('finds a word that is only in an HTML body, with a snippet around it and the word to highlight', async () => {
    const r = await service.search({ query: 'zanzibarian' });
    expect(r.ids).toEqual([id('html')]);
    expect(r.total).toBe(1);
    expect(r.terms).toEqual([{ text: 'zanzibarian', prefix: true }]);
    expect(r.snippets).toEqual([{ id: id('html'), text: expect.stringContaining('zanzibarian café blend') }]);
    expect(r.snippets[0]!.text).not.toContain('color');
    // Diacritics folded, as people type them.
    expect(await ids('cafe blend ')).toEqual([id('html')]);
  });

  it('finds a body-only word of one real SpamAssassin message', async () => {
    // A word in exactly one corpus message's text and in no header field of it.
    const df = new Map<string, string[]>();
    for (const [mid] of corpusIds) {
      const file = service.storedMessage(mid)!.path;
      for (const w of new Set(words((await extractText(file)).body))) df.set(w, [...(df.get(w) ?? []), mid]);
    }
    const candidates = [...df].filter(([w, where]) => where.length === 1 && w.length >= 8 && /^[a-z]+$/.test(w));
    expect(candidates.length).toBeGreaterThan(10);
    for (const [w, [mid]] of candidates.slice(0, 5)) {
      const m = service.storedMessage(mid!)!;
      const header = `${m.summary.subject} ${m.summary.from.map((a) => `${a.name} ${a.address}`).join(' ')}`.toLowerCase();
      if (header.includes(w)) continue;
      expect(await ids(`${w} `), w).toEqual([mid]);
    }
  });

  it('matches plain words by their English stem as notmuch does; phrases, capitals, typed prefixes and from:/subject: stay exact', async () => {
    const all = new Set([id('stem-plural'), id('stem-ing'), id('stem-ed')]);
    expect(new Set(await ids('flurbing '))).toEqual(all);
    expect(new Set(await ids('flurbings '))).toEqual(all);
    const r = await service.search({ query: 'flurbing ' });
    // The forms that matched are highlighted, the word typed first.
    expect(r.terms[0]).toEqual({ text: 'flurbing', prefix: false });
    expect(new Set(r.terms.map((t) => t.text))).toEqual(new Set(['flurbing', 'flurbings', 'flurbed']));
    // Leaving a word out leaves out its forms too.
    for (const n of [200, 201, 202]) expect(await ids(`from:"sender ${n}" -flurbing `)).toEqual([]);
    expect(await ids('from:"sender 201" -flurbings ')).toEqual([]);
    expect(await ids('from:"sender 201" -Flurbings ')).toEqual([id('stem-ing')]);
    // As in notmuch 0.37: capitalised, quoted, phrase and subject: words are exact.
    expect(await ids('Flurbing ')).toEqual([id('stem-ing')]);
    expect(await ids('"flurbing" ')).toEqual([id('stem-ing')]);
    expect(await ids('"weekly flurbing" ')).toEqual([]);
    expect(await ids('"weekly flurbings" ')).toEqual([id('stem-plural')]);
    expect(await ids('subject:flurbing ')).toEqual([]);
    expect(await ids('subject:flurbings ')).toEqual([id('stem-plural')]);
    // The word being typed is a prefix of the words as written.
    expect(new Set(await ids('flurbin'))).toEqual(new Set([id('stem-plural'), id('stem-ing')]));
  });

  it('ranks by relevance, then newest first', async () => {
    expect(await ids('pelican ')).toEqual([id('rank-subject'), id('rank-body')]);
    // Without words, newest first.
    const dated = await ids('from:sender subject:status before:2026-06-04 ');
    const days = dated.map((x) => service.storedMessage(x)!.summary.date!);
    expect(days).toEqual([...days].sort().reverse());
    expect(days.length).toBeGreaterThan(3);
  });

  it('understands the query language, and answers a malformed query with what it understood', async () => {
    expect(await ids('from:"sender 7" ')).toEqual([id('g7')]);
    expect(await ids('to:carol')).toHaveLength(8);
    expect(await ids('subject:report quokka3x')).toEqual([id('g3')]);
    expect(await ids('filename:tax-return')).toEqual([id('att')]);
    expect(await ids('has:attachment subject:scans')).toEqual([id('att')]);
    expect(new Set(await ids('"zorblex budget" after:2026/06/27'))).toEqual(new Set([id('g26'), id('g27')]));
    expect(new Set(await ids('zorblex after:2026-06-27'))).toEqual(new Set([id('g26'), id('g27')]));
    expect(await ids('"budget zorblex"')).toEqual([]);
    expect(await ids('quokka1x OR quokka2x')).toHaveLength(2);
    expect(await ids('quokka ')).toEqual([]); // no such whole word; still typing, it is a prefix:
    expect(await ids('quokka1')).toHaveLength(11); // quokka1x, quokka10x … quokka19x
    expect(await ids('quokka1 ')).toEqual([]);
    expect(new Set(await ids('zorblex -quokka1x -quokka2x'))).toHaveLength(38);
    expect(new Set(await ids('subject:status -subject:"report 0" before:2026-06-02'))).toEqual(new Set([id('g28')]));
    expect(await ids('larger:100K subject:status')).toEqual([]);
    const r = await service.search({ query: 'zorblex is:sleepy before:yesterday larger:lots (' });
    expect(r.understood).toBe('zorblex');
    expect(r.ignored).toEqual(['brackets', 'is:sleepy (is: knows unread, read, flagged, unflagged)', 'before:yesterday (a date is written YYYY-MM-DD or YYYY/MM/DD)', 'larger:lots (a size is a number with K or M, like 10K or 2M)']);
    expect(r.total).toBe(40);
  });

  it('follows flags, moves, copies and deletions at once, and leaves Trash out unless asked', async () => {
    await service.setFlags([id('g1')], { seen: true });
    expect(await ids('quokka1x is:unread')).toEqual([]);
    expect(await ids('quokka1x is:read')).toEqual([id('g1')]);
    const work = (await service.createFolder(accountId, ['Work', 'Projects'])).key;
    await service.moveMessages([id('g2')], work);
    expect(await ids('quokka2x in:"work/projects"')).toEqual([id('g2')]);
    expect(await ids('quokka2x in:inbox')).toEqual([]);
    const [copy] = await service.copyMessages([id('g3')], work);
    await service.searchIndexed();
    expect(new Set(await ids('quokka3x'))).toEqual(new Set([id('g3'), copy]));
    await service.moveToTrash([id('g4')]);
    expect(await ids('quokka4x')).toEqual([]);
    expect(await ids('quokka4x in:trash')).toEqual([id('g4')]);
    await service.deleteForGood([id('g4'), copy!]);
    await service.searchIndexed();
    expect(await ids('quokka4x in:anywhere')).toEqual([]);
    expect(await ids('quokka3x')).toEqual([id('g3')]);
    const r = await service.search({ query: 'in:nowhere quokka5x' });
    expect(r.ids).toEqual([id('g5')]);
    expect(r.ignored).toEqual(['in:nowhere (no folder by that name)']);
  });

  it('random adds, moves and deletes leave every live message found exactly once', async () => {
    const rng = mulberry32(17);
    const live = new Set([...Array(40).keys()].filter((i) => service.storedMessage(id(`g${i}`))));
    const keys = ['INBOX', 'Archive'];
    for (let step = 0; step < 30; step++) {
      const i = [...live][Math.floor(rng() * live.size)]!;
      const r = rng();
      if (r < 0.4) await service.moveMessages([id(`g${i}`)], keys[Math.floor(rng() * keys.length)]!);
      else if (r < 0.6) await service.setFlags([id(`g${i}`)], { flagged: rng() < 0.5 });
      else if (r < 0.8) {
        await service.deleteForGood([id(`g${i}`)]);
        live.delete(i);
      }
    }
    await service.searchIndexed();
    for (let i = 0; i < 40; i++) expect(await ids(`${uniq(i)} in:anywhere`), `g${i}`).toEqual(live.has(i) ? [id(`g${i}`)] : []);
    const all = await service.search({ query: 'zorblex in:anywhere', limit: 10_000 });
    expect(all.ids).toHaveLength(new Set(all.ids).size);
    expect(new Set(all.ids)).toEqual(new Set([...live].map((i) => id(`g${i}`))));
  });

  it('a corrupt index file is rebuilt at the next start', async () => {
    await service.close();
    const file = SearchIndex.file(dataDir);
    await fs.writeFile(file, 'this is not a database at all'.repeat(100));
    await fs.rm(`${file}-wal`, { force: true });
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    await service.searchIndexed();
    expect(await ids('zanzibarian')).toEqual([id('html')]);
  });
});
