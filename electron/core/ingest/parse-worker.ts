/**
 * A parse worker (worker_threads): takes stored files from parse-pool.ts, a few at a time, and
 * answers them in order with their summaries and search text (parse-stored.ts), so the parsing of
 * new mail runs beside the download instead of on main's thread with TLS decryption and the store.
 * Its own entry in the CLI bundle (build/bundle-cli.mjs) and a file of its own in the Electron build.
 *
 * Answers go back in batches (ANSWER_BATCH, whatever is done when nothing else waits, or what is
 * done once HOLD_MS passed (parse-limits.ts), so the pool's timeout stays per message): each
 * message across threads costs both sides a wake-up and a serialization of its own (issue 18: at
 * 800 messages, 0.31 s of the worker's 1.05 s was postMessage and Buffers).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { BIG_NOTE, HOLD_MS, IN_FLIGHT } from './parse-limits.js';
import { IndexWriter, type IndexTarget } from '../search/index-writer.js';
import { parseStored, ReadBuffer } from './parse-stored.js';

export interface ParseRequest {
  job: number;
  file: string;
  /** The file's bytes as the store wrote them (transferred, not copied); else the file is read. */
  bytes?: ArrayBuffer;
  /** The search index to write the text into here (search/index-writer.ts), instead of answering with it. */
  index?: IndexTarget;
  /** Its sync said no more are coming (ParsePool.flush): its answer is not held for the index. */
  last?: boolean;
}

/** Jobs, in the order they are to be answered. */
export interface ParseRequests {
  jobs: ParseRequest[];
  /**
   * No more jobs are coming for now (the end of a sync): every job in hand is a last one (its
   * answer goes as soon as the queue runs dry); with nothing in hand the index connection closes.
   */
  flush?: boolean;
  /** How long answers may be held (HOLD_MS), from the pool's timeout. */
  holdMs?: number;
}

export interface ParseAnswer {
  job: number;
  parsed: Awaited<ReturnType<typeof parseStored>>;
}

/** Answers, in the order their jobs came. */
export interface ParseAnswers {
  answers: ParseAnswer[];
}

/** Besides answers: loaded, and the size of the file a job is about (the pool allows big ones longer). */
export type WorkerNote = { ready: true } | { job: number; size: number };

/** Answers held back at most before they are sent (fewer messages between the threads). */
export const ANSWER_BATCH = 8;

/**
 * Answers whose text this worker writes into the search index are held up to this many (the
 * pool's IN_FLIGHT: no more are in hand), and not sent merely because the queue ran dry: each
 * write is one FTS5 transaction, and one of 16 costs about half the CPU per message of one of 1
 * (a worker faster than the download would otherwise write one message at a time). They still go
 * once HOLD_MS passed, or as soon as the worker's queue runs dry once the pool said no more are
 * coming: the pool's note marks every job in hand, and jobs still queued in the pool then come
 * marked `last` (a sync's last < 16 answers waited HOLD_MS when the pool had more queued than a
 * worker takes at once; the marks are per job, since in the app another account's sync may send
 * jobs meanwhile).
 */
export const INDEX_BATCH = IN_FLIGHT;

/** The worker's loop: jobs in, answers out in order (exported so a test can give it a parser of its own). */
export function serveParses(port: MessagePort, parse: typeof parseStored = parseStored): void {
  // This worker's own read buffer (DESIGN §7: not module-wide; main's thread reads into fresh ones).
  const reads = new ReadBuffer();
  const index = new IndexWriter();
  const queue: ParseRequest[] = [];
  let answers: ParseAnswer[] = [];
  let running = false;
  let holdMs = HOLD_MS;
  /**
   * Jobs up to this id are their sync's last (the pool's note or their own mark): answers of these
   * are not held for the index once the queue runs dry, whatever jobs of another sync (a second
   * account's, in the app) come meanwhile. Ids grow with each job the pool takes.
   */
  let lastUpTo = -1;
  /** The answers held include a last one. */
  let lastHeld = false;
  /** The job being parsed, if any. */
  let current = -1;
  let holdTimer: NodeJS.Timeout | null = null;
  /** When the pool last started a job's clock (as near as this side can tell). */
  let clockAt = performance.now();
  const send = (): void => {
    clockAt = performance.now();
    if (holdTimer) clearTimeout(holdTimer);
    holdTimer = null;
    lastHeld = false;
    if (answers.length === 0) return;
    // The held answers' text goes into the index in one transaction, before they leave.
    index.flush();
    port.postMessage({ answers } satisfies ParseAnswers);
    answers = [];
  };
  const next = async (): Promise<void> => {
    const req = queue.shift()!;
    current = req.job;
    // Only a message of a megabyte or more is allowed longer (parse-pool.ts arm): a note for a
    // smaller one would change nothing and cost a message each way per parse. The answers held
    // go first, so the pool knows this is the job in hand.
    const onSize = (size: number): void => {
      if (size < BIG_NOTE) return;
      send();
      port.postMessage({ job: req.job, size } satisfies WorkerNote);
    };
    // parseStored never throws; a parser that throws synchronously deep inside, or never
    // returns, is the pool's to handle (the worker is replaced).
    const parsed = await parse(req.file, { blocking: reads, onSize, ...(req.bytes ? { bytes: Buffer.from(req.bytes) } : {}) });
    index.hold(req.index, parsed);
    answers.push({ job: req.job, parsed });
    current = -1;
    if (req.job <= lastUpTo) lastHeld = true;
    const forIndex = index.holding > 0;
    if (answers.length >= (forIndex ? INDEX_BATCH : ANSWER_BATCH) || performance.now() - clockAt >= holdMs || (queue.length === 0 && (lastHeld || !forIndex))) send();
    // Held for the index with nothing to do: they go when their time is up, if nothing comes first.
    else if (queue.length === 0 && !holdTimer) holdTimer = setTimeout(send, Math.max(0, clockAt + holdMs - performance.now()));
    // Jobs the pool sent meanwhile arrive between two parses, not after the whole queue.
    if (queue.length > 0) setImmediate(() => void next());
    else running = false;
  };
  port.on('message', (req: ParseRequests) => {
    if (req.holdMs !== undefined) holdMs = req.holdMs;
    for (const job of req.jobs) if (job.last) lastUpTo = Math.max(lastUpTo, job.job);
    if (req.flush) {
      // Everything in hand now is its sync's last.
      for (const job of [...queue, ...req.jobs]) lastUpTo = Math.max(lastUpTo, job.job);
      lastUpTo = Math.max(lastUpTo, current);
      if (answers.length) lastHeld = true;
    }
    if (req.jobs.length === 0) {
      if (!req.flush || running) return;
      send();
      // Nothing in hand and no more coming (the pool sends this note again once all it had is
      // answered): the index connection is closed, so the file can be removed and made anew
      // (search-index.ts, a damaged index: Windows cannot remove an open file) without waiting
      // for this worker to idle out. The next sync opens it again (~1 ms).
      index.close();
      return;
    }
    queue.push(...req.jobs);
    if (running || queue.length === 0) return;
    // Jobs to an idle worker: the pool starts the first one's clock as it sends them (unless
    // answers are still held: its clock runs from the last answers).
    if (answers.length === 0) clockAt = performance.now();
    running = true;
    void next();
  });
  // Loaded: from here a failure is a message's doing, not the environment's (parse-pool.ts).
  port.postMessage({ ready: true } satisfies WorkerNote);
}

// A test that serves with a parser of its own starts the worker with { manual: true } (WorkerEntry.workerData).
if (parentPort && (workerData as { manual?: boolean } | null)?.manual !== true) serveParses(parentPort);
