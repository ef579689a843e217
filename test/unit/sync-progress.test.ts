/**
 * The sync's progress reporter: a phase is told at once, a moving count at most once an
 * interval, and a count held back is told when its interval ends, so a server that stalls
 * after message 2 still shows "2 of 5".
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SyncProgress } from '../../shared/contract.js';
import { ProgressReporter } from '../../electron/core/sync/progress.js';

describe('ProgressReporter', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('tells a count held back when its interval ends, and nothing more while the count stands still', () => {
    const progress: SyncProgress = { phase: 'connecting', done: 0, total: 5, bytes: 0, totalBytes: 0 };
    const told: string[] = [];
    const r = new ProgressReporter(progress, (p) => told.push(`${p.phase}:${p.done}/${p.total}`), 100);
    r.phase('downloading');
    progress.done = 1;
    r.moved();
    progress.done = 2;
    r.moved();
    // The server stalls here: message 2 is shown once the interval is over.
    expect(told).toEqual(['downloading:0/5', 'downloading:1/5']);
    vi.advanceTimersByTime(100);
    expect(told).toEqual(['downloading:0/5', 'downloading:1/5', 'downloading:2/5']);
    vi.advanceTimersByTime(10_000);
    expect(told).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
    // The next count after a quiet interval is told at once.
    progress.done = 3;
    r.moved();
    expect(told.at(-1)).toBe('downloading:3/5');
    r.flush();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a listener that throws on a held count does not throw out of the timer', () => {
    const progress: SyncProgress = { phase: 'downloading', done: 0, total: 5, bytes: 0, totalBytes: 0 };
    let calls = 0;
    const r = new ProgressReporter(progress, () => {
      if (++calls > 1) throw new Error('the window is gone');
    }, 100);
    r.moved();
    progress.done = 1;
    r.moved();
    expect(() => vi.advanceTimersByTime(100)).not.toThrow();
    expect(calls).toBe(2);
    r.flush();
    expect(vi.getTimerCount()).toBe(0);
  });
});
