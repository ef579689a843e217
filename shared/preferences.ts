/** App-wide preferences kept by main (the renderer's Dexie is only a cache). */
import { z } from 'zod';

const Sender = z
  .string()
  .trim()
  .toLowerCase()
  .min(3)
  .max(254)
  .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address');

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
});
export type PreferencesPatch = z.infer<typeof PreferencesPatch>;
