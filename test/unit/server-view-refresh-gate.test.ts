/**
 * How often the On the server view may log in (core/server-view/refresh-gate.ts): refreshes asked
 * while one is under way join it, one within the window answers the cached listing (a failure
 * answers its failure again), something Popbox did on the server lets the next one connect, and
 * the server's LOGIN-DELAY holds after any login (a sync's too).
 */
import { describe, expect, it } from 'vitest';
import { REFRESH_MIN_INTERVAL_MS, RefreshGate } from '../../electron/core/server-view/refresh-gate.js';

function setup() {
  let clock = 1_000_000;
  const gate = new RefreshGate<string>(() => clock);
  let connects = 0;
  let release: (() => void) | null = null;
  let fail: Error | null = null;
  const connect = async () => {
    const n = ++connects;
    await new Promise<void>((r) => (release = r));
    if (fail) throw fail;
    return `fresh ${n}`;
  };
  const cached = async () => 'cached';
  const ask = () => gate.refresh('acc', connect, cached);
  return {
    gate,
    ask,
    connects: () => connects,
    tick: (ms: number) => (clock += ms),
    finish: async () => {
      while (!release) await new Promise((r) => setImmediate(r));
      const r = release as () => void;
      release = null;
      r();
    },
    failWith: (e: Error | null) => (fail = e),
  };
}

describe('refresh gate', () => {
  it('ten refreshes while one is under way are one connection, all answered by it', async () => {
    const t = setup();
    const all = Array.from({ length: 10 }, () => t.ask());
    await t.finish();
    expect(await Promise.all(all)).toEqual(Array(10).fill('fresh 1'));
    expect(t.connects()).toBe(1);
  });

  it('within the window the cached listing answers; after it a new connection', async () => {
    const t = setup();
    const first = t.ask();
    await t.finish();
    expect(await first).toBe('fresh 1');
    t.tick(REFRESH_MIN_INTERVAL_MS - 1);
    expect(await t.ask()).toBe('cached');
    expect(t.connects()).toBe(1);
    t.tick(1);
    const later = t.ask();
    await t.finish();
    expect(await later).toBe('fresh 2');
  });

  it('a failure within the window answers the same failure, without connecting', async () => {
    const t = setup();
    t.failWith(new Error('wrong password'));
    const first = t.ask();
    await t.finish();
    await expect(first).rejects.toThrow('wrong password');
    t.tick(1000);
    await expect(t.ask()).rejects.toThrow('wrong password');
    expect(t.connects()).toBe(1);
  });

  it('a sync or delete since the last refresh lets the next connect at once', async () => {
    const t = setup();
    const first = t.ask();
    await t.finish();
    await first;
    t.tick(1000);
    t.gate.changed('acc');
    const again = t.ask();
    await t.finish();
    expect(await again).toBe('fresh 2');
    // Seen: the window holds again.
    expect(await t.ask()).toBe('cached');
  });

  it('LOGIN-DELAY: no refresh within it of any login, even when something changed', async () => {
    const t = setup();
    t.gate.loggedIn('acc', 300); // a sync heard LOGIN-DELAY 300
    t.gate.changed('acc');
    t.tick(60_000);
    expect(await t.ask()).toBe('cached');
    expect(t.connects()).toBe(0);
    t.tick(240_000);
    const now = t.ask();
    await t.finish();
    expect(await now).toBe('fresh 1');
    // A later login whose CAPA says nothing keeps what the server said before; one that says 0 clears it.
    t.gate.loggedIn('acc');
    t.gate.changed('acc');
    t.tick(1000);
    expect(await t.ask()).toBe('cached');
    t.gate.loggedIn('acc', 0);
    t.gate.changed('acc');
    const after = t.ask();
    await t.finish();
    expect(await after).toBe('fresh 2');
  });
});
