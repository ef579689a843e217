/** Saved searches as a list: the edits the sidebar offers, each giving the whole new list (main keeps it). */
import type { SavedSearch } from '../../../../shared/search.js';

/** A name in use by another saved search (case and outer spaces aside), or a refusal in plain words. */
export function nameProblem(list: readonly SavedSearch[], name: string, exceptId?: string): string | null {
  const n = name.trim();
  if (!n) return 'A saved search needs a name.';
  if (n.length > 200) return 'That name is too long (200 characters at most).';
  const same = list.find((s) => s.id !== exceptId && s.name.trim().toLowerCase() === n.toLowerCase());
  return same ? `There is already a saved search called “${same.name}”. Choose another name.` : null;
}

export const addSaved = (list: readonly SavedSearch[], s: SavedSearch): SavedSearch[] => [...list, s];
export const renameSaved = (list: readonly SavedSearch[], id: string, name: string): SavedSearch[] => list.map((s) => (s.id === id ? { ...s, name: name.trim() } : s));
export const removeSaved = (list: readonly SavedSearch[], id: string): SavedSearch[] => list.filter((s) => s.id !== id);
/** One place up (-1) or down (+1); the order is the person's. */
export function moveSaved(list: readonly SavedSearch[], id: string, delta: -1 | 1): SavedSearch[] {
  const i = list.findIndex((s) => s.id === id);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= list.length) return [...list];
  const out = [...list];
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out;
}
