/** The context menu of a message (or of the selection it belongs to): the commands its rows allow. */
import type { MenuItem } from '../../app/Menu.js';
import type { MessageRow } from '../../db/database.js';
import { COMMAND_KEYS, COMMAND_LABELS, commandsFor, type Command } from './commands.js';

export interface MenuSpec {
  label: string;
  items: MenuItem[];
}

/** `count`: how many messages the menu is for (the label); null when none of them allows a command. */
export function messageMenu(rows: readonly MessageRow[], count: number, run: (c: Command, ids: string[]) => void): MenuSpec | null {
  const ids = rows.map((r) => r.id);
  const items: MenuItem[] = commandsFor(rows).map((c, i) => ({
    label: COMMAND_LABELS[c],
    hint: COMMAND_KEYS[c],
    onSelect: () => run(c, ids),
    separatorBefore: i === 2,
  }));
  return items.length ? { label: count === 1 ? 'Message' : `${count} messages`, items } : null;
}
