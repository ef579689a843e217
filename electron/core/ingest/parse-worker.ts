/**
 * A parse worker (worker_threads): takes stored files from parse-pool.ts, a few at a time, and
 * answers them in order with their summaries and search text (parse-stored.ts), so the parsing of
 * new mail runs beside the download instead of on main's thread with TLS decryption and the store.
 * Its own entry in the CLI bundle (build/bundle-cli.mjs) and a file of its own in the Electron build.
 *
 * Answers go back in batches (ANSWER_BATCH, or whatever is done when nothing else waits): each
 * message across threads costs both sides a wake-up and a serialization of its own (issue 18: at
 * 800 messages, 0.31 s of the worker's 1.05 s was postMessage and Buffers).
 */
import { parentPort } from 'node:worker_threads';
import { parseStored, ReadBuffer } from './parse-stored.js';

export interface ParseRequest {
  job: number;
  file: string;
  /** The file's bytes as the store wrote them (transferred, not copied); else the file is read. */
  bytes?: ArrayBuffer;
}

/** Jobs, in the order they are to be answered. */
export interface ParseRequests {
  jobs: ParseRequest[];
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

/** Sizes from which the pool gives a parse more time (a second per MB). */
export const BIG_NOTE = 1024 * 1024;

/** Answers held back at most before they are sent (fewer messages between the threads). */
export const ANSWER_BATCH = 8;

const port = parentPort;
if (port) {
  // This worker's own read buffer (DESIGN §7: not module-wide; main's thread reads into fresh ones).
  const reads = new ReadBuffer();
  const queue: ParseRequest[] = [];
  let answers: ParseAnswer[] = [];
  let running = false;
  const send = (): void => {
    if (answers.length === 0) return;
    port.postMessage({ answers } satisfies ParseAnswers);
    answers = [];
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
    const parsed = await parseStored(req.file, { blocking: reads, onSize, ...(req.bytes ? { bytes: Buffer.from(req.bytes) } : {}) });
    answers.push({ job: req.job, parsed });
    if (queue.length === 0 || answers.length >= ANSWER_BATCH) send();
    // Jobs the pool sent meanwhile arrive between two parses, not after the whole queue.
    if (queue.length > 0) setImmediate(() => void next());
    else running = false;
  };
  port.on('message', (req: ParseRequests) => {
    queue.push(...req.jobs);
    if (running || queue.length === 0) return;
    running = true;
    void next();
  });
  // Loaded: from here a failure is a message's doing, not the environment's (parse-pool.ts).
  port.postMessage({ ready: true } satisfies WorkerNote);
}
