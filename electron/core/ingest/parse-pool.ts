/**
 * Parse workers for new mail (issue 18: summaries off the thread that decrypts TLS and writes the
 * store; issue 17: the search text from the same read). A few worker threads take stored files'
 * paths in order and answer with parse-stored.ts's summary and text.
 *
 * - Bounded memory: the queue holds paths, never contents; a worker holds one file at a time.
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
import { fallbackSummary, parseStored, type ParsedMessage } from './parse-stored.js';
import type { ParseAnswer, ParseRequest, WorkerNote } from './parse-worker.js';

/** A parse taking longer than this is given up (mailparser's own idle limit is 30 s). */
const TIMEOUT_MS = 30_000;
/**
 * A worker must have loaded its modules within this long of its start (~0.2 s CPU since
 * mailparser and zod load only on demand; far slower on a loaded machine); until then its
 * message's clock has not started (DESIGN §3.5: nothing waits forever).
 */
const STARTUP_MS = 15_000;
/** Workers lost in a row (a crash or a timeout each, no answer between) before no more are started. */
const MAX_LOSSES = 3;
/** Idle workers end after this long (each holds its own copy of the parsers' modules). */
const IDLE_MS = 10_000;
/**
 * A worker starts only once this many parses wait on the calling thread: a worker's start (its
 * modules, ~0.2 s CPU since session 9; ~0.5 s before, when `popbox sync` of 43 messages took
 * 1.3 s CPU in-thread and 1.7–1.9 s with a worker) and its cold JIT cost more than a check
 * bringing a few dozen messages saves; a sync of hundreds backs up past this and gains (800:
 * main's CPU −28 %). Measured again in session 9 (loaded machine, medians of 3): with the
 * cheaper start, the worker's process CPU is no more than all-in-thread's (800: 3.4 vs 3.7 s;
 * 2,000: 9.2 vs 10.5 s), so the threshold stays.
 */
const START_AT = 64;
/** A worker's heap at most: parsing is bounded by its budgets far below this. */
const HEAP_MB = 512;

/** How a worker is started: a file of its own, or (under tsx) source that registers tsx first. */
export type WorkerEntry = { file: URL } | { eval: string };

export interface ParsePoolOptions {
  /** Worker threads at most (default: one fewer than the cores, at least 1, at most 2). */
  size?: number;
  timeoutMs?: number;
  /** How long a worker may take to load before parsing moves to the calling thread. */
  startupMs?: number;
  idleMs?: number;
  /** The worker to start; null parses on the calling thread. Default: found beside this module. */
  entry?: WorkerEntry | null;
  /** Parses waiting on the calling thread before a worker is started (0: a worker from the first). */
  startAt?: number;
}

interface Job {
  id: number;
  file: string;
  resolve: (p: ParsedMessage) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  timer: NodeJS.Timeout | null;
  /** Runs out if the worker has not loaded in time (cleared once it has). */
  startup: NodeJS.Timeout | null;
  /** The worker has loaded its modules (its first message says so). */
  ready: boolean;
}

export class ParsePool {
  private readonly size: number;
  private readonly timeoutMs: number;
  private readonly startupMs: number;
  private readonly idleMs: number;
  private readonly startAt: number;
  /** Parses queued or running on the calling thread. */
  private waitingInThread = 0;
  private entry: WorkerEntry | null;
  private readonly queue: Job[] = [];
  private readonly slots = new Set<Slot>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Workers lost to a timeout or a crash (tests and diagnostics). */
  replaced = 0;
  /** Workers lost since the last answer one gave. */
  private lostInRow = 0;

  constructor(opts: ParsePoolOptions = {}) {
    this.size = Math.max(1, opts.size ?? Math.min(2, Math.max(1, os.availableParallelism() - 1)));
    this.timeoutMs = opts.timeoutMs ?? TIMEOUT_MS;
    this.startupMs = opts.startupMs ?? STARTUP_MS;
    this.idleMs = opts.idleMs ?? IDLE_MS;
    this.startAt = opts.startAt ?? START_AT;
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

  /** The file's summary and search text. Never rejects. */
  parse(file: string): Promise<ParsedMessage> {
    if (!this.entry) return this.inThread(file);
    // A few messages are parsed here; a backlog (a sync bringing many) starts the workers.
    if (this.slots.size === 0 && this.waitingInThread < this.startAt) return this.inThread(file);
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, file, resolve });
      this.pump();
    });
  }

  /** Ends every worker; queued and running parses finish on the calling thread. */
  async close(): Promise<void> {
    const left = [...this.queue];
    this.queue.length = 0;
    for (const slot of [...this.slots]) {
      if (slot.job) left.push(slot.job);
      this.drop(slot);
    }
    this.entry = null;
    for (const job of left) job.resolve(await this.inThread(job.file));
  }

  private pump(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    while (this.queue.length && this.entry) {
      let slot: Slot | null | undefined = [...this.slots].find((s) => !s.job);
      if (!slot) {
        if (this.slots.size >= this.size) return;
        slot = this.start();
        if (!slot) continue; // could not start: the queue went to the calling thread
      }
      this.run(slot, this.queue.shift()!);
    }
    if (this.queue.length === 0 && [...this.slots].every((s) => !s.job) && this.slots.size) {
      this.idleTimer = setTimeout(() => {
        for (const s of [...this.slots]) if (!s.job) this.drop(s);
      }, this.idleMs);
      this.idleTimer.unref();
    }
  }

  private start(): Slot | null {
    const entry = this.entry!;
    let worker: Worker;
    try {
      // A message that makes a parser hoard memory ends its worker (then the fallback), not the app.
      const resourceLimits = { maxOldGenerationSizeMb: HEAP_MB };
      worker = 'file' in entry ? new Worker(entry.file, { resourceLimits }) : new Worker(entry.eval, { eval: true, resourceLimits });
    } catch {
      this.noWorkers();
      return null;
    }
    const slot: Slot = { worker, job: null, timer: null, startup: null, ready: false };
    worker.on('message', (a: ParseAnswer | WorkerNote) => {
      if ('ready' in a) {
        slot.ready = true;
        if (slot.startup) clearTimeout(slot.startup);
        slot.startup = null;
        if (slot.job) this.arm(slot, 0);
        return;
      }
      if ('size' in a) {
        // A big message may take longer: a second more per MB it has.
        if (slot.job?.id === a.job) this.arm(slot, a.size);
        return;
      }
      const job = slot.job;
      if (!job || job.id !== a.job) return;
      this.lostInRow = 0;
      this.finish(slot);
      job.resolve(a.parsed);
      this.pump();
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

  /** The worker did not load: it and every later parse go to the calling thread, its job first. */
  private cannotLoad(slot: Slot): void {
    const job = slot.job;
    this.drop(slot);
    if (job) this.queue.unshift(job);
    this.noWorkers();
  }

  /**
   * The message's clock starts once its worker is ready (starting one under load takes a while);
   * until then the worker's start-up deadline bounds the wait.
   */
  private arm(slot: Slot, size: number): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = setTimeout(() => this.lose(slot), this.timeoutMs + Math.floor(size / (1024 * 1024)) * 1000);
  }

  private run(slot: Slot, job: Job): void {
    slot.job = job;
    slot.worker.ref(); // a parse in flight keeps the process (a CLI sync) alive; an idle worker does not
    if (slot.ready) this.arm(slot, 0);
    slot.worker.postMessage({ job: job.id, file: job.file } satisfies ParseRequest);
  }

  private finish(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
    slot.worker.unref();
  }

  /** The worker's message took too long or threw it out: that message gets the fallback summary. */
  private lose(slot: Slot): void {
    const job = slot.job;
    this.drop(slot);
    this.replaced++;
    // No text either: the index must not try the same message again on main's thread.
    if (job) void fallbackSummary(job.file).then((summary) => job.resolve({ summary, text: { body: '', files: '' } }));
    // Mail that keeps throwing workers out would cost a new one (its start-up CPU, up to its
    // heap) per message: after a few in a row, parse on the calling thread as where none can start.
    if (++this.lostInRow >= MAX_LOSSES) this.noWorkers();
    else this.pump();
  }

  private drop(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    if (slot.startup) clearTimeout(slot.startup);
    slot.job = null;
    this.slots.delete(slot);
    slot.worker.removeAllListeners();
    slot.worker.on('error', () => {});
    void slot.worker.terminate();
  }

  private noWorkers(): void {
    this.entry = null;
    for (const job of this.queue.splice(0)) void this.inThread(job.file).then(job.resolve);
  }

  private lastInThread: Promise<unknown> = Promise.resolve();

  /** On the calling thread, one file at a time in order (as before the workers): never many parsers at once. */
  private inThread(file: string): Promise<ParsedMessage> {
    this.waitingInThread++;
    const next = this.lastInThread.then(() => parseStored(file));
    this.lastInThread = next;
    return next.finally(() => this.waitingInThread--);
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

/** The process's one pool (created at first use). */
export function parsePool(): ParsePool {
  return (shared ??= new ParsePool());
}
