/**
 * An account's session (issue 14 §1): one open mailbox per account, jobs one after another, quick
 * work beside a job that lets it in (a sync), the mailbox closed when idle so another process
 * can take the account, and a failing job that does not stop the next.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AccountSession } from '../../electron/core/session/account-session.js';
import { SessionManager } from '../../electron/core/session/session-manager.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';

/** A mailbox that counts how many are open at once, like the account lock would refuse a second. */
function fakeOpener() {
  const log: string[] = [];
  let open = 0;
  let opened = 0;
  const opener = async () => {
    if (open > 0) throw new Error('in-use: a second open of the same account');
    open++;
    const n = ++opened;
    log.push(`open ${n}`);
    return {
      n,
      close: async () => {
        await new Promise((r) => setTimeout(r, 1));
        open--;
        log.push(`close ${n}`);
      },
    };
  };
  return { opener, log, openNow: () => open, openedTimes: () => opened };
}

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A promise and its resolve, to hold a job at a known point. */
function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

describe('account session', () => {
  it('runs jobs one after another on one open mailbox, and closes it when none is left', async () => {
    const f = fakeOpener();
    const s = new AccountSession('a', f.opener);
    const order: string[] = [];
    const job = (name: string, ms: number) =>
      s.run(async (box) => {
        order.push(`${name} start on ${box.n}`);
        await later(ms);
        order.push(`${name} end`);
        return name;
      });
    const results = await Promise.all([job('sync', 20), job('fetch', 5), job('delete', 1)]);
    expect(results).toEqual(['sync', 'fetch', 'delete']);
    expect(order).toEqual(['sync start on 1', 'sync end', 'fetch start on 1', 'fetch end', 'delete start on 1', 'delete end']);
    expect(f.log).toEqual(['open 1', 'close 1']);
    expect(s.isOpen).toBe(false);
    // Idle, the next job opens it again.
    await s.run(async () => {});
    expect(f.log).toEqual(['open 1', 'close 1', 'open 2', 'close 2']);
  });

  it('a failing job fails only its caller; the next job runs', async () => {
    const f = fakeOpener();
    const s = new AccountSession('a', f.opener);
    const first = s.run(async () => {
      throw new Error('disk full');
    });
    const second = s.run(async (box) => `ran on ${box.n}`);
    await expect(first).rejects.toThrow('disk full');
    await expect(second).resolves.toBe('ran on 1');
    expect(f.openNow()).toBe(0);
  });

  it('a mailbox that cannot be opened fails the job, and the next one opens afresh', async () => {
    let fail = true;
    const f = fakeOpener();
    const s = new AccountSession('a', async () => {
      if (fail) throw new Error('in-use: another Popbox process');
      return f.opener();
    });
    await expect(s.run(async () => 'x')).rejects.toThrow('another Popbox process');
    fail = false;
    await expect(s.run(async () => 'y')).resolves.toBe('y');
    expect(f.log).toEqual(['open 1', 'close 1']);
  });

  it('quick work runs beside a job that lets it in, on the same open mailbox, and the job’s turn waits for it', async () => {
    const f = fakeOpener();
    const s = new AccountSession('a', f.opener);
    const hold = gate();
    const order: string[] = [];
    const sync = s.run(
      async (box) => {
        order.push(`sync on ${box.n}`);
        await hold.p;
        order.push('sync end');
      },
      { letQuickWorkIn: true },
    );
    await later(5);
    const slowQuick = s.share(async (box) => {
      order.push(`flags on ${box.n}`);
      await later(30);
      order.push('flags end');
    });
    await s.share(async () => order.push('pending list'));
    expect(order).toEqual(['sync on 1', 'flags on 1', 'pending list']);
    // A job that does not let quick work in waits for the sync and everything beside it.
    const del = s.run(async () => order.push('delete'));
    hold.open();
    await Promise.all([sync, slowQuick, del]);
    expect(order).toEqual(['sync on 1', 'flags on 1', 'pending list', 'sync end', 'flags end', 'delete']);
    expect(f.openedTimes()).toBe(1);
    expect(f.openNow()).toBe(0);
  });

  it('quick work waits its turn beside a job that does not let it in (delete-for-good)', async () => {
    const f = fakeOpener();
    const s = new AccountSession('a', f.opener);
    const hold = gate();
    const order: string[] = [];
    const del = s.run(async () => {
      order.push('delete start');
      await hold.p;
      order.push('delete end');
    });
    await later(5);
    const flags = s.share(async () => order.push('flags'));
    await later(5);
    expect(order).toEqual(['delete start']);
    hold.open();
    await Promise.all([del, flags]);
    expect(order).toEqual(['delete start', 'delete end', 'flags']);
  });

  it('idle() waits for every queued job and the quick work beside them, then the mailbox is closed', async () => {
    const f = fakeOpener();
    const s = new AccountSession('a', f.opener);
    const done: string[] = [];
    void s.run(
      async () => {
        void s.share(async () => {
          await later(20);
          done.push('quick');
        });
        await later(5);
        done.push('sync');
      },
      { letQuickWorkIn: true },
    );
    void s.run(async () => {
      await later(5);
      done.push('delete');
    });
    await s.idle();
    expect(done).toEqual(['sync', 'quick', 'delete']);
    expect(s.isOpen).toBe(false);
    expect(f.openNow()).toBe(0);
  });

  it('a job that opens the mailbox only when it needs it keeps its turn throughout: a job asked for meanwhile waits for its end', async () => {
    // The check for mail: a quick check logs in without the mailbox, finds mail, and hands its
    // logged-in connection to the sync. A job queued meanwhile (download the rest, On the
    // server's Refresh) logs in too, so it must not start before that connection is closed.
    const f = fakeOpener();
    const s = new AccountSession('a', f.opener);
    const quickPhase = gate();
    const order: string[] = [];
    let connection: 'closed' | 'logged in' = 'closed';
    const check = s.lazily(
      async (box, open) => {
        order.push(`quick check with ${box ? 'an open' : 'no'} mailbox`);
        connection = 'logged in';
        await quickPhase.p;
        const opened = await open(() => f.opener()); // as with the quick check's lock handed over
        order.push(`sync on ${opened.n}`);
        await later(10);
        connection = 'closed';
        order.push('sync end');
      },
      { letQuickWorkIn: true },
    );
    await later(5);
    const other = s.run(async (box) => order.push(`other job on ${box.n}, quick-check connection ${connection}`));
    // Quick work (mark read) waits for the quick check only, then runs beside the sync.
    const flags = s.share(async (box) => order.push(`flags on ${box.n}`));
    await later(5);
    expect(order).toEqual(['quick check with no mailbox']);
    quickPhase.open();
    await Promise.all([check, other, flags]);
    expect(order).toEqual(['quick check with no mailbox', 'flags on 1', 'sync on 1', 'sync end', 'other job on 1, quick-check connection closed']);
    await s.idle();
    expect(f.openedTimes()).toBe(1);
    expect(f.openNow()).toBe(0);
  });

  it('quick work asked for during a check that ends without opening the mailbox keeps its place in the queue', async () => {
    const f = fakeOpener();
    const s = new AccountSession('a', f.opener);
    const quickPhase = gate();
    const order: string[] = [];
    const check = s.lazily(
      async () => {
        await quickPhase.p;
        order.push('nothing new');
      },
      { letQuickWorkIn: true },
    );
    await later(5);
    const flags = s.share(async (box) => order.push(`flags on ${box.n}`));
    const del = s.run(async () => order.push('delete for good'));
    const failing = s.share(async () => {
      throw new Error('not-found');
    });
    quickPhase.open();
    await Promise.all([check, flags, del]);
    await expect(failing).rejects.toThrow('not-found');
    expect(order).toEqual(['nothing new', 'flags on 1', 'delete for good']);
    await s.idle();
    expect(f.openNow()).toBe(0);
  });

  it('a job that never opens the mailbox leaves it closed; one after a job that kept it open gets it', async () => {
    const f = fakeOpener();
    const s = new AccountSession('a', f.opener);
    expect(await s.lazily(async (box) => (box ? 'open' : 'none'))).toBe('none');
    expect(f.openedTimes()).toBe(0);
    const hold = gate();
    const first = s.run(async () => hold.p);
    const second = s.lazily(async (box) => (box ? `open ${box.n}` : 'none'));
    hold.open();
    expect(await second).toBe('open 1');
    await first;
    expect(f.openNow()).toBe(0);
  });

  describe('with the real account lock', () => {
    let dataDir: string;
    afterAll(async () => {
      if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
    });

    it('holds the account lock while work is queued and lets another opener in once idle', async () => {
      dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-session-'));
      const sessions = new SessionManager(dataDir);
      const session = sessions.for('acct');
      expect(sessions.for('acct')).toBe(session); // one per account
      const hold = gate();
      const working = gate();
      const busy = session.run(async (box) => {
        working.open();
        await hold.p;
        return box.accountId;
      });
      const quick = session.run(async (box) => [...box.ledger.all()].length);
      // The job runs once the mailbox is open (its lock taken), however long opening takes here.
      await working.p;
      // Another process (the CLI) is refused while this one works on the account.
      await expect(AccountMailbox.open(dataDir, 'acct')).rejects.toMatchObject({ code: 'in-use' });
      hold.open();
      const closing = sessions.closeAll();
      expect(await busy).toBe('acct');
      expect(await quick).toBe(0);
      await closing;
      const other = await AccountMailbox.open(dataDir, 'acct');
      await other.close();
    });
  });
});
