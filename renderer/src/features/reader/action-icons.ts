/**
 * The reading pane's icon buttons (paths on a 24-pixel grid, drawn with the list's `.icon`
 * stroke): the filing and marking actions, whose names are their tooltips, so the row holds
 * every action in a window of 1280 pixels. Reply, Reply all and Forward keep their words.
 */
import { ICON_PATHS } from '../inbox/row-text.js';

export const ACTION_ICONS = {
  /** A closed envelope: make it unread again. */
  markUnread: 'M3 5h18v14H3z M3 5l9 8 9-8',
  /** An open envelope: mark it read. */
  markRead: 'M3 10l9-6 9 6v10H3z M3 10l9 6 9-6',
  /** The list's flag mark. */
  flag: ICON_PATHS.flag,
  /** A folder with an arrow into it. */
  move: 'M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z M9 13h7 M13 10l3 3-3 3',
  /** A box with its lid. */
  archive: 'M3 4h18v4H3z M5 8v11a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8 M10 12h4',
  /** A circle struck through. */
  junk: 'M12 3a9 9 0 1 1 0 18a9 9 0 1 1 0-18z M5.6 5.6l12.8 12.8',
  /** A circle with a tick. */
  notJunk: 'M12 3a9 9 0 1 1 0 18a9 9 0 1 1 0-18z M8 12.5l2.5 2.5 5.5-6',
  /** A bin. */
  trash: 'M3 6h18 M8 6V4h8v2 M6 6l1 14h10l1-14 M10 11v5 M14 11v5',
} as const;
