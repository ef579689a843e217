/**
 * The name a save dialog suggests for something from a message (an attachment's filename, a
 * message's subject). Those names come from the sender: they may hide an extension behind
 * bidirectional controls (`invoice\u202Efdp.exe` shows as "invoiceexe.pdf"), climb out of the
 * folder (`..`, `a/../../b`), name a Windows device (`CON`, `lpt1.txt`) or a stream
 * (`a.txt:hidden`), or be long enough to be refused. The result is one plain file name that
 * means the same on every system, or `fallback` when nothing usable is left.
 */

/** Bidirectional formatting and other invisible controls that can disguise a name. */
const INVISIBLE = /[\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/g;
/** Separators and what Windows refuses in a name (`:` also names an NTFS stream). */
const RESERVED = /[<>:"/\\|?*]/g;
const DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const MAX_CHARS = 120;

export function safeFileName(name: string | null | undefined, fallback: string): string {
  let n = (name ?? '').normalize('NFC').replace(INVISIBLE, '').replace(CONTROL, ' ').replace(RESERVED, '_');
  n = n.replace(/\s+/g, ' ').trim();
  // Leading dots hide a file or name a parent; trailing dots and spaces are dropped by Windows.
  n = n.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  if (DEVICE.test(n)) n = `_${n}`;
  if ([...n].length > MAX_CHARS) {
    const dot = n.lastIndexOf('.');
    const ext = dot > 0 && n.length - dot <= 10 ? n.slice(dot) : '';
    n = [...n.slice(0, n.length - ext.length)].slice(0, MAX_CHARS - [...ext].length).join('').trimEnd() + ext;
  }
  return n === '' || n === '_' ? fallback : n;
}
