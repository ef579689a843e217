/**
 * Folders (DESIGN §2): every account has its own Maildir++ tree: Inbox at the top, the
 * special folders (Drafts, Sent, Outbox, Junk, Archive, Trash) and the user's own, nested.
 *
 * A folder is named on the wire by its **key**: the Maildir++ directory name without the
 * leading dot ("Archive.2026", "Work.Projects"), or "INBOX" for the inbox. The key is built the
 * way Dovecot names Maildir++ folders, so mutt, notmuch and Dovecot show the same names: each
 * name is written in IMAP's modified UTF-7 (RFC 3501 §5.1.3), `.` separates levels, and a `.`,
 * `/` or `\` inside a name is escaped as `\2e`, `\2f`, `\5c` (Dovecot's listescape convention).
 * The user sees `path`, the names decoded.
 */
import { z } from 'zod';

export const FolderRole = z.enum(['inbox', 'drafts', 'sent', 'outbox', 'junk', 'archive', 'trash']);
export type FolderRole = z.infer<typeof FolderRole>;

export const INBOX = 'INBOX';

/** The special folders every account has, in the order the sidebar shows them. */
export const SPECIAL_FOLDERS: readonly { role: FolderRole; key: string; name: string }[] = [
  { role: 'inbox', key: INBOX, name: 'Inbox' },
  { role: 'drafts', key: 'Drafts', name: 'Drafts' },
  { role: 'sent', key: 'Sent', name: 'Sent' },
  { role: 'outbox', key: 'Outbox', name: 'Outbox' },
  { role: 'archive', key: 'Archive', name: 'Archive' },
  { role: 'junk', key: 'Junk', name: 'Junk' },
  { role: 'trash', key: 'Trash', name: 'Trash' },
];

export function roleKey(role: FolderRole): string {
  return SPECIAL_FOLDERS.find((f) => f.role === role)!.key;
}

export function roleOf(key: string): FolderRole | null {
  return SPECIAL_FOLDERS.find((f) => f.key === key)?.role ?? null;
}

/** One folder of one account, as the change feed carries it. */
export const FolderInfo = z.object({
  key: z.string().min(1).max(1000),
  /** The names from the top ("Work", "Projects"); the inbox is ["Inbox"]. */
  path: z.array(z.string()),
  role: FolderRole.nullable(),
});
export type FolderInfo = z.infer<typeof FolderInfo>;

/** A folder key as the contract accepts it (checked again against the account's tree in main). */
export const FolderKey = z.string().min(1).max(1000);

/** A folder's names as the user types them ("Work", "Projects"). */
export const FolderPath = z.array(z.string().min(1).max(200)).min(1).max(20);

/** A name that cannot be stored, in plain words; null when it can. */
export function folderNameProblem(name: string): string | null {
  if (name.trim() === '') return 'A folder needs a name.';
  if (name !== name.trim()) return 'A folder name cannot begin or end with a space.';
  if ([...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return 'A folder name cannot contain control characters.';
  // Each level is one directory name: the file system allows 255 bytes, Maildir++ spends one
  // on the dot and the whole path must fit too.
  if (encodeName(name).length > 200) return 'That folder name is too long.';
  return null;
}

/** Problems with a whole path (each name, and the inbox's name at the top). */
export function folderPathProblem(path: readonly string[]): string | null {
  if (path.length === 0) return 'A folder needs a name.';
  for (const name of path) {
    const p = folderNameProblem(name);
    if (p) return p;
  }
  if (path[0]!.toUpperCase() === INBOX) return '“Inbox” is taken by the inbox itself; choose another name.';
  if (keyOf(path).length > 240) return 'That folder is nested too deeply or its names are too long.';
  return null;
}

/** The key of a folder path: names encoded and joined with '.'. */
export function keyOf(path: readonly string[]): string {
  if (path.length === 1 && path[0] === 'Inbox') return INBOX;
  return path.map(encodeName).join('.');
}

/** The names of a key (the inverse of keyOf). */
export function pathOf(key: string): string[] {
  if (key === INBOX) return ['Inbox'];
  return key.split('.').map(decodeName);
}

/** The key of a folder's parent, or null for a top-level folder. */
export function parentKey(key: string): string | null {
  const i = key.lastIndexOf('.');
  return i === -1 ? null : key.slice(0, i);
}

/** Whether `key` is `ancestor` itself or lies below it. */
export function isWithin(key: string, ancestor: string): boolean {
  return key === ancestor || key.startsWith(`${ancestor}.`);
}

/**
 * Whether filters run "on all folders" reach this one (Settings › Filters' Run now and preview,
 * `popbox rules run --all-folders`): every folder but Drafts and the Outbox (a message being
 * written or sent) and Trash with what is below it (mail thrown away).
 */
export function filtersReach(key: string): boolean {
  return key !== roleKey('drafts') && key !== roleKey('outbox') && !isWithin(key, roleKey('trash'));
}

/** filtersReach in words, as the screen and the CLI say it. */
export const FILTERS_REACH_WORDS = 'all folders except Drafts, Outbox and Trash';

/**
 * "Work/Projects" as typed in the CLI or a search into names: `/` separates levels, `\/` is a
 * slash inside a name ("v1.2 \/ old").
 */
export function parseFolderArg(text: string): string[] {
  return text
    .split(/(?<!\\)\//)
    .map((s) => s.replace(/\\\//g, '/').trim())
    .filter((s) => s.length > 0);
}

/** The names joined for showing ("Work / Projects"); the CLI prints them with '/'. */
export function displayPath(path: readonly string[], sep = '/'): string {
  return path.join(sep);
}

const ESCAPES: Record<string, string> = { '.': '\\2e', '/': '\\2f', '\\': '\\5c' };

/** One name as a Maildir++ level: modified UTF-7, then `.` `/` `\` escaped. */
export function encodeName(name: string): string {
  return toModifiedUtf7(name).replace(/[./\\]/g, (c) => ESCAPES[c]!);
}

export function decodeName(level: string): string {
  const unescaped = level.replace(/\\([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return fromModifiedUtf7(unescaped);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';

/** RFC 3501 §5.1.3: printable ASCII stands for itself ('&' as "&-"), the rest as base64 of UTF-16BE. */
export function toModifiedUtf7(text: string): string {
  let out = '';
  let run: number[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const bytes: number[] = [];
    for (const unit of run) bytes.push(unit >> 8, unit & 0xff);
    let bits = 0;
    let value = 0;
    let enc = '';
    for (const b of bytes) {
      value = (value << 8) | b;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        enc += B64[(value >> bits) & 0x3f];
      }
      value &= (1 << bits) - 1;
    }
    if (bits > 0) enc += B64[(value << (6 - bits)) & 0x3f];
    out += `&${enc}-`;
    run = [];
  };
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code <= 0x7e) {
      flush();
      out += code === 0x26 ? '&-' : text[i];
    } else run.push(code);
  }
  flush();
  return out;
}

export function fromModifiedUtf7(text: string): string {
  return text.replace(/&([^-]*)-/g, (_, enc: string) => {
    if (enc === '') return '&';
    let bits = 0;
    let value = 0;
    const bytes: number[] = [];
    for (const c of enc) {
      const v = B64.indexOf(c);
      if (v < 0) return `&${enc}-`; // not modified UTF-7: leave it as it is
      value = (value << 6) | v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bytes.push((value >> bits) & 0xff);
        value &= (1 << bits) - 1;
      }
    }
    let s = '';
    for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
    return s;
  });
}
