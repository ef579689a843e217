/**
 * What the parse pool (parse-pool.ts) and its workers (parse-worker.ts) must agree on, in a module
 * that imports nothing: a worker is loaded on its own (its own entry in the CLI bundle, its own
 * file in the Electron build), and when it took these from parse-pool.ts it loaded the pool too
 * (the CLI bundle put the pool and the worker's parsers in one shared chunk: ParsePool, node:os,
 * node:url, the semi-space reader, in every worker's start).
 */

/**
 * Answers are held at most this long after the pool's clock last started (the jobs' arrival at an
 * idle worker, or the last answers sent), unless the pool asks for less (ParseRequests.holdMs): the
 * pool restarts its timeout only when answers arrive, so a batch of slow messages held together
 * would be timed as one (eight of 4 s each lost a healthy worker at 30 s). Quick parses still go
 * eight to a message; a slow one's answer goes at once, and the clock is per message again.
 */
export const HOLD_MS = 1000;

/** Jobs a worker is given ahead of its answers. */
export const IN_FLIGHT = 16;

/**
 * A parse is allowed a second more per this many bytes of its message: the worker tells the pool
 * a job's size only from this size up (a note for a smaller one would change nothing and cost a
 * message each way per parse).
 */
export const BIG_NOTE = 1024 * 1024;

/**
 * Inside a sync announced to the pool (ParsePool.expect) a worker writes the text it keeps for the
 * search index at the sync's end (its flush), not each time it waits a second for the next message
 * (a big message downloading): in the sync the writes take CPU the download needs (two cores, the
 * server's TLS on one of them). Only a sync that stalls this long has the text written meanwhile;
 * a search with words asks for it at once either way (ParsePool.indexWritten).
 */
export const RUN_IDLE_WRITE_MS = 30_000;
