/**
 * shared/lazy.ts, and what it is for: shared/address.ts and shared/segmented-scripts.ts make their
 * Unicode-property patterns (~9 and ~12 M instructions, parsed whole when made) at their first use,
 * not when loaded, so the CLI's empty check and every parse worker's start (which load these
 * modules and use neither) do not pay for them. Seen through the RegExp constructor (the modules
 * make them with `new RegExp`; a regex literal would not be seen here).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lazy } from '../../shared/lazy.js';

const made: string[] = [];
const RealRegExp = globalThis.RegExp;

/** Counts the Unicode-property patterns made while the test's modules load and run. */
function watchRegExp(): void {
  globalThis.RegExp = new Proxy(RealRegExp, {
    construct(target, args: [string | RegExp, string?]) {
      const source = String(args[0] instanceof RealRegExp ? args[0].source : args[0]);
      if (source.includes('\\p{')) made.push(source);
      return new target(...args);
    },
  });
}

afterEach(() => {
  globalThis.RegExp = RealRegExp;
  made.length = 0;
});

describe('lazy', () => {
  it('makes the value at the first call, once', () => {
    const make = vi.fn(() => ({ n: 1 }));
    const value = lazy(make);
    expect(make).not.toHaveBeenCalled();
    const first = value();
    expect(value()).toBe(first);
    expect(make).toHaveBeenCalledTimes(1);
  });

  it("loading shared/address.ts makes none of its patterns; the first address checked makes them", async () => {
    watchRegExp();
    vi.resetModules();
    const { isMailAddress } = await import('../../shared/address.js');
    expect(made).toEqual([]);
    expect(isMailAddress('jörg@bücher.example')).toBe(true);
    expect(isMailAddress('a@b.example')).toBe(true);
    expect(made).toHaveLength(2);
  });

  it("loading shared/segmented-scripts.ts makes none of its patterns; the first term's edges make them", async () => {
    watchRegExp();
    vi.resetModules();
    const { termWithEdges } = await import('../../shared/segmented-scripts.js');
    expect(made).toEqual([]);
    expect(termWithEdges('会议', { first: '会', last: '议', prefix: false }, '\\w')).toBe('会议');
    expect(termWithEdges('meet', { first: 'm', last: 't', prefix: true }, '\\w')).toBe('(?<!\\w)meet\\w*');
    expect(made).toHaveLength(2);
  });

  it("loading the index's segmenter (core/search/segment.ts) makes none of its patterns; the first text beyond Latin makes them", async () => {
    watchRegExp();
    vi.resetModules();
    const { segmentForIndex } = await import('../../electron/core/search/segment.js');
    expect(segmentForIndex('plain Latin text, “quoted” — and café')).toBe('plain Latin text, “quoted” — and café');
    expect(made).toEqual([]);
    expect(segmentForIndex('明天的会议')).toBe(' 明  天  的  会  议 ');
    expect(made).toHaveLength(2);
  });
});
