import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Scheduler, type RunOutcome } from '../../electron/core/sync/scheduler.js';

const MIN = 60_000;

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A run function that records calls and answers from a script (default: success). */
function runner(script: Record<string, RunOutcome[]> = {}, durationMs = 1000) {
  const calls: { id: string; at: number }[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const run = async (id: string): Promise<RunOutcome> => {
    calls.push({ id, at: Date.now() });
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    await new Promise((r) => setTimeout(r, durationMs));
    concurrent--;
    return script[id]?.shift() ?? { ok: true };
  };
  return { run, calls, max: () => maxConcurrent };
}

const account = (id: string, minutes = 10, atStartup = true) => ({ id, checkEveryMinutes: minutes, checkAtStartup: atStartup });

describe('Scheduler', () => {
  it('checks at startup, then every N minutes with up to 10% jitter', async () => {
    const r = runner();
    const s = new Scheduler({ run: r.run, random: () => 0.5 });
    s.setAccounts([account('a', 10)]);
    s.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.calls.map((c) => c.at)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(10.5 * MIN);
    expect(r.calls.map((c) => c.at)).toEqual([0, 1000 + 10.5 * MIN]);
    s.stop();
  });

  it('never runs two sessions for one account and caps concurrent sessions', async () => {
    const r = runner({}, 5000);
    const s = new Scheduler({ run: r.run, maxConcurrent: 2 });
    s.setAccounts([account('a'), account('b'), account('c')]);
    s.start();
    const again = s.syncNow(['a']);
    await vi.advanceTimersByTimeAsync(20_000);
    await again;
    expect(r.max()).toBe(2);
    expect(r.calls.filter((c) => c.id === 'a')).toHaveLength(1); // joined, not doubled
    expect(r.calls.map((c) => c.id).sort()).toEqual(['a', 'b', 'c']);
    s.stop();
  });

  it('backs off exponentially with a ceiling on what may pass, and recovers', async () => {
    const fail = (): RunOutcome => ({ ok: false, code: 'network', message: 'down' });
    const r = runner({ a: [fail(), fail(), fail(), fail(), fail(), fail(), fail(), fail()] }, 0);
    const s = new Scheduler({ run: r.run, backoffBaseMs: MIN, backoffCeilingMs: 10 * MIN, random: () => 0 });
    s.setAccounts([account('a', 60)]);
    s.start();
    await vi.advanceTimersByTimeAsync(120 * MIN);
    const gaps = r.calls.slice(1).map((c, i) => Math.round((c.at - r.calls[i]!.at) / MIN));
    expect(gaps.slice(0, 6)).toEqual([1, 2, 4, 8, 10, 10]);
    // The scripted failures ran out: the next run succeeded and the backoff is forgotten.
    expect(s.status('a')).toMatchObject({ state: 'idle', failures: 0, lastError: null });
    s.stop();
  });

  it('a check refused because Popbox is closing is tried again later, never left needing the person', async () => {
    const r = runner({ a: [{ ok: false, code: 'closing', message: 'Popbox is closing' }] }, 0);
    const s = new Scheduler({ run: r.run, backoffBaseMs: MIN, random: () => 0 });
    s.setAccounts([account('a', 60)]);
    s.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(s.status('a')).toMatchObject({ state: 'retrying', lastError: { code: 'closing' } });
    await vi.advanceTimersByTimeAsync(2 * MIN);
    expect(r.calls).toHaveLength(2);
    s.stop();
  });

  it('stops on auth and asks for the password; a manual run starts it again', async () => {
    const r = runner({ a: [{ ok: false, code: 'auth', message: 'wrong password' }] }, 0);
    const s = new Scheduler({ run: r.run });
    s.setAccounts([account('a', 1)]);
    s.start();
    await vi.advanceTimersByTimeAsync(30 * MIN);
    expect(r.calls).toHaveLength(1);
    expect(s.status('a')).toMatchObject({ state: 'needs-password', lastError: { code: 'auth' }, nextRunAt: null });
    const [outcome] = await Promise.all([s.syncNow(['a']), vi.advanceTimersByTimeAsync(10)]);
    expect(outcome[0]).toEqual({ ok: true });
    expect(s.status('a')).toMatchObject({ state: 'idle', failures: 0, lastError: null });
    s.stop();
  });

  it('needs the user for an untrusted certificate: no retries', async () => {
    const r = runner({ a: [{ ok: false, code: 'certificate', message: 'untrusted' }] }, 0);
    const s = new Scheduler({ run: r.run });
    s.setAccounts([account('a', 1)]);
    s.start();
    await vi.advanceTimersByTimeAsync(60 * MIN);
    expect(r.calls).toHaveLength(1);
    expect(s.status('a')?.state).toBe('needs-attention');
    s.stop();
  });

  it('a changed certificate blocks the account: no retry, no catch-up, not even Get Mail, until its settings change', async () => {
    const changed: RunOutcome = { ok: false, code: 'certificate', message: 'does not match the pinned fingerprint', fingerprint256: 'BB:BB', expectedFingerprint256: 'AA:AA' };
    const r = runner({ a: [changed] }, 0);
    const s = new Scheduler({ run: r.run, random: () => 0 });
    s.setAccounts([account('a', 1)]);
    s.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(s.status('a')).toMatchObject({ state: 'needs-attention', nextRunAt: null, lastError: { code: 'certificate', fingerprint256: 'BB:BB', expectedFingerprint256: 'AA:AA' } });
    // A day passes, the machine sleeps and wakes, the network comes and goes, the interval changes.
    await vi.advanceTimersByTimeAsync(24 * 60 * MIN);
    s.resume();
    s.setOnline(false);
    s.setOnline(true);
    s.setAccounts([account('a', 5)]);
    await vi.advanceTimersByTimeAsync(24 * 60 * MIN);
    // Get Mail answers with the block and connects to nothing.
    const [manual] = await Promise.all([s.syncNow(['a']), vi.advanceTimersByTimeAsync(10)]);
    expect(manual[0]).toMatchObject({ ok: false, code: 'certificate', expectedFingerprint256: 'AA:AA' });
    expect(r.calls).toHaveLength(1);
    expect(s.status('a')?.state).toBe('needs-attention');
    // The user saved the account's settings (a new pin, the password typed again): tried at once.
    s.settingsChanged('a');
    await vi.advanceTimersByTimeAsync(10);
    expect(r.calls).toHaveLength(2);
    expect(s.status('a')).toMatchObject({ state: 'idle', lastError: null, failures: 0 });
    s.stop();
  });

  it('a certificate block kept from before a restart: no check at startup, nothing later', async () => {
    const r = runner({}, 0);
    const s = new Scheduler({ run: r.run, random: () => 0 });
    s.setAccounts([account('a', 1, true), account('b', 1, true)]);
    s.restoreBlock('a', { ok: false, code: 'certificate', message: 'not trusted', fingerprint256: 'BB:BB', expectedFingerprint256: 'AA:AA' });
    s.start();
    await vi.advanceTimersByTimeAsync(60 * MIN);
    expect(r.calls.filter((c) => c.id === 'a')).toHaveLength(0);
    expect(r.calls.filter((c) => c.id === 'b').length).toBeGreaterThan(1);
    expect(s.status('a')).toMatchObject({ state: 'needs-attention', nextRunAt: null, lastError: { expectedFingerprint256: 'AA:AA' } });
    s.stop();
  });

  it('honours LOGIN-DELAY as the shortest interval and as the retry time', async () => {
    const r = runner({ a: [{ ok: true, loginDelaySeconds: 900 }, { ok: false, code: 'login-delay', message: 'too soon', retryAfterSeconds: 300 }] }, 0);
    const s = new Scheduler({ run: r.run, random: () => 0 });
    s.setAccounts([account('a', 1)]);
    s.start();
    await vi.advanceTimersByTimeAsync(16 * MIN);
    expect(r.calls.map((c) => Math.round(c.at / MIN))).toEqual([0, 15]);
    await vi.advanceTimersByTimeAsync(15 * MIN);
    expect(r.calls.map((c) => Math.round(c.at / MIN))).toEqual([0, 15, 30]); // retry waited the login delay
    s.stop();
  });

  it('waits while offline and catches up when back online or after sleep', async () => {
    const r = runner({}, 0);
    const s = new Scheduler({ run: r.run, random: () => 0 });
    s.setAccounts([account('a', 5, false)]);
    s.start();
    s.setOnline(false);
    await vi.advanceTimersByTimeAsync(20 * MIN);
    expect(r.calls).toHaveLength(0);
    expect(s.status('a')?.state).toBe('offline');
    s.setOnline(true);
    await vi.advanceTimersByTimeAsync(10);
    expect(r.calls).toHaveLength(1);

    // Sleep: the clock jumps, timers did not fire.
    s.stop();
    s.start();
    vi.setSystemTime(Date.now() + 3 * 3600 * 1000);
    s.resume();
    await vi.advanceTimersByTimeAsync(10);
    expect(r.calls.length).toBeGreaterThanOrEqual(2);
    s.stop();
  });
});
