import { describe, expect, it } from 'vitest';
import { buildApi, API_KEYS } from '../../shared/api.js';
import { EVENT_NAMES, METHOD_NAMES } from '../../shared/contract-names.js';
import { contract, events } from '../../shared/contract.js';

describe('contract names', () => {
  it('name exactly the methods and events of the contract', () => {
    expect([...METHOD_NAMES].sort()).toEqual(Object.keys(contract).sort());
    expect([...EVENT_NAMES].sort()).toEqual(Object.keys(events).sort());
  });

  it('build an API object with one function per method, on(), and nothing else', () => {
    const api = buildApi(
      async () => ({ ok: true, value: null }),
      () => () => {},
    );
    expect(Object.keys(api).sort()).toEqual([...API_KEYS].sort());
    expect(Object.isFrozen(api)).toBe(true);
    expect(() => api.on('nope' as never, () => {})).toThrow(/unknown event/);
  });
});
