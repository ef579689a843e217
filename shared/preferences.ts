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
});
export type Preferences = z.infer<typeof Preferences>;

export const PreferencesPatch = z.strictObject({
  allowRemoteContentFrom: Sender.optional(),
  disallowRemoteContentFrom: Sender.optional(),
});
export type PreferencesPatch = z.infer<typeof PreferencesPatch>;
