/**
 * Account changes come down to the renderer (issue 14 §1): an account added, renamed, reordered
 * or removed through the service (as the CLI or another window does) shows in the read model
 * without anyone calling refreshAccounts, and no event carries a password.
 */
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inAccountOrder, PopboxDb } from '../../renderer/src/db/database.js';
import { ReadModel } from '../../renderer/src/db/read-model.js';
import { serviceApi, type ServiceApi } from './service-api.js';

let dbn = 0;

describe('account and preference events', () => {
  let s: ServiceApi;
  let db: PopboxDb;
  let stop: () => void;
  beforeEach(async () => {
    s = await serviceApi();
    db = new PopboxDb(`account-events-${process.pid}-${++dbn}`, { indexedDB, IDBKeyRange });
    stop = new ReadModel(db, s.api).start();
  });
  afterEach(async () => {
    stop();
    db.close();
    await s.close();
  });

  const names = async () => inAccountOrder(await db.accounts.toArray()).map((a) => a.name);

  it('an account added, renamed, reordered and removed through the service shows in the read model by itself', async () => {
    const seen: unknown[] = [];
    const off = s.api.on('accountsChanged', (p) => seen.push(p));
    const home = await s.service.addAccount({ name: 'Home', host: 'pop.example.org', port: 995, security: 'tls', user: 'me', password: { source: 'keychain' } }, 'secret-pw');
    await expect.poll(names).toEqual(['Home']);
    const work = await s.service.addAccount({ name: 'Work', host: 'pop.example.org', port: 995, security: 'tls', user: 'w', password: { source: 'command', command: 'pass show work' } });
    await expect.poll(names).toEqual(['Home', 'Work']);
    await s.service.updateAccount(home.id, { name: 'Family' });
    await s.service.reorderAccounts([work.id, home.id]);
    await expect.poll(names).toEqual(['Work', 'Family']);
    await s.service.removeAccount(work.id);
    await expect.poll(names).toEqual(['Family']);
    off();
    expect(seen).toHaveLength(5);
    // Neither the events nor the mirrored accounts hold a password or a password command.
    expect(JSON.stringify([seen, await db.accounts.toArray()])).not.toMatch(/secret-pw|pass show/);
  });

  it('says when the preferences change', async () => {
    const seen: boolean[] = [];
    const off = s.api.on('preferencesChanged', (p) => seen.push(p.notifyNewMail));
    await s.service.updatePreferences({ notifyNewMail: false });
    await s.service.updatePreferences({ notifyNewMail: true });
    off();
    expect(seen).toEqual([false, true]);
  });
});
