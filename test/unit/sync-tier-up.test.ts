// sync/tier-up.ts: a big download raises V8's TurboFan budget once, in node only (the Electron app
// leaves it alone until it is measured there); small downloads and the empty check never touch it.
import v8 from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';

async function freshTierUp() {
  vi.resetModules();
  return import('../../electron/core/sync/tier-up.js');
}

describe('tierUpLaterFor', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    delete (process.versions as Record<string, string | undefined>).electron;
  });

  it('raises the budget once for a download of 100 messages or more, never for fewer', async () => {
    const set = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => {});
    const { tierUpLaterFor, TIER_UP_LATER_FROM } = await freshTierUp();
    tierUpLaterFor(TIER_UP_LATER_FROM - 1);
    expect(set).not.toHaveBeenCalled();
    tierUpLaterFor(TIER_UP_LATER_FROM);
    tierUpLaterFor(5000);
    expect(set).toHaveBeenCalledTimes(1);
    expect(set.mock.calls[0]![0]).toMatch(/^--interrupt-budget=\d+$/);
  });

  it('leaves the budget alone inside Electron', async () => {
    const set = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => {});
    (process.versions as Record<string, string | undefined>).electron = '45.5.0';
    const { tierUpLaterFor } = await freshTierUp();
    tierUpLaterFor(2000);
    expect(set).not.toHaveBeenCalled();
  });
});
