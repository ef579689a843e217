/**
 * The message being written and its draft: changes mark it unsaved, a save follows every ~3 s
 * while the user types (and on close), one save at a time, each replacing the draft before it.
 * Send waits for a save under way, then hands the draft's id to main, which removes the draft
 * once the message is queued.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Draft } from '../../../../shared/compose.js';
import { call, type PopboxApi } from '../../api/client.js';
import { failureText } from '../../app/ConfirmDialog.js';
import { afterSave, draftInput, fromDraft, isEmpty, sendInput, type ComposeState } from './model.js';

export const AUTOSAVE_MS = 3_000;

export type SaveStatus = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved'; at: number } | { kind: 'failed'; message: string };

export interface Compose {
  state: ComposeState;
  update: (patch: Partial<ComposeState> | ((s: ComposeState) => Partial<ComposeState>)) => void;
  status: SaveStatus;
  /** Save now if anything changed since the last save (a no-op otherwise). */
  save: () => Promise<void>;
  /** Send (or send later at `sendAt`): the queued message's id. */
  send: (sendAt?: number) => Promise<{ id: string; messageId: string }>;
  /** Nothing more is saved (after Send, Discard or Close). A save under way still finishes. */
  stop: () => void;
  /** Resolves when no save is under way. */
  settled: () => Promise<void>;
  /** Changes not saved yet. */
  dirty: () => boolean;
  /** The newest state, with changes made in this same event (a chip committed by Ctrl+Enter). */
  current: () => ComposeState;
}

export function useCompose(api: PopboxApi, draft: Draft): Compose {
  const [state, setState] = useState(() => fromDraft(draft));
  const [status, setStatus] = useState<SaveStatus>({ kind: 'idle' });
  // The newest state for saves that run after renders; rev counts changes, savedRev the last saved one.
  const latest = useRef(state);
  const rev = useRef(0);
  const savedRev = useRef(0);
  const chain = useRef<Promise<void>>(Promise.resolve());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const stopped = useRef(false);
  /** Sent: a save that was under way made a copy nobody wants. */
  const sent = useRef(false);
  /** While Send is under way no autosave starts (it could file a draft after main removed it). */
  const sending = useRef(false);
  const mounted = useRef(true);

  const apply = (next: ComposeState) => {
    latest.current = next;
    if (mounted.current) setState(next);
  };

  const saveOnce = useCallback(async () => {
    const target = rev.current;
    const s = latest.current;
    if (stopped.current || target === savedRev.current) return;
    // A new message nobody wrote anything in is not worth a draft.
    if (!s.draftId && isEmpty(s)) {
      savedRev.current = target;
      return;
    }
    if (mounted.current) setStatus({ kind: 'saving' });
    try {
      const saved = await call(api, 'saveDraft', draftInput(s));
      if (sent.current) {
        // Sent while this save was under way: the copy it just made is not wanted.
        void call(api, 'deleteForGood', { ids: [saved.id] }).catch(() => {});
        return;
      }
      // Even when stopped (Discard waits for this save): the draft to delete is the newest.
      apply(afterSave(latest.current, saved, s));
      savedRev.current = Math.max(savedRev.current, target);
      if (mounted.current) setStatus({ kind: 'saved', at: Date.now() });
    } catch (e) {
      if (mounted.current) setStatus({ kind: 'failed', message: failureText(e) });
      throw e;
    }
  }, [api]);

  const save = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    const run = chain.current.catch(() => {}).then(saveOnce);
    chain.current = run.catch(() => {});
    return run;
  }, [saveOnce]);

  const update = useCallback(
    (patch: Partial<ComposeState> | ((s: ComposeState) => Partial<ComposeState>)) => {
      if (stopped.current) return;
      const p = typeof patch === 'function' ? patch(latest.current) : patch;
      apply({ ...latest.current, ...p });
      rev.current += 1;
      // Every few seconds while the user types, not after every key.
      if (!sending.current) schedule();
    },
    [save],
  );

  function schedule() {
    timer.current ??= setTimeout(() => {
      timer.current = null;
      void save().catch(() => {});
    }, AUTOSAVE_MS);
  }

  const stop = useCallback(() => {
    stopped.current = true;
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
  }, []);

  const send = useCallback(
    async (sendAt?: number) => {
      sending.current = true;
      if (timer.current) clearTimeout(timer.current);
      timer.current = null;
      try {
        // A save under way may replace the draft: send names the newest one.
        await chain.current;
        const result = await call(api, 'send', sendInput(latest.current, sendAt));
        sent.current = true;
        stop();
        return result;
      } finally {
        sending.current = false;
        // Not sent (refused): what changed meanwhile is saved as usual.
        if (!sent.current && rev.current !== savedRev.current) schedule();
      }
    },
    [api, stop],
  );

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      // Taken off the screen some other way than Close: what was typed is saved all the same.
      if (!stopped.current && !sending.current && rev.current !== savedRev.current) void save().catch(() => {});
      if (timer.current) clearTimeout(timer.current);
      timer.current = null;
    };
  }, []);

  const dirty = useCallback(() => !stopped.current && rev.current !== savedRev.current, []);

  const current = useCallback(() => latest.current, []);
  const settled = useCallback(() => chain.current, []);

  return { state, update, status, save, send, stop, settled, dirty, current };
}

export { failureText };
