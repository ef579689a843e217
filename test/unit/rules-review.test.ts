/** Review findings on the rules engine (issue 16): cost bounds, partial messages, moves, copies, Outbox. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageFlags, MessageRecord } from '../../shared/changes.js';
import type { Rule } from '../../shared/rules.js';
import { RuleSubject, ruleMatches } from '../../electron/core/rules/evaluate.js';
import { compileGlob, globMatches, TooCostly, type MatchCounter } from '../../electron/core/rules/glob.js';
import { parseAction, parseCondition } from '../../electron/core/rules/rule-text.js';
import { previewRule, runRules, type RuleRunDeps } from '../../electron/core/rules/run-rules.js';
import type { FolderService } from '../../electron/core/folders/folder-service.js';

const NOW = Date.parse('2026-12-06T00:00:00Z');
let dir: string;
let file: string;

const body = `${'x'.repeat(900_000)}b\r\n`;
const raw = ['From: a@b.example', 'Subject: big', 'Message-ID: <1@b>', 'Content-Type: text/plain', '', body].join('\r\n');

const base: MessageRecord = {
  id: 'm1',
  accountId: 'acc1',
  uidl: 'u1',
  receivedAt: NOW,
  partial: false,
  flags: { seen: false, flagged: false },
  folder: 'INBOX',
  summary: { subject: 'big', from: [{ name: '', address: 'a@b.example' }], to: [], cc: [], date: null, messageId: '<1@b>', inReplyTo: null, references: [], size: 900_100, hasAttachments: false, snippet: '' },
};

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rules-review-'));
  file = path.join(dir, 'msg');
  await fs.writeFile(file, raw);
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const rule = (conditions: string[], actions: string[] = ['flag'], match: 'all' | 'any' = 'all'): Rule => ({ name: 'r', enabled: true, match, conditions: conditions.map(parseCondition), actions: actions.map(parseAction) });

/** An in-memory store behind RuleRunDeps: what each call did, visibly. */
function store(records: MessageRecord[], opts: { reads?: { n: number } } = {}) {
  const byId = new Map(records.map((m) => [m.id, { ...m, flags: { ...m.flags } }]));
  const folders = new Set(['INBOX', 'Trash', 'Junk', 'Outbox', 'Drafts', 'Receipts']);
  let next = 0;
  const server: string[] = [];
  const fake = {
    counts: () => [...folders].map((k) => ({ folder: { key: k, path: [k] } })),
    create: async (_a: string, p: string[]) => {
      folders.add(p.join('.'));
      return { key: p.join('.') };
    },
    move: async (ids: readonly string[], key: string, o: { onlyFrom?: ReadonlyMap<string, string> } = {}) => {
      for (const id of ids) {
        const m = byId.get(id)!;
        if (o.onlyFrom && o.onlyFrom.get(id) !== m.folder) continue;
        m.folder = key;
      }
    },
    copy: async (ids: readonly string[], key: string) => {
      for (const id of ids) {
        const c = { ...byId.get(id)!, id: `copy${++next}`, uidl: '', folder: key };
        byId.set(c.id, c);
      }
      return [];
    },
  };
  const deps: RuleRunDeps = {
    get: (id) => byId.get(id),
    folders: fake as unknown as FolderService,
    setFlags: async (ids: readonly string[], flags: Partial<MessageFlags>) => {
      for (const id of ids) Object.assign(byId.get(id)!.flags, flags);
    },
    deleteOnServer: async (ids) => void server.push(...ids),
    locate: async () => {
      if (opts.reads) opts.reads.n++;
      return file;
    },
    inFolder: (a, f) => [...byId.values()].filter((m) => m.accountId === a && m.folder === f),
    accountName: () => 'Acc',
    now: () => NOW,
  };
  return { deps, byId, server, inFolder: (f: string) => [...byId.values()].filter((m) => m.folder === f) };
}

describe('the cost of "matches" and "contains" is bounded', () => {
  it('a work budget stops a glob, however long the text', () => {
    const counter: MatchCounter = { steps: 0, limit: 1_000_000 };
    const glob = compileGlob(`*${'?'.repeat(253)}b*`);
    expect(() => globMatches(glob, 'x'.repeat(1_000_000), counter)).toThrow(TooCostly);
    expect(counter.steps).toBe(1_000_001);
  });

  it('body "matches" looks at the first 64 KB only; "contains" sees the whole 1 MB', async () => {
    const s = new RuleSubject(base, 'Acc', async () => file);
    expect(await ruleMatches(rule(['body matches *b*']), s, NOW)).toBe(false); // the b is at 900 KB
    expect(await ruleMatches(rule(['body contains XB']), s, NOW)).toBe(true);
  });

  it('a preview of a costly pattern over many messages stops and says so in plain words', async () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ ...base, id: `m${i}` }));
    const { deps } = store(many);
    const costly = rule(Array.from({ length: 20 }, () => `body matches *${'?'.repeat(250)}q*`), ['flag'], 'any');
    const t0 = Date.now();
    await expect(previewRule(deps, costly, many.map((m) => m.id), { steps: 20_000_000 })).rejects.toThrow(/too costly/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('summary conditions are checked first: a rule that fails on the subject never reads the file', async () => {
    const reads = { n: 0 };
    const s = new RuleSubject(base, 'Acc', async () => {
      reads.n++;
      return file;
    });
    expect(await ruleMatches(rule(['body contains xb', 'subject contains nothing-like-it']), s, NOW)).toBe(false);
    expect(reads.n).toBe(0);
  });
});

describe('running rules', () => {
  it('a headers-only message: no body or header condition holds, and never a server deletion', async () => {
    const partial = { ...base, partial: true };
    const s = new RuleSubject(partial, 'Acc', async () => file);
    expect(await ruleMatches(rule(['body not-contains zzz']), s, NOW)).toBe(false);
    const { deps, server } = store([partial]);
    const { outcomes: out } = await runRules(deps, [rule(['size > 0'], ['delete-on-server'])], ['m1']);
    expect(server).toEqual([]);
    expect(out[0]?.deleteOnServer).toBeUndefined();
  });

  it('a move happens only from the folder the message was in when the rules decided', async () => {
    const { deps, byId } = store([base]);
    const orig = deps.setFlags;
    // The user trashes the message while the rules run (between planning and moving).
    deps.setFlags = async (ids, flags) => {
      await orig(ids, flags);
      byId.get('m1')!.folder = 'Trash';
    };
    await runRules(deps, [rule(['subject contains big'], ['mark-read', 'move Receipts'])], ['m1']);
    expect(byId.get('m1')!.folder).toBe('Trash');
  });

  it('copies: once per folder, not into the move target, and not again on a second run', async () => {
    const { deps, inFolder } = store([base]);
    const rules = [
      { ...rule(['subject contains big'], ['copy Receipts', 'copy Receipts', 'copy Junk2']), name: 'a' },
      { ...rule(['subject contains big'], ['copy Junk2', 'copy Archive2', 'move Archive2']), name: 'b' },
    ];
    await runRules(deps, rules, ['m1']);
    expect(inFolder('Receipts').length).toBe(1);
    expect(inFolder('Junk2').length).toBe(1);
    expect(inFolder('Archive2').length).toBe(1); // the message itself, no copy beside it
    await runRules(deps, rules, inFolder('INBOX').map((m) => m.id));
    expect(inFolder('Receipts').length).toBe(1);
  });

  it('never touches the Outbox or Drafts, and refuses an unbounded selection', async () => {
    const { deps, byId } = store([{ ...base, folder: 'Outbox' }, { ...base, id: 'm2', folder: 'Drafts' }]);
    await runRules(deps, [rule(['subject contains big'], ['move Receipts'])], ['m1', 'm2']);
    expect(byId.get('m1')!.folder).toBe('Outbox');
    expect(byId.get('m2')!.folder).toBe('Drafts');
    await expect(runRules(deps, [rule(['subject contains big'])], Array.from({ length: 10_001 }, (_, i) => `x${i}`))).rejects.toThrow(/at most 10,000/);
  });

  it('a destination that fails is reported; the others still happen', async () => {
    const { deps, byId, inFolder } = store([base]);
    const failures: string[] = [];
    deps.onFailure = (m) => failures.push(m);
    const realCopy = deps.folders.copy.bind(deps.folders);
    (deps.folders as unknown as { copy: typeof realCopy }).copy = async (ids, key) => {
      if (key === 'Receipts') throw new Error('disk full');
      return realCopy(ids, key);
    };
    await runRules(deps, [rule(['subject contains big'], ['copy Receipts', 'copy Other', 'move Archive2'])], ['m1']);
    expect(inFolder('Other').length).toBe(1);
    expect(byId.get('m1')!.folder).toBe('Archive2');
    expect(failures.join()).toMatch(/disk full/);
  });

  it('asks before recording server deletions, and Cancel changes nothing', async () => {
    const { deps, byId, server } = store([base]);
    const asked: number[] = [];
    await expect(
      runRules(deps, [rule(['size > 0'], ['mark-read', 'delete-on-server'])], ['m1'], {
        confirmServerDeletion: async (n) => {
          asked.push(n);
          return false;
        },
      }),
    ).rejects.toThrow(/not run/);
    expect(asked).toEqual([1]);
    expect(server).toEqual([]);
    expect(byId.get('m1')!.flags.seen).toBe(false);
  });
});

describe('a rule’s folder is checked when saved', () => {
  it('refuses the Outbox and a path no folder can have; the inbox and a nested folder are fine', async () => {
    const { RuleList } = await import('../../shared/rules.js');
    const withMove = (folder: string[]) => [{ name: 'r', match: 'all', conditions: [{ field: 'subject', op: 'contains', value: 'x' }], actions: [{ t: 'move', folder }] }];
    expect(RuleList.safeParse(withMove(['Outbox'])).success).toBe(false);
    expect(RuleList.safeParse(withMove([' Work'])).success).toBe(false);
    expect(RuleList.safeParse(withMove(['Inbox'])).success).toBe(true);
    expect(RuleList.safeParse(withMove(['Work', 'Projects'])).success).toBe(true);
  });
});

describe('a run again on arrival (ingest/arrival-filter.ts)', () => {
  it('does not set again the flags or server deletion its first run set: the person may have changed them since', async () => {
    const { deps, byId, server } = store([base]);
    const rules = [rule(['subject contains big'], ['mark-read', 'flag', 'delete-on-server', 'move Receipts'])];
    const { notDone } = await runRules(deps, rules, ['m1'], { again: new Set(['m1']) });
    expect(notDone.size).toBe(0);
    expect(byId.get('m1')!.flags).toEqual({ seen: false, flagged: false });
    expect(server).toEqual([]);
    expect(byId.get('m1')!.folder).toBe('Receipts');
  });

  it('a refusal that would come again (a folder name refused) is done, said once; a storage failure is not done and says what happens next', async () => {
    const { AppFailure } = await import('../../electron/core/errors.js');
    const { deps } = store([base, { ...base, id: 'm2' }]);
    const said: string[] = [];
    deps.onFailure = (m) => void said.push(m);
    const folders = deps.folders as unknown as { create: (a: string, p: string[]) => Promise<{ key: string }> };
    folders.create = async (_a, p) => {
      throw p[0] === 'Bad' ? new AppFailure('invalid', 'that name is refused') : new AppFailure('storage', 'the disk is full');
    };
    const refused = await runRules(deps, [rule(['subject contains big'], ['move Bad'])], ['m1'], { afterFailure: 'Tried again later.' });
    expect(refused.notDone.size).toBe(0);
    expect(said).toEqual(['Some filter actions failed: Bad: that name is refused.']);
    const full = await runRules(deps, [rule(['subject contains big'], ['copy Bad', 'move Full'])], ['m2'], { afterFailure: 'Tried again later.' });
    expect([...full.notDone]).toEqual(['m2']);
    expect(said[1]).toBe('Some filter actions failed: Bad: that name is refused. Others, which may pass later, failed: Full: the disk is full. Tried again later.');
  });
});
