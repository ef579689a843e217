/**
 * An account's folders as the sidebar and the Move to… picker show them: Inbox, the special
 * folders in their fixed order (Archive with its year folders), then the user's own folders
 * A to Z, nested. Folders that hold messages but are missing from the tree main last sent (a
 * moment's lag) are shown too, and a nested folder whose parent is missing gets its parent.
 */
import { displayPath, INBOX, isWithin, parentKey, pathOf, roleOf, SPECIAL_FOLDERS, type FolderInfo, type FolderRole } from '../../../../shared/folders.js';

export interface FolderNode {
  key: string;
  /** This level's name ("Projects" in Work / Projects). */
  name: string;
  path: string[];
  role: FolderRole | null;
  children: FolderNode[];
}

/** Trash and anything below it: where Delete deletes for good and Restore applies. */
export const inTrash = (key: string): boolean => isWithin(key, 'Trash');

/**
 * The folders shown even when empty, as Apple Mail, Outlook and Thunderbird show them: a person
 * looks for Drafts before saving one and for Junk when a message did not arrive, and an empty
 * folder that is missing reads as "not set up". Only the Outbox appears just while something
 * waits in it to be sent (as in Apple Mail and Outlook): empty, it means nothing.
 */
const ALWAYS_SHOWN: ReadonlySet<FolderRole> = new Set(['inbox', 'drafts', 'sent', 'archive', 'junk', 'trash']);

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

export function folderTree(folders: readonly FolderInfo[], filed: readonly string[] = []): FolderNode[] {
  const infos = new Map<string, FolderInfo>();
  for (const f of folders) infos.set(f.key, f);
  const add = (key: string) => {
    for (let k: string | null = key; k !== null && !infos.has(k); k = parentKey(k)) infos.set(k, { key: k, path: pathOf(k), role: roleOf(k) });
  };
  for (const key of filed) add(key);
  // Every account has its special folders, whether or not main has listed them yet.
  for (const s of SPECIAL_FOLDERS) add(s.key);
  const nodes = new Map<string, FolderNode>();
  for (const f of infos.values()) nodes.set(f.key, { key: f.key, name: f.path[f.path.length - 1] ?? f.key, path: f.path, role: f.role ?? roleOf(f.key), children: [] });
  const top: FolderNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.key === INBOX ? null : parentKey(node.key);
    const p = parent === null ? undefined : nodes.get(parent);
    if (p) p.children.push(node);
    else top.push(node);
  }
  const order = (n: FolderNode) => {
    const i = SPECIAL_FOLDERS.findIndex((s) => s.key === n.key);
    return i === -1 ? SPECIAL_FOLDERS.length : i;
  };
  const sort = (list: FolderNode[]) => {
    list.sort((a, b) => order(a) - order(b) || collator.compare(a.name, b.name));
    for (const n of list) sort(n.children);
  };
  sort(top);
  // Year folders of Archive newest first, as people look for recent mail.
  const archive = top.find((n) => n.key === 'Archive');
  archive?.children.sort((a, b) => collator.compare(b.name, a.name));
  return top;
}

/** Whether the sidebar shows a top-level special folder (`total`: messages in it and below it). */
export function shownInSidebar(node: FolderNode, total: number): boolean {
  if (!node.role || ALWAYS_SHOWN.has(node.role)) return true;
  return total > 0 || node.children.length > 0;
}

/** Every node, depth first, with its depth (for the picker's flat list). */
export function flatten(nodes: readonly FolderNode[], depth = 0, out: { node: FolderNode; depth: number }[] = []): { node: FolderNode; depth: number }[] {
  for (const node of nodes) {
    out.push({ node, depth });
    flatten(node.children, depth + 1, out);
  }
  return out;
}

/** A folder as people read it: "Inbox", "Work / Projects". */
export function folderName(key: string): string {
  return displayPath(pathOf(key), ' / ');
}
