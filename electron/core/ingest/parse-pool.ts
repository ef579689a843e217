/**
 * Parse workers for new mail (issue 18: summaries off the thread that decrypts TLS and writes the
 * store; issue 17: the search text from the same read). A few worker threads take stored files'
 * paths in order and answer with parse-stored.ts's summary and text.
 *
 * - Bounded memory: the queue holds paths, and bytes main already had only for small messages
 *   and only up to HANDED_BYTES in all (parseBytes); a worker holds one file at a time.
 * - Jobs go to a worker a few at a time (IN_FLIGHT) and come back in batches (parse-worker.ts),
 *   so the worker does not sit idle while main's thread is busy, and fewer messages cross.
 * - A hostile message cannot stall a sync: a parse that throws the worker out, or takes longer
 *   than `timeoutMs`, gets the same fallback summary an unreadable file gets (no text), and the
 *   worker is replaced; after `MAX_LOSSES` workers lost in a row (each replacement costs a
 *   worker's start-up and up to its heap), parsing stays on the calling thread for the pool's life.
 * - A worker that has not loaded within `startupMs` of its start is given up as one that failed to
 *   load: its message and the rest are parsed on the calling thread (no job waits on it forever).
 * - Where no worker can start (no worker file beside this module, an environment without
 *   worker_threads), the same parse runs on the calling thread: same answers, as before.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { emptySummary, fallbackSummary, parseStored, type ParsedMessage } from './parse-stored.js';
import type { ParseAnswers, ParseRequest, ParseRequests, WorkerNote } from './parse-worker.js';
import type { IndexTarget } from '../search/index-writer.js';
import { startedSemiSpaceMb } from '../semi-space.js';
import { BIG_NOTE, HOLD_MS, IN_FLIGHT, RUN_IDLE_WRITE_MS } from './parse-limits.js';

/** A parse taking longer than this is given up (mailparser's own idle limit is 30 s). */
const TIMEOUT_MS = 30_000;
/**
 * A worker must have loaded its modules within this long of its start (~0.2 s CPU since
 * mailparser and zod load only on demand; far slower on a loaded machine); until then its
 * message's clock has not started (DESIGN §3.5: nothing waits forever).
 */
const STARTUP_MS = 15_000;
/**
 * Workers lost (a crash or a timeout each, a message's own) within the last LOSS_WINDOW jobs before
 * no more are started: mail that keeps throwing workers out would cost a start-up (its CPU, up to
 * its heap) per message, but a few hostile messages in a sync of hundreds must not put the rest of
 * the sync on the calling thread (review of session 10: two of them did, with three in a row).
 */
const MAX_LOSSES = 4;
const LOSS_WINDOW = 100;
/** Idle workers end after this long (each holds its own copy of the parsers' modules). */
const IDLE_MS = 10_000;
/**
 * A worker starts for a sync announced to bring more than this many messages (expect), before its
 * first one; otherwise only once this many parses came in one run (none more than RUN_GAP_MS after the
 * one before; before session 10: once this many waited on the calling thread): a worker's start (its
 * modules, ~0.2 s CPU since session 9; ~0.5 s before, when `popbox sync` of 43 messages took
 * 1.3 s CPU in-thread and 1.7–1.9 s with a worker) and its cold JIT cost more than a check
 * bringing a few dozen messages saves; a sync of hundreds backs up past this and gains (800:
 * main's CPU −28 %). Measured again in session 9 (loaded machine, medians of 3): with the
 * cheaper start, the worker's process CPU is no more than all-in-thread's (800: 3.4 vs 3.7 s;
 * 2,000: 9.2 vs 10.5 s), so the threshold stays.
 */
const START_AT = 64;
/** Parses further apart than this are not one run (START_AT). */
const RUN_GAP_MS = 1000;
/**
 * Bytes handed in (parseBytes) and not yet given to a worker, at most: beyond this the message
 * is parsed from its file later, as any other (DESIGN §3.5: no second copy of much mail in memory).
 */
export const HANDED_BYTES = 16 * 1024 * 1024;
/** A worker's heap at most: parsing is bounded by its budgets far below this. */
const HEAP_MB = 512;

/** A worker's young generation as main's: 3 × the semi-space main was started with (V8's rule). */
function youngGenerationOfMain(): { maxYoungGenerationSizeMb?: number } {
  const semi = startedSemiSpaceMb();
  return semi === undefined || semi === 0 ? {} : { maxYoungGenerationSizeMb: 3 * semi };
}

/**
 * How a worker is started: a file of its own, or (under tsx) source that registers tsx first;
 * `workerData` is given to the worker as it is (a test's { manual: true }: see parse-worker.ts).
 */
export type WorkerEntry = ({ file: URL } | { eval: string }) & { workerData?: unknown };

export interface ParsePoolOptions {
  /** Worker threads at most (default: one fewer than the cores, at least 1, at most 2). */
  size?: number;
  timeoutMs?: number;
  /** How long a worker may take to load before parsing moves to the calling thread. */
  startupMs?: number;
  idleMs?: number;
  /** The worker to start; null parses on the calling thread. Default: found beside this module. */
  entry?: WorkerEntry | null;
  /** Parses in one run before a worker is started (0: a worker from the first). */
  startAt?: number;
  /** How long a worker may hold answers (default: HOLD_MS, at most a tenth of the timeout). */
  holdMs?: number;
  /**
   * Tests only (search-after-sync.test.ts): N > 0 makes a worker's first index transaction hold
   * at most N messages and then stops that worker's thread for good (index-writer.ts), so a kill -9
   * is sure to land between its transactions. Given to each worker in its workerData.
   */
  indexPauseAfter?: number;
}

interface Job {
  id: number;
  file: string;
  /** Bytes handed in (parseBytes): transferred to the worker with the job, then gone from here. */
  bytes?: ArrayBuffer | undefined;
  /** Came with bytes (parseBytes), whether or not they are still here. */
  handed: boolean;
  /** The handed bytes' length (the fallback summary's size when the message throws its worker out). */
  size?: number;
  /** Where a worker writes the text (search/index-writer.ts); the calling thread answers with it. */
  index?: IndexTarget | undefined;
  /** A job with bytes answers null when it was not parsed (its worker was lost): the file is then parsed. */
  resolve: (p: ParsedMessage | null) => void;
  /** In flight when a worker was lost beside others: sent alone from now on, so a second loss is its own. */
  suspect?: boolean;
}

interface Slot {
  worker: Worker;
  /** Sent to the worker and not yet answered, oldest first (the worker answers in order). */
  jobs: Job[];
  timer: NodeJS.Timeout | null;
  /** Runs out if the worker has not loaded in time (cleared once it has). */
  startup: NodeJS.Timeout | null;
  /** The worker has loaded its modules (its first message says so). */
  ready: boolean;
  /** It keeps text of answered messages to write into the search index (its last answers said so; its `written` note clears it). */
  keeping: boolean;
}

export class ParsePool {
  private readonly size: number;
  private readonly timeoutMs: number;
  private readonly startupMs: number;
  private readonly idleMs: number;
  private readonly startAt: number;
  private readonly holdMs: number;
  private readonly indexPauseAfter: number;
  /**
   * A sync said how many messages it brings (expect) and has not said it is done (flush): a worker
   * keeps the text for the index until then rather than writing it whenever it is idle a moment.
   */
  private inSync = false;
  /**
   * The caller said no more parses are coming (flush) and none came since: a worker that has
   * answered all it had is told again, so it writes the text it kept into the search index and
   * closes its index connection.
   */
  private noMore = false;
  /** Callers of indexWritten waiting for the workers' index writes. */
  private writeWaiters: (() => void)[] = [];
  /** Parses in this run (START_AT) and when the last one came. */
  private inRun = 0;
  private lastParseAt = -Infinity;
  /** Handed bytes waiting in the queue or for the calling thread. */
  private queuedBytes = 0;
  private entry: WorkerEntry | null;
  private readonly queue: Job[] = [];
  private readonly slots = new Set<Slot>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Workers lost to a timeout or a crash (tests and diagnostics). */
  replaced = 0;
  /** Jobs sent to workers so far, and at which of them each recent loss happened (MAX_LOSSES). */
  private sent = 0;
  private losses: number[] = [];
  /** A pump waiting for this turn of the event loop to end (jobs added in one turn go in one message). */
  private pumpSoon: NodeJS.Immediate | null = null;

  constructor(opts: ParsePoolOptions = {}) {
    this.size = Math.max(1, opts.size ?? Math.min(2, Math.max(1, os.availableParallelism() - 1)));
    this.timeoutMs = opts.timeoutMs ?? TIMEOUT_MS;
    this.startupMs = opts.startupMs ?? STARTUP_MS;
    this.idleMs = opts.idleMs ?? IDLE_MS;
    this.startAt = opts.startAt ?? START_AT;
    // Answers held no longer than a tenth of the timeout (parse-worker.ts): the clock restarts on each arrival.
    this.holdMs = opts.holdMs ?? Math.min(HOLD_MS, Math.floor(this.timeoutMs / 10));
    this.indexPauseAfter = opts.indexPauseAfter ?? 0;
    this.entry = opts.entry === undefined ? findWorkerEntry() : opts.entry;
  }

  /** Worker threads running now. */
  get workers(): number {
    return this.slots.size;
  }

  /** Whether parsing runs in worker threads (false: on the calling thread). */
  get threaded(): boolean {
    return this.entry !== null;
  }

  /** The file's summary and search text (or, with `index`, maybe its rowid there instead). Never rejects. */
  parse(file: string, index?: IndexTarget): Promise<ParsedMessage> {
    this.noMore = false;
    if (!this.toWorkers()) return this.inThread(file);
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, file, handed: false, index, resolve: (p) => resolve(p!) });
      this.soon();
    });
  }

  /**
   * The summary and search text of `bytes`, a message's whole content as it is (or is about to
   * be) stored (`file`: which one, for diagnostics). Null, at once or later, where the pool did
   * not parse them (too many bytes waiting already, or its worker was lost): the caller then
   * parses the file. The buffer is the pool's from here (transferred to a worker: detached).
   */
  /** Whether `size` more handed bytes may wait here (parseBytes answers null at once otherwise). */
  hasRoom(size: number): boolean {
    // Jobs waiting for this turn's pump may go to a worker now, their bytes with them.
    if (this.queuedBytes + size > HANDED_BYTES) this.pumpNow();
    return this.queuedBytes + size <= HANDED_BYTES;
  }

  parseBytes(file: string, bytes: ArrayBuffer, index?: IndexTarget): Promise<ParsedMessage | null> {
    this.noMore = false;
    if (!this.hasRoom(bytes.byteLength)) return Promise.resolve(null);
    if (!this.toWorkers()) return this.inThread(file, bytes);
    this.queuedBytes += bytes.byteLength;
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, file, bytes, handed: true, size: bytes.byteLength, index, resolve });
      this.soon();
    });
  }

  /**
   * Pumps once this turn of the event loop ends: the messages a socket read completes are handed
   * one by one, and each postMessage costs both threads a wake-up and main ~0.15 ms (issue 18: 0.28 s
   * of main's CPU in a 2,000-message sync when each job went alone).
   */
  private soon(): void {
    this.pumpSoon ??= setImmediate(() => {
      this.pumpSoon = null;
      this.pump();
    });
  }

  /** The pump this turn was waiting for, now. */
  private pumpNow(): void {
    if (!this.pumpSoon) return;
    clearImmediate(this.pumpSoon);
    this.pumpSoon = null;
    this.pump();
  }

  /**
   * A sync is about to bring `count` messages (its plan, known before the first one downloads).
   * More than START_AT: a worker starts now, loading while the first messages download, and takes
   * the sync's parses from the first one (before: from the 65th, once 64 were parsed on main's
   * thread, which also copied their bytes for nothing). A check bringing a few is parsed here, as
   * before. Until the sync's flush, its worker keeps the text for the index (index-writer.ts) and
   * writes it then, not whenever it waits a moment for the next message.
   */
  expect(count: number): void {
    if (!this.entry || count <= this.startAt) return;
    this.inSync = true;
    if (this.slots.size > 0) return;
    const slot = this.start();
    if (!slot) return;
    // Only a parse in flight keeps the process alive (run()); an idle worker ends after idleMs (pump).
    slot.worker.unref();
    this.pump();
  }

  /** Whether this parse goes to the workers: a few are parsed here; a run of many (a sync) starts them. */
  private toWorkers(): boolean {
    if (!this.entry) return false;
    const now = performance.now();
    if (now - this.lastParseAt > RUN_GAP_MS) this.inRun = 0;
    this.lastParseAt = now;
    this.inRun++;
    return this.slots.size > 0 || this.inRun > this.startAt;
  }

  /**
   * No more parses are coming for now (a sync's end): each worker writes the text it kept into
   * the search index once it has answered all it has (parse-worker.ts).
   */
  flush(): void {
    this.noMore = true;
    this.inSync = false;
    // Jobs queued this turn go first, so the note follows them. Workers with nothing in hand
    // write and close their index connection at once.
    this.pumpNow();
    for (const slot of this.slots) slot.worker.postMessage({ jobs: [], flush: true, idleWriteMs: this.holdMs } satisfies ParseRequests);
  }

  /**
   * Resolves once the text the workers keep for the search index (index-writer.ts) is written,
   * or given up (a worker lost): a search waits for it. `now` asks them to write it at once
   * rather than at their sync's end or when they are idle.
   */
  indexWritten(now = true): Promise<void> {
    const keeping = [...this.slots].filter((s) => s.keeping);
    if (keeping.length === 0) return Promise.resolve();
    if (now) for (const slot of keeping) slot.worker.postMessage({ jobs: [], write: true } satisfies ParseRequests);
    return new Promise((resolve) => this.writeWaiters.push(resolve));
  }

  /** Callers of indexWritten are answered once no worker keeps text any more. */
  private written(): void {
    if ([...this.slots].some((s) => s.keeping)) return;
    for (const resolve of this.writeWaiters.splice(0)) resolve();
  }

  /** Ends every worker; queued and running parses finish on the calling thread. */
  async close(): Promise<void> {
    if (this.pumpSoon) clearImmediate(this.pumpSoon);
    this.pumpSoon = null;
    const left: Job[] = [];
    for (const slot of [...this.slots]) {
      left.push(...slot.jobs);
      this.drop(slot);
    }
    left.push(...this.unqueue());
    this.entry = null;
    for (const job of left) await this.answerHere(job);
  }

  private pump(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    while (this.queue.length && this.entry) {
      // A suspect goes alone to a worker with nothing in hand, and nothing follows it until it is answered.
      const alone = this.queue[0]!.suspect === true;
      let slot: Slot | null | undefined = [...this.slots].find((s) => (alone ? s.jobs.length === 0 : s.jobs.length < IN_FLIGHT && !s.jobs[0]?.suspect));
      if (!slot) {
        if (this.slots.size >= this.size) return;
        slot = this.start();
        if (!slot) continue; // could not start: the queue went to the calling thread
      }
      this.run(slot, alone ? 1 : IN_FLIGHT - slot.jobs.length);
    }
    if (this.queue.length === 0 && [...this.slots].every((s) => s.jobs.length === 0) && this.slots.size) {
      this.idleTimer = setTimeout(() => {
        for (const s of [...this.slots]) if (s.jobs.length === 0 && !s.keeping) this.drop(s);
      }, this.idleMs);
      this.idleTimer.unref();
    }
  }

  private start(): Slot | null {
    const entry = this.entry!;
    let worker: Worker;
    try {
      // A message that makes a parser hoard memory ends its worker (then the fallback), not the app.
      // The young generation main was started with: `popbox` runs node with --max-semi-space-size=2
      // (issue 18 P3), and cli/heap-flag.ts sets the flag back once main's heap is made (to keep
      // node's code cache), so a worker would grow its own to 32 MB; 3 × the semi-space gives it
      // the same 4 MB new_space as main. The app passes its flag to V8 (--js-flags), not to node:
      // while V8's flag is set, every isolate takes it and a worker's maxYoungGenerationSizeMb is
      // ignored (Node 20.20: 6, 12 or 48 given under --max-semi-space-size=8, new_space 16 MB each).
      const resourceLimits = { maxOldGenerationSizeMb: HEAP_MB, ...youngGenerationOfMain() };
      const workerData = this.indexPauseAfter > 0 ? { ...(entry.workerData as object | undefined), indexPauseAfter: this.indexPauseAfter } : entry.workerData;
      const opts = { resourceLimits, ...(workerData === undefined ? {} : { workerData }) };
      worker = 'file' in entry ? new Worker(entry.file, opts) : new Worker(entry.eval, { eval: true, ...opts });
    } catch {
      this.noWorkers();
      return null;
    }
    const slot: Slot = { worker, jobs: [], timer: null, startup: null, ready: false, keeping: false };
    worker.on('message', (a: ParseAnswers | WorkerNote) => {
      if ('written' in a) {
        slot.keeping = false;
        if (slot.jobs.length === 0) slot.worker.unref();
        this.written();
        this.pump(); // its idle time starts again
        return;
      }
      if ('ready' in a) {
        slot.ready = true;
        if (slot.startup) clearTimeout(slot.startup);
        slot.startup = null;
        if (slot.jobs.length) this.arm(slot, 0);
        return;
      }
      if ('size' in a) {
        // A big message may take longer: a second more per MB it has (the worker sends what it
        // had answered first, so this is the oldest job in hand).
        if (slot.jobs[0]?.id === a.job) this.arm(slot, a.size);
        return;
      }
      // Kept text keeps the process (a CLI sync) alive until it is written, as a parse in flight does.
      slot.keeping = a.keeping;
      let answered = false;
      for (const { job: id, parsed } of a.answers) {
        const job = slot.jobs[0];
        if (!job || job.id !== id) continue;
        slot.jobs.shift();
        answered = true;
        job.resolve(parsed);
      }
      if (!answered) return;
      // The next job's clock starts now (it may have started on it a little earlier: more lenient).
      if (slot.jobs.length) this.arm(slot, 0);
      else this.finish(slot);
      this.pump();
      // All answered after no more were said to come: the note again, so the worker writes its kept text and closes its index connection.
      if (this.noMore && slot.jobs.length === 0) worker.postMessage({ jobs: [], flush: true } satisfies ParseRequests);
    });
    // A worker that fails before it has loaded cannot run here (a missing module, a packaged app
    // that cannot start one): parse on the calling thread from now on, same answers. One that
    // loaded was thrown out by a message: that message gets the fallback, a new worker the rest.
    const failed = (): void => {
      if (!this.slots.has(slot)) return;
      if (slot.ready) return this.lose(slot);
      this.cannotLoad(slot);
    };
    worker.on('error', failed);
    worker.on('exit', failed);
    // One that never finishes loading is one that cannot: a worker takes no message before it
    // has loaded, so its message is not to blame and gets its real answer on the calling thread.
    slot.startup = setTimeout(() => {
      if (this.slots.has(slot) && !slot.ready) this.cannotLoad(slot);
    }, this.startupMs);
    this.slots.add(slot);
    return slot;
  }

  /** The worker did not load: it and every later parse go to the calling thread, its jobs first. */
  private cannotLoad(slot: Slot): void {
    const jobs = slot.jobs;
    this.drop(slot);
    // Its jobs are answered here (not their fault); handed bytes went with it (null: the file is parsed).
    this.queue.unshift(...jobs);
    this.noWorkers();
  }

  /**
   * The message's clock starts once its worker is ready (starting one under load takes a while);
   * until then the worker's start-up deadline bounds the wait.
   */
  private arm(slot: Slot, size: number): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = setTimeout(() => this.lose(slot), this.timeoutMs + Math.floor(size / BIG_NOTE) * 1000);
  }

  /** Sends up to `n` queued jobs to the worker in one message, handed bytes transferred (not copied). */
  private run(slot: Slot, n: number): void {
    const jobs = this.queue.splice(0, n);
    const requests: ParseRequest[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const job of jobs) {
      if (job.bytes) {
        this.queuedBytes -= job.bytes.byteLength;
        requests.push({ job: job.id, file: job.file, bytes: job.bytes, ...(job.index ? { index: job.index } : {}) });
        transfer.push(job.bytes);
        job.bytes = undefined; // detached by the transfer
      } else requests.push({ job: job.id, file: job.file, ...(job.index ? { index: job.index } : {}) });
    }
    const idle = slot.jobs.length === 0;
    this.sent += jobs.length;
    slot.jobs.push(...jobs);
    slot.worker.ref(); // a parse in flight keeps the process (a CLI sync) alive; an idle worker does not
    if (slot.ready && idle) this.arm(slot, 0);
    // In a sync its kept text waits for the flush (or a stall of RUN_IDLE_WRITE_MS); otherwise it is written once the worker idles.
    const idleWriteMs = this.inSync ? RUN_IDLE_WRITE_MS : this.holdMs;
    slot.worker.postMessage({ jobs: requests, holdMs: this.holdMs, idleWriteMs } satisfies ParseRequests, transfer);
  }

  private finish(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    if (!slot.keeping) slot.worker.unref();
  }

  /**
   * The worker took too long or was thrown out. Alone with one job, that message gets the
   * fallback summary (a handed one too, with its bytes' size: parsing its file on the calling
   * thread would run the same parser into the same trouble, on main). With several in hand it
   * cannot be told which one did it: each is sent again alone (a suspect), so the next loss is
   * that message's own; handed bytes went with the worker, so those jobs answer null (their
   * files are parsed instead).
   */
  private lose(slot: Slot): void {
    const jobs = slot.jobs;
    this.drop(slot);
    this.replaced++;
    if (jobs.length === 1) {
      const job = jobs[0]!;
      // No text either: the index must not try the same message again on main's thread.
      const none = { body: '', files: '' };
      if (job.handed) job.resolve({ summary: { ...emptySummary(), size: job.size ?? 0 }, text: none });
      else void fallbackSummary(job.file).then((summary) => job.resolve({ summary, text: none }));
      // Mail that keeps throwing workers out: parse on the calling thread, as where none can start.
      this.losses = [...this.losses.filter((at) => at > this.sent - LOSS_WINDOW), this.sent];
      if (this.losses.length >= MAX_LOSSES) return this.noWorkers();
    } else {
      const again: Job[] = [];
      for (const job of jobs) {
        if (job.handed) job.resolve(null);
        else again.push({ ...job, suspect: true });
      }
      this.queue.unshift(...again);
    }
    this.pump();
  }

  private drop(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    if (slot.startup) clearTimeout(slot.startup);
    slot.jobs = [];
    this.slots.delete(slot);
    // Text it kept for the index is gone with it: those messages have no row, and main's index writes them.
    slot.keeping = false;
    this.written();
    slot.worker.removeAllListeners();
    slot.worker.on('error', () => {});
    void slot.worker.terminate();
  }

  private noWorkers(): void {
    this.entry = null;
    for (const job of this.unqueue()) void this.answerHere(job);
  }

  /** Empties the queue (its handed bytes no longer count: answerHere counts them again). */
  private unqueue(): Job[] {
    const jobs = this.queue.splice(0);
    for (const job of jobs) if (job.bytes) this.queuedBytes -= job.bytes.byteLength;
    return jobs;
  }

  /** A job the workers did not answer, on the calling thread (one whose handed bytes went with a worker: null). */
  private async answerHere(job: Job): Promise<void> {
    job.resolve(job.handed && !job.bytes ? null : await this.inThread(job.file, job.bytes));
  }

  private lastInThread: Promise<unknown> = Promise.resolve();

  /** On the calling thread, one file at a time in order (as before the workers): never many parsers at once. */
  private inThread(file: string, bytes?: ArrayBuffer): Promise<ParsedMessage> {
    // Handed bytes waiting here count against HANDED_BYTES too (a parse that needs mailparser waits for its streams).
    if (bytes) this.queuedBytes += bytes.byteLength;
    const next = this.lastInThread.then(() => {
      if (bytes) this.queuedBytes -= bytes.byteLength;
      return parseStored(file, bytes ? { bytes: Buffer.from(bytes) } : {});
    });
    this.lastInThread = next;
    return next;
  }
}

/**
 * The worker beside this module: parse-worker.js in the Electron build (tsc), parse-worker.mjs
 * in the CLI bundle (this code may sit in a chunk one folder down), or, running from source under
 * tsx (dev, the web host, the tests), parse-worker.ts loaded through tsx's loader. Null where
 * none is found: parsing stays on the calling thread.
 */
export function findWorkerEntry(): WorkerEntry | null {
  let here: string;
  try {
    here = fileURLToPath(import.meta.url);
  } catch {
    return null;
  }
  const dir = path.dirname(here);
  if (here.endsWith('.ts')) {
    const source = path.join(dir, 'parse-worker.ts');
    const tsx = tsxApi(dir);
    if (!tsx || !fs.existsSync(source)) return null;
    return { eval: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(source).href)}); });` };
  }
  for (const candidate of [path.join(dir, 'parse-worker.js'), path.join(dir, 'parse-worker.mjs'), path.join(dir, '..', 'parse-worker.mjs')]) {
    if (candidate !== here && fs.existsSync(candidate)) return { file: pathToFileURL(candidate) };
  }
  return null;
}

/** tsx's ESM API (register()) as a file URL, or null where tsx is not installed. */
function tsxApi(from: string): string | null {
  try {
    const pkg = createRequire(path.join(from, 'x.js')).resolve('tsx/package.json');
    const api = path.join(path.dirname(pkg), 'dist', 'esm', 'api', 'index.mjs');
    return fs.existsSync(api) ? pathToFileURL(api).href : null;
  } catch {
    return null;
  }
}

let shared: ParsePool | null = null;

/** The process's one pool, created at first use (with `opts`: a test's child process sets them before anything parses). */
export function parsePool(opts?: ParsePoolOptions): ParsePool {
  return (shared ??= new ParsePool(opts));
}
