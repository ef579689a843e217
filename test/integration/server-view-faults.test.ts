/**
 * The other side of a cut delete (issue 16 §3): the server did carry out the deletion (it got
 * QUIT and committed), but its +OK never arrived. No real server does that on purpose, so a
 * scripted one does: it commits the DELEs at QUIT and drops the connection without answering.
 * Popbox records nothing (it cannot know), keeps the choice, and the next sync and listing see the
 * messages gone: never downloaded, the choice forgotten, the downloaded copy still here.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailService } from '../../electron/core/mail-service.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import type { FaultServer } from '../support/fault-server.js';
import { startScriptedBox, type ScriptedBox } from '../support/scripted-box.js';

describe('a delete whose QUIT +OK was lost', () => {
  let loseQuitAnswer = false;
  let scripted: ScriptedBox;
  let server: FaultServer;
  let dataDir: string;
  let service: MailService;
  let accountId: string;
  const box = () => scripted.uids();
  const ledger = () => fs.readFile(path.join(AccountMailbox.dirFor(dataDir, accountId), 'ledger.jsonl'), 'utf8').catch(() => '');

  beforeAll(async () => {
    // The server commits (RFC 1939 UPDATE state)… and, when told to, its answer is lost.
    scripted = await startScriptedBox(
      ['a', 'b', 'c'],
      {
        onQuit: async (c) => {
          if (loseQuitAnswer) c.socket.destroy();
          return loseQuitAnswer;
        },
      },
      'popbox-server-lost-quit-',
    );
    ({ server, dataDir, service, accountId } = scripted);
  });

  afterAll(async () => {
    await scripted?.close();
  });

  it('records nothing, keeps the choice; the next sync downloads the rest only and the listing forgets them', async () => {
    expect(await service.downloadFromServer(accountId, ['a'])).toEqual({ downloaded: 1, alreadyHere: 0, gone: 0 });
    expect((await service.serverListing(accountId, { refresh: true })).messages.map((m) => m.uidl)).toEqual(['c', 'b', 'a']);
    const before = await ledger();

    loseQuitAnswer = true;
    await expect(service.deleteOnServer(accountId, ['a', 'b'])).rejects.toMatchObject({ code: 'network' });
    loseQuitAnswer = false;
    expect(box()).toEqual(['c']); // the server did delete them
    expect(await ledger()).toBe(before); // Popbox could not know: nothing recorded
    const shown = await service.serverListing(accountId);
    expect(shown.messages.filter((m) => m.pendingDeletion === 'chosen').map((m) => m.uidl).sort()).toEqual(['a', 'b']);

    const [outcome] = await service.sync([accountId]);
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: 1, deletedOnServer: 0 } });
    expect(service.messages({ accountId }).map((m) => m.uidl).sort()).toEqual(['a', 'c']); // b never came; a's copy stays
    const after = await service.serverListing(accountId, { refresh: true });
    expect(after.messages.map((m) => m.uidl)).toEqual(['c']);
    expect(after.messages[0]).toMatchObject({ local: 'downloaded', pendingDeletion: null });
    await expect(fs.access(path.join(AccountMailbox.dirFor(dataDir, accountId), 'server-chosen.json'))).rejects.toThrow();
    expect(server.errors).toEqual([]);
  });
});
