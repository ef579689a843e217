import { describe, expect, it } from 'vitest';
import { safeFileName } from '../../electron/core/files/save-name.js';

describe('safeFileName: the name a save dialog suggests for something a sender named', () => {
  it('keeps ordinary names, accents and all', () => {
    expect(safeFileName('Café menu.pdf', 'x')).toBe('Café menu.pdf');
    expect(safeFileName('Résumé (final) v2.docx', 'x')).toBe('Résumé (final) v2.docx');
  });

  it('drops bidirectional controls that disguise an extension', () => {
    expect(safeFileName('invoice\u202Efdp.exe', 'x')).toBe('invoicefdp.exe');
    expect(safeFileName('\u2067photo\u2069.jpg\u200F', 'x')).toBe('photo.jpg');
  });

  it('never climbs out of the folder or names a hidden file', () => {
    expect(safeFileName('..', 'attachment-1')).toBe('attachment-1');
    expect(safeFileName('../../.bashrc', 'x')).toBe('_.._.bashrc');
    expect(safeFileName('.hidden', 'x')).toBe('hidden');
    expect(safeFileName('a/b\\c', 'x')).toBe('a_b_c');
    expect(safeFileName('', 'message')).toBe('message');
    expect(safeFileName(null, 'message')).toBe('message');
    expect(safeFileName(' \u202E ', 'message')).toBe('message');
  });

  it('refuses what Windows would read as a device or a stream', () => {
    expect(safeFileName('CON', 'x')).toBe('_CON');
    expect(safeFileName('lpt1.txt', 'x')).toBe('_lpt1.txt');
    expect(safeFileName('a.txt:hidden', 'x')).toBe('a.txt_hidden');
    expect(safeFileName('name. . ', 'x')).toBe('name');
    expect(safeFileName('tab\there\nnewline', 'x')).toBe('tab here newline');
  });

  it('shortens long names, keeping the extension', () => {
    const long = `${'ü'.repeat(300)}.pdf`;
    const out = safeFileName(long, 'x');
    expect([...out].length).toBe(120);
    expect(out.endsWith('.pdf')).toBe(true);
  });
});
