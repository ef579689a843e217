/**
 * A chosen deletion the server refuses at a check (review F8): the person chose two messages in
 * On the server, the connection that was to delete them was cut, so the next check carries them
 * out; the server deletes one and answers -ERR to the other's DELE. The refused one is still on
 * the server and still chosen (retried at the next check): the view must keep showing it as
 * "Will be deleted at next check" at once, not hide it until the next Refresh; the one deleted
 * leaves the view. No real server refuses a DELE on purpose, so a scripted one does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../electron/cli/run.js';
import type { MailService } from '../../electron/core/mail-service.js';
import type { FaultServer } from '../support/fault-server.js';
import { startScriptedBox, type ScriptedBox } from '../support/scripted-box.js';

describe('a chosen deletion the server refuses at a check', () => {
  let cutAtDele = false;
  const refused = new Set<string>();
  let scripted: ScriptedBox;
  let server: FaultServer;
  let dataDir: string;
  let service: MailService;
  let accountId: string;
  const box = () => scripted.uids();

  beforeAll(async () => {
    scripted = await startScriptedBox(
      ['a', 'b', 'c'],
      {
        onDele: async (c, _n, uid) => {
          if (cutAtDele) c.socket.destroy();
          else if (refused.has(uid)) await c.send('-ERR cannot delete that one now');
          else return 'mark';
          return 'handled';
        },
      },
      'popbox-server-dele-refused-',
    );
    ({ server, dataDir, service, accountId } = scripted);
  });

  afterAll(async () => {
    await scripted?.close();
  });

  it('keeps showing the refused one as to be deleted at the next check; the deleted one leaves the view', async () => {
    expect((await service.serverListing(accountId, { refresh: true })).messages.map((m) => m.uidl)).toEqual(['c', 'b', 'a']);
    cutAtDele = true;
    await expect(service.deleteOnServer(accountId, ['b', 'c'])).rejects.toMatchObject({ code: 'network' });
    cutAtDele = false;
    const chosen = async () => (await service.serverListing(accountId)).messages.filter((m) => m.pendingDeletion === 'chosen').map((m) => m.uidl).sort();
    expect(await chosen()).toEqual(['b', 'c']);
    // `pendingDeletions` / `popbox pending` list them too, with why (they were missing).
    expect((await service.pending({ accountId })).map((p) => [p.uidl, p.reason, p.subject, p.from, p.id])).toEqual([
      ['b', 'chosen', 'message b', 'w@example.org', ''],
      ['c', 'chosen', 'message c', 'w@example.org', ''],
    ]);
    const printed: string[] = [];
    const io = { out: (t: string) => void printed.push(t), err: (t: string) => void printed.push(t), columns: 100, stdin: () => undefined, service };
    expect(await runCli(['--data-dir', dataDir, 'pending'], io)).toBe(0);
    expect(printed.join('')).toBe('(only on server)  F  chosen  message b\n(only on server)  F  chosen  message c\n');

    refused.add('b');
    const [outcome] = await service.sync([accountId]);
    expect(outcome).toMatchObject({ ok: true, result: { downloaded: 1, deletedOnServer: 1 } });
    expect(box()).toEqual(['a', 'b']);
    expect((await service.pending({ accountId })).map((p) => [p.uidl, p.reason])).toEqual([['b', 'chosen']]);
    // Without a Refresh: b is still there and still chosen; c is gone.
    const shown = await service.serverListing(accountId);
    expect(shown.messages.map((m) => [m.uidl, m.pendingDeletion])).toEqual([
      ['b', 'chosen'],
      ['a', null],
    ]);

    // The next check deletes it.
    refused.clear();
    expect((await service.sync([accountId]))[0]).toMatchObject({ ok: true, result: { downloaded: 0, deletedOnServer: 1 } });
    expect(box()).toEqual(['a']);
    expect((await service.serverListing(accountId)).messages.map((m) => m.uidl)).toEqual(['a']);
    expect(await service.pending({ accountId })).toEqual([]);
    expect(server.errors).toEqual([]);
  });
});
