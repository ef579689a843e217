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
import { BIG_NOTE, HOLD_MS } from './parse-limits.js';
import { IndexWriter, type IndexTarget } from '../search/index-writer.js';
import { parseStored, ReadBuffer } from './parse-stored.js';

export interface ParseRequest {
  job: number;
  file: string;
  /** The file's bytes as the store wrote them (transferred, not copied); else the file is read. */
  bytes?: ArrayBuffer;
  /** The search index to write the text into here (search/index-writer.ts), instead of answering with it. */
  index?: IndexTarget;
}

/** Jobs, in the order they are to be answered. */
export interface ParseRequests {
  jobs: ParseRequest[];
  /**
   * No more jobs are coming for now (the end of a sync): with nothing in hand, the text kept for
   * the index is written and the index connection closes.
   */
  flush?: boolean;
  /** Write the text kept for the index now (a search is waiting for it: ParsePool.indexWritten). */
  write?: boolean;
  /** How long answers may be held (HOLD_MS), from the pool's timeout. */
  holdMs?: number;
  /**
   * How long the worker may sit idle with text kept for the index before it writes it: the hold
   * time, or in a sync RUN_IDLE_WRITE_MS (the sync's flush writes it; parse-limits.ts).
   */
  idleWriteMs?: number;
}

export interface ParseAnswer {
  job: number;
  parsed: Awaited<ReturnType<typeof parseStored>>;
}

/** Answers, in the order their jobs came; whether text is kept for the index after them. */
export interface ParseAnswers {
  answers: ParseAnswer[];
  keeping: boolean;
}

/**
 * Besides answers: loaded; the size of the file a job is about (the pool allows big ones longer);
 * the text kept for the index is written (or given up), none kept now.
 */
export type WorkerNote = { ready: true } | { job: number; size: number } | { written: true };

/** Answers held back at most before they are sent (fewer messages between the threads). */
export const ANSWER_BATCH = 8;

/** What a worker is started with (WorkerEntry.workerData): a test's parser of its own, a test's index pause. */
interface WorkerOptions {
  manual?: boolean;
  indexPauseAfter?: number;
}

/** The worker's loop: jobs in, answers out in order (exported so a test can give it a parser of its own). */
export function serveParses(port: MessagePort, parse: typeof parseStored = parseStored, opts: WorkerOptions | null = workerData as WorkerOptions | null): void {
  // This worker's own read buffer (DESIGN §7: not module-wide; main's thread reads into fresh ones).
  const reads = new ReadBuffer();
  const index = new IndexWriter({ pauseAfter: opts?.indexPauseAfter ?? 0 });
  const queue: ParseRequest[] = [];
  let answers: ParseAnswer[] = [];
  let running = false;
  let holdMs = HOLD_MS;
  /** Writes the kept text once the worker has been idle idleWriteMs without the pool's note. */
  let idleWrite: NodeJS.Timeout | null = null;
  let idleWriteMs = HOLD_MS;
  /** When the pool last started a job's clock (as near as this side can tell). */
  let clockAt = performance.now();
  const send = (): void => {
    clockAt = performance.now();
    if (answers.length === 0) return;
    port.postMessage({ answers, keeping: index.holding > 0 } satisfies ParseAnswers);
    answers = [];
  };
  /** The kept text into the index (index-writer.ts), after the answers it belongs to; then the pool is told. */
  const write = (): void => {
    if (idleWrite) clearTimeout(idleWrite);
    idleWrite = null;
    send();
    if (index.holding === 0) return;
    index.write();
    port.postMessage({ written: true } satisfies WorkerNote);
  };
  const next = async (): Promise<void> => {
    const req = queue.shift()!;
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
    // Its text is kept for the index, written once the sync's parses are answered (index-writer.ts).
    index.defer(req.index, parsed);
    answers.push({ job: req.job, parsed });
    if (index.full) write();
    else if (answers.length >= ANSWER_BATCH || performance.now() - clockAt >= holdMs || queue.length === 0) send();
    // Jobs the pool sent meanwhile arrive between two parses, not after the whole queue.
    if (queue.length > 0) setImmediate(() => void next());
    else {
      running = false;
      // Idle without the pool's note (a single parse, a sync that stalls): the CPU is free now.
      if (index.holding > 0 && !idleWrite) idleWrite = setTimeout(write, idleWriteMs);
    }
  };
  port.on('message', (req: ParseRequests) => {
    if (req.holdMs !== undefined) holdMs = req.holdMs;
    if (req.idleWriteMs !== undefined) idleWriteMs = req.idleWriteMs;
    if (req.write) write();
    if (req.jobs.length === 0) {
      if (!req.flush || running) return;
      // Nothing in hand and no more coming (the pool sends this note again once all it had is
      // answered): the kept text is written, and the index connection closed, so the file can be
      // removed and made anew (search-index.ts, a damaged index: Windows cannot remove an open
      // file) without waiting for this worker to idle out. The next sync opens it again (~1 ms).
      write();
      index.close();
      return;
    }
    if (idleWrite) clearTimeout(idleWrite);
    idleWrite = null;
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
if (parentPort && (workerData as WorkerOptions | null)?.manual !== true) serveParses(parentPort);
