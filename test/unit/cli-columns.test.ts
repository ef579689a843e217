import { describe, expect, it } from 'vitest';
import { fitColumn } from '../../electron/cli/columns.js';

describe('CLI table cells', () => {
  it('print a sender\'s text as text: no terminal controls, no bidirectional overrides', () => {
    expect(fitColumn('Hi\u001b[31mred\u001b[0m', 20, false)).toBe('Hi [31mred [0m');
    expect(fitColumn('8-bit\u009b31mCSI', 20, false)).toBe('8-bit 31mCSI');
    expect(fitColumn('invoice\u202Efdp.exe', 20, false)).toBe('invoice fdp.exe');
    expect(fitColumn('a\u2066b\u2069c', 20, false)).toBe('a b c');
  });
});
