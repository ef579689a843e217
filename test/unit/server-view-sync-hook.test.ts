/**
 * What the On the server view changes in an ordinary sync (core/server-view/sync-hook.ts): chosen
 * deletions are never downloaded and are deleted at the check; with junkOnServer, new messages are
 * judged by their headers (TOP) and junk is held on the server, cached as held; a held message the
 * person downloaded is never held again; nothing at all happens (not even TOP) when off. And the
 * junk filter's verdict on headers never calls a correspondent's mail junk (JunkService.classifyRaw).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountSettings } from '../../shared/accounts.js';
import { learn, saveWordList, WordList } from '../../electron/core/junk/index.js';
import { JunkService } from '../../electron/core/junk/junk-service.js';
import type { Pop3Client } from '../../electron/core/pop3/client.js';
import { loadCache, saveCache, emptyCache } from '../../electron/core/server-view/cache.js';
import { saveChosen } from '../../electron/core/server-view/chosen.js';
import { syncHook, type SyncHookDeps } from '../../electron/core/server-view/sync-hook.js';
import type { ServerMessage, SyncPlan } from '../../electron/core/sync/plan.js';

const header = (n: number, junk: boolean) => `From: ${junk ? 'Deals <offers@bulk.example.biz>' : 'Colleague <c@work.example.org>'}\r\nSubject: ${junk ? 'Cheap pills' : 'Meeting notes'} ${n}\r\n\r\n`;

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-sv-hook-'));
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

/** A POP3 client that answers TOP from these header blocks and counts the TOPs asked. */
function fakePop(headers: Map<number, string>) {
  const asked: number[] = [];
  const pop = {
    async *retrieveMany(ids: readonly number[], opts: { top?: number }) {
      expect(opts.top).toBe(0);
      for (const id of ids) {
        asked.push(id);
        yield { id, body: Readable.from([Buffer.from(headers.get(id)!)]) };
      }
    },
  } as unknown as Pop3Client;
  return { pop, asked };
}

const server: ServerMessage[] = [1, 2, 3, 4].map((n) => ({ num: n, uidl: `u${n}`, size: 100 }));
const plan = (): SyncPlan => ({ download: server.slice(), headersOnly: [], delete: [], gone: [], deleteNewDownloads: false });

function deps(over: Partial<SyncHookDeps> & { junkOnServer?: boolean } = {}): SyncHookDeps & { changes: number; deleted: string[][] } {
  const d = {
    accountDir: dir,
    account: { junkOnServer: over.junkOnServer ?? false } as AccountSettings,
    now: () => 1000,
    // Judged by the subject alone: "Cheap pills" is junk.
    classify: async (raw: Buffer) => (/Cheap pills/.test(raw.toString()) ? { verdict: 'junk' as const, score: 0.9999 } : { verdict: 'ham' as const, score: 0.01 }),
    junkReady: async () => true,
    changes: 0,
    deleted: [] as string[][],
    changed: () => void d.changes++,
    deleting: (u: string[]) => void d.deleted.push(u),
    ...over,
  };
  return d;
}

describe('the sync hook', () => {
  it('off and nothing chosen: the plan as it was, no TOP, no file written', async () => {
    const { pop, asked } = fakePop(new Map());
    const p = plan();
    expect(await syncHook(deps())(p, { pop, server })).toBe(p);
    expect(asked).toEqual([]);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('chosen deletions are not downloaded and are deleted at this check', async () => {
    await saveChosen(dir, new Map([['u2', 1], ['gone-already', 1]]));
    const d = deps();
    const quit: ((deleted: readonly string[]) => void)[] = [];
    const out = await syncHook(d)(plan(), { pop: fakePop(new Map()).pop, server, afterQuit: (fn) => quit.push(fn) });
    expect(out.download.map((m) => m.uidl)).toEqual(['u1', 'u3', 'u4']);
    expect(out.delete.map((m) => m.uidl)).toEqual(['u2']);
    // Only once the server confirmed (QUIT +OK), and only what it deleted of the chosen ones.
    expect(d.deleted).toEqual([]);
    for (const fn of quit) fn(['u2', 'u9']);
    expect(d.deleted).toEqual([['u2']]);
    // A chosen UIDL the server no longer holds is forgotten.
    expect(JSON.parse(await fs.readFile(path.join(dir, 'server-chosen.json'), 'utf8'))).toEqual({ uidls: [['u2', 1]] });
  });

  it('junkOnServer: junk judged by its headers stays on the server, cached as held; a wanted one downloads', async () => {
    const cache = emptyCache();
    cache.headers.set('u4', { from: 'Deals', subject: 'Cheap pills 4', date: null, junk: { verdict: 'junk', score: 0.9999 }, held: true, wanted: true });
    await saveCache(dir, cache);
    const { pop, asked } = fakePop(new Map([1, 2, 3, 4].map((n) => [n, header(n, n % 2 === 1)])));
    const d = deps({ junkOnServer: true });
    const out = await syncHook(d)(plan(), { pop, server });
    expect(out.download.map((m) => m.uidl)).toEqual(['u2', 'u4']);
    expect(asked).toEqual([1, 2, 3]); // the wanted one is not judged again
    const after = await loadCache(dir);
    expect(after.headers.get('u1')).toMatchObject({ subject: 'Cheap pills 1', held: true, junk: { verdict: 'junk' } });
    expect(after.headers.get('u2')).toMatchObject({ subject: 'Meeting notes 2', junk: { verdict: 'ham' } });
    expect(after.headers.get('u2')!.held).toBeUndefined();
    expect(after.messages.map((m) => m.uidl)).toEqual(['u1', 'u2', 'u3', 'u4']); // the view shows them without a refresh
    expect(d.changes).toBe(1);

    // The next sync: held ones stay without another TOP.
    const again = fakePop(new Map());
    const next = await syncHook(deps({ junkOnServer: true }))({ ...plan(), download: server.filter((m) => m.uidl !== 'u2') }, { pop: again.pop, server });
    expect(next.download.map((m) => m.uidl)).toEqual(['u4']);
    expect(again.asked).toEqual([]);
  });

  it('changesNothing: true only with nothing chosen and no junk held on the server (the quick check then skips LIST and the hook)', async () => {
    expect(await syncHook(deps()).changesNothing?.()).toBe(true);
    expect(await syncHook(deps({ junkOnServer: true, junkReady: async () => false })).changesNothing?.()).toBe(true);
    expect(await syncHook(deps({ junkOnServer: true })).changesNothing?.()).toBe(false);
    await saveChosen(dir, new Map([['u2', 1]]));
    expect(await syncHook(deps()).changesNothing?.()).toBe(false);
  });

  it('junkOnServer but the filter not ready (off or untrained): nothing held, no TOP', async () => {
    const { pop, asked } = fakePop(new Map());
    const out = await syncHook(deps({ junkOnServer: true, junkReady: async () => false }))(plan(), { pop, server });
    expect(out.download).toHaveLength(4);
    expect(asked).toEqual([]);
  });
});

describe('JunkService.classifyRaw (headers before download)', () => {
  it('says nothing until trained, calls junk headers junk, and never a correspondent', async () => {
    const wroteTo = new Set<string>();
    const junk = new JunkService({
      dataDir: dir,
      get: () => undefined,
      locate: async () => '',
      move: async () => {},
      folderKeys: () => new Set(),
      hasWrittenTo: (a) => wroteTo.has(a),
      trustServerVerdict: () => false,
    });
    expect(await junk.classifyRaw(Buffer.from(header(1, true)), 'a1')).toBeNull();
    const list = new WordList();
    for (let i = 0; i < 8; i++) {
      learn(Buffer.from(`${header(i, true)}Buy cheap pills now\r\n`), list, 'junk');
      learn(Buffer.from(`${header(i, false)}The meeting notes\r\n`), list, 'ham');
    }
    await saveWordList(dir, list);
    expect((await junk.classifyRaw(Buffer.from(header(99, true)), 'a1'))!.verdict).toBe('junk');
    wroteTo.add('offers@bulk.example.biz');
    expect((await junk.classifyRaw(Buffer.from(header(99, true)), 'a1'))!.verdict).toBe('ham');
  });
});
