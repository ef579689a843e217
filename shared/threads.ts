/**
 * Conversations as the renderer learns them (issue 17 §3). Thread ids are derived in main
 * from the stored messages and are not journal truth: a merge of two threads renames one of
 * them, which would be a journal change for every message of it. So they travel on their own,
 * JMAP-style like the change feed: `threads({ since })` answers the conversations changed after
 * the caller's cursor (or all of them), and main pushes only the hint `threadsChanged`.
 *
 * Only conversations of two or more messages are sent: a message in none is a conversation of
 * its own. At 100,000 messages that keeps the first answer to the messages that have replies.
 */
import { z } from 'zod';

export const ThreadGroup = z.object({
  id: z.string(),
  /** Message ids, oldest first (across folders and accounts). */
  ids: z.array(z.string()),
});
export type ThreadGroup = z.infer<typeof ThreadGroup>;

/** Where a reader of the threads is: the index's life (a new process starts another) and its version. */
export const ThreadCursor = z.object({ epoch: z.string().max(64), version: z.number().int().nonnegative() });
export type ThreadCursor = z.infer<typeof ThreadCursor>;

export const ThreadsResult = z.object({
  epoch: z.string(),
  version: z.number(),
  /** true: `threads` are all the conversations (forget what you had); false: those changed since the cursor. */
  full: z.boolean(),
  /** Each with its whole membership now. */
  threads: z.array(ThreadGroup),
  /** Conversations that no longer exist (merged into another, or down to one message). */
  gone: z.array(z.string()),
});
export type ThreadsResult = z.infer<typeof ThreadsResult>;
