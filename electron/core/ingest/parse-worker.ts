/**
 * A parse worker (worker_threads): takes stored files' paths from parse-pool.ts one at a time and
 * answers each with its summary and search text (parse-stored.ts), so the parsing of new mail
 * runs beside the download instead of on main's thread with TLS decryption and the store.
 * Its own entry in the CLI bundle (build/bundle-cli.mjs) and a file of its own in the Electron build.
 */
import { parentPort } from 'node:worker_threads';
import { parseStored } from './parse-stored.js';

export interface ParseRequest {
  job: number;
  file: string;
}

export interface ParseAnswer {
  job: number;
  parsed: Awaited<ReturnType<typeof parseStored>>;
}

/** Besides answers: loaded, and the size of the file a job is about (the pool allows big ones longer). */
export type WorkerNote = { ready: true } | { job: number; size: number };

/** Sizes from which the pool gives a parse more time (a second per MB). */
export const BIG_NOTE = 1024 * 1024;

const port = parentPort;
if (port) {
  port.on('message', (req: ParseRequest) => {
    // parseStored never throws; a parser that throws synchronously deep inside, or never
    // returns, is the pool's to handle (the worker is replaced).
    // Only a message of a megabyte or more is allowed longer (parse-pool.ts arm): a note for a
    // smaller one would change nothing and cost a message each way per parse.
    const onSize = (size: number): void => {
      if (size >= BIG_NOTE) port.postMessage({ job: req.job, size } satisfies WorkerNote);
    };
    void parseStored(req.file, { blocking: true, onSize }).then((parsed) => port.postMessage({ job: req.job, parsed } satisfies ParseAnswer));
  });
  // Loaded: from here a failure is a message's doing, not the environment's (parse-pool.ts).
  port.postMessage({ ready: true } satisfies WorkerNote);
}
