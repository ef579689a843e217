/**
 * The /remote endpoint's limits, shared by Electron's app:// handler and the web host: a
 * message may have a few fetches running at once (a mail with 5,000 image tags waits in line
 * instead of opening 5,000 connections from main), all messages together a few more, and a
 * message's remote content may bring in so many bytes before the rest is refused. A message's
 * byte count starts again when it is viewed anew (another message's content was asked for in
 * between and nothing of it is still running), so opening it again later loads its images.
 */
import { fetchRemote, type ByteBudget, type RemoteFetchOptions, type RemoteResult } from './remote-content.js';

export interface RemoteLimits {
  /** Fetches running at once for one message. */
  perMessage: number;
  /** Fetches running at once in all. */
  overall: number;
  /** Bytes one message's remote content may bring in. */
  messageBytes: number;
  /** Fetches of one message that may wait for a slot; more are refused. */
  waitingPerMessage: number;
}

export const DEFAULT_REMOTE_LIMITS: RemoteLimits = { perMessage: 6, overall: 12, messageBytes: 25 * 1024 * 1024, waitingPerMessage: 500 };

interface MessageState {
  running: number;
  waiting: number;
  bytes: number;
}

const REMEMBERED_MESSAGES = 64;

const megabytes = (n: number) => `${Math.round(n / (1024 * 1024))} MB`;

export class RemoteContentProxy {
  private readonly limits: RemoteLimits;
  private running = 0;
  private readonly messages = new Map<string, MessageState>();
  private wakers = new Set<() => void>();
  private lastMessage: string | undefined;

  constructor(
    private readonly fetchOptions: RemoteFetchOptions = {},
    limits: Partial<RemoteLimits> = {},
  ) {
    this.limits = { ...DEFAULT_REMOTE_LIMITS, ...limits };
  }

  /**
   * `message` names the message the content belongs to (the proxy URL's `m`); requests that
   * name none share one allowance. `cancel` fires when the page no longer wants the answer.
   */
  async fetch(target: string, message = '', cancel?: AbortSignal): Promise<RemoteResult> {
    const state = this.stateOf(message);
    const overBudget = { ok: false as const, status: 413, reason: `this message's remote content passed ${megabytes(this.limits.messageBytes)}; the rest is not loaded` };
    if (state.bytes >= this.limits.messageBytes) return overBudget;
    if (state.running >= this.limits.perMessage || this.running >= this.limits.overall) {
      if (state.waiting >= this.limits.waitingPerMessage) return { ok: false, status: 429, reason: 'this message asks for too many remote items; the rest is not loaded' };
      state.waiting++;
      try {
        while (state.running >= this.limits.perMessage || this.running >= this.limits.overall) {
          if (cancel?.aborted) return { ok: false, status: 499, reason: 'cancelled' };
          await this.slotFreed(cancel);
        }
      } finally {
        state.waiting--;
      }
      if (state.bytes >= this.limits.messageBytes) return overBudget;
    }
    state.running++;
    this.running++;
    try {
      const budget: ByteBudget = {
        take: (bytes) => (state.bytes += bytes) <= this.limits.messageBytes,
        refusal: overBudget,
      };
      return await fetchRemote(target, this.fetchOptions, budget, cancel);
    } finally {
      state.running--;
      this.running--;
      this.wake();
    }
  }

  private stateOf(message: string): MessageState {
    let state = this.messages.get(message);
    const idle = !state || (state.running === 0 && state.waiting === 0);
    if (!state || (idle && this.lastMessage !== message)) state = { running: 0, waiting: 0, bytes: 0 };
    this.lastMessage = message;
    // Most recently asked for last; the oldest idle ones are forgotten.
    this.messages.delete(message);
    this.messages.set(message, state);
    for (const [key, old] of this.messages) {
      if (this.messages.size <= REMEMBERED_MESSAGES) break;
      if (old.running === 0 && old.waiting === 0) this.messages.delete(key);
    }
    return state;
  }

  /** Fetches running now, for tests and diagnostics. */
  get active(): number {
    return this.running;
  }

  private slotFreed(cancel?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.wakers.delete(done);
        cancel?.removeEventListener('abort', done);
        resolve();
      };
      this.wakers.add(done);
      cancel?.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    const waiting = this.wakers;
    this.wakers = new Set();
    for (const w of waiting) w();
  }
}
