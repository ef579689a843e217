/** App-wide preferences kept by main (the renderer's Dexie is only a cache). */
import { z } from 'zod';
import { SAVED_SEARCHES_MAX, SavedSearch } from './search.js';

const Sender = z
  .string()
  .trim()
  .toLowerCase()
  .min(3)
  .max(254)
  .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address');

/** How the window looks: as the system's light or dark setting, or always light or dark. */
export const Theme = z.enum(['system', 'light', 'dark']);
export type Theme = z.infer<typeof Theme>;

export const Preferences = z.object({
  /** Senders whose mail may load remote images, styles and fonts ("Always for this sender"). */
  remoteContentSenders: z.array(Sender).max(10_000).default([]),
  /** Closing the window keeps Popbox checking mail in the tray. */
  runInBackground: z.boolean().default(true),
  /** Start Popbox (in the tray) when the user logs in. Opt-in. */
  startAtLogin: z.boolean().default(false),
  /** A desktop notification when new mail arrives. */
  notifyNewMail: z.boolean().default(true),
  /** Messages in Trash longer than this are deleted for good (after a check for mail); 0: never. */
  emptyTrashAfterDays: z.number().int().min(0).max(3650).default(0),
  /** New mail the junk filter calls junk goes to the Junk folder (once it has learned both kinds). */
  junkFilter: z.boolean().default(true),
  /** Mail in Junk longer than this is deleted for good (after a check for mail); 0: never. */
  deleteJunkAfterDays: z.number().int().min(0).max(3650).default(0),
  /** Queries kept as virtual folders in the sidebar, in the person's order. */
  savedSearches: z.array(SavedSearch).max(SAVED_SEARCHES_MAX).default([]),
  theme: Theme.default('system'),
});
export type Preferences = z.infer<typeof Preferences>;

export const PreferencesPatch = z.strictObject({
  allowRemoteContentFrom: Sender.optional(),
  disallowRemoteContentFrom: Sender.optional(),
  runInBackground: z.boolean().optional(),
  startAtLogin: z.boolean().optional(),
  notifyNewMail: z.boolean().optional(),
  emptyTrashAfterDays: z.number().int().min(0).max(3650).optional(),
  junkFilter: z.boolean().optional(),
  deleteJunkAfterDays: z.number().int().min(0).max(3650).optional(),
  /** Replaces the whole list (names must be unique: checked in main). */
  savedSearches: z.array(SavedSearch).max(SAVED_SEARCHES_MAX).optional(),
  theme: Theme.optional(),
});
export type PreferencesPatch = z.infer<typeof PreferencesPatch>;
