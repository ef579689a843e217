/**
 * The core side of the IPC contract: every call is looked up in the contract, its input
 * validated by the method's schema, and answered `{ ok: true, value }` or `{ ok: false, error }`
 * with a typed code. Transports (Electron's ipcMain, the web host's WebSocket) only carry bytes
 * to and from `dispatch`.
 */
import type { z } from 'zod';
import { contract, PublicAccount, type Contract, type Method, type Output, type Result } from '../../shared/contract.js';
import { AppFailure, describeZodError, toAppError } from './errors.js';
import { safeFileName } from './files/save-name.js';
import type { MailService } from './mail-service.js';
import { MaybeSentRefusal } from './outbox/index.js';
import type { Rule, RuleOutcome } from '../../shared/rules.js';
import { changedForwardRules, forwardTargets } from './rules/forward.js';
import { describeCondition } from './rules/rule-text.js';
import { addressAsSent, bulletList, oneLine } from './questions/question-text.js';
import type { DeletionPreview } from './server-view/server-view.js';
import { PAUSE_AFTER_CANCEL_MS, QuestionGate, type QuestionKind } from './questions/question-gate.js';

export type Handlers = { [M in Method]: (input: z.output<Contract[M]['input']>) => Promise<Output<M>> };

/** A yes/no question main asks the person in front of the screen, never the page. */
export interface ConfirmQuestion {
  title: string;
  message: string;
  detail: string;
  /** The button that says yes, e.g. "Send again". */
  confirmLabel: string;
  /** The button that says no (the default, and what closing the dialog means). */
  cancelLabel: string;
  /** The same action in a terminal (`popbox …`), for a host that cannot ask. */
  command?: string;
}

export interface HostServices {
  /** Ask the user where to save an attachment; null when they cancel. */
  chooseSaveDestination(suggestedName: string): Promise<string | null>;
  /**
   * Ask the user, natively (not through the renderer, which is untrusted: DESIGN §3.8), before
   * an action the page alone must not decide, such as sending again a message that may already
   * have been sent (invariant 9). True only for the confirming button. A host without it (or
   * one that cannot ask) refuses: it may throw an AppFailure saying what to do instead.
   */
  confirm?(question: ConfirmQuestion): Promise<boolean>;
  /** How long after Cancel the same kind of question is refused (PAUSE_AFTER_CANCEL_MS); tests that answer at once set 0. */
  pauseAfterCancelMs?: number;
}

/**
 * Ask the person natively, through the host, one question at a time (QuestionGate: `busy` while
 * one is open or just after a Cancel of the same kind). Cancel is `cancelled`; a host that
 * cannot ask is `unsupported`, in the words given.
 */
type Ask = (kind: QuestionKind, question: ConfirmQuestion, words: { declined: string; unsupported: string }) => Promise<void>;

function nativeAsker(host: HostServices, gate: QuestionGate): Ask {
  return async (kind, question, words) => {
    const confirm = host.confirm;
    if (!confirm) throw new AppFailure('unsupported', words.unsupported);
    if (!(await gate.ask(kind, () => confirm.call(host, question)))) throw new AppFailure('cancelled', words.declined);
  };
}

/**
 * Send again a message the server may already have (the connection broke after its final dot):
 * only once the person said so in a native dialog. "Cancel" is `cancelled`, which the UI ignores.
 * Anything else (waiting, retrying, refused) cannot have reached anyone and is sent at once.
 *
 * Whether it may have been sent is decided by Outbox.resend in the account's own turn (a status
 * read here could be stale by then): asked without confirmation first, it refuses a maybe-sent
 * message, and only then is the person asked. One question at a time per message: a second
 * click while the dialog is open waits for the same answer instead of opening another dialog.
 */
function resendFromRenderer(service: MailService, ask: Ask, asking: Map<string, Promise<void>>, id: string): Promise<void> {
  const pending = asking.get(id);
  if (pending) return pending;
  const run = (async () => {
    try {
      await service.resendMessage(id);
      return;
    } catch (e) {
      if (!(e instanceof MaybeSentRefusal)) throw e;
      const subject = service.journal.get(id)?.summary.subject;
      const question: ConfirmQuestion = {
        title: 'Send again?',
        message: `This message may already have been sent${subject ? `: “${subject}”` : ''}.`,
        detail:
          `The whole message reached the outgoing server, but the connection broke before the server answered, so it may already be on its way to ${e.to.join(', ')}. ` +
          'Sending it again may give them a second copy (with the same Message-ID, so their mail program can tell).',
        confirmLabel: 'Send again',
        cancelLabel: 'Cancel',
        command: `popbox outbox resend ${id}`,
      };
      await ask('resend', question, { unsupported: `This window cannot ask you whether to send it again. In a terminal: ${question.command}`, declined: 'Not sent again.' });
    }
    await service.resendMessage(id, { confirmed: true });
  })().finally(() => asking.delete(id));
  asking.set(id, run);
  return run;
}

/**
 * Rules that delete on the server, from the renderer (DESIGN §3.8): a compromised page could
 * save "size > 0 → delete on the server" and run it over everything. Saving such a rule (new or
 * changed) and a run that would mark messages for deletion there are asked natively first; the
 * CLI (trusted) does not ask. Declined is `cancelled`; a host that cannot ask refuses.
 */
function askServerDeletion(ask: Ask, kind: QuestionKind, question: ConfirmQuestion, declined: string): Promise<void> {
  return ask(kind, question, { unsupported: `This window cannot ask you about deleting mail on the server. In a terminal: ${question.command}`, declined });
}

function deletesOnServer(rule: Rule): boolean {
  return rule.actions.some((a) => a.t === 'delete-on-server');
}

/** How many things a question lists by name; the rest are "and N more". */
const LISTED = 5;

/** A filter as one line of a question: its name and (briefly) what it matches. */
function ruleLine(rule: Rule): string {
  const joiner = rule.match === 'all' ? ' and ' : ' or ';
  const shown = rule.conditions.slice(0, 3).map((c) => oneLine(describeCondition(c), 60));
  const more = rule.conditions.length - shown.length;
  return `“${oneLine(rule.name, 60)}”: if ${shown.join(joiner)}${more > 0 ? `${joiner}${more} more condition${more > 1 ? 's' : ''}` : ''}`;
}

/**
 * New forwarding addresses one save from the window may add: each one is a place mail goes on
 * its own, and a question listing dozens is one nobody reads (review finding 2).
 */
export const MAX_NEW_FORWARDS_PER_SAVE = 5;

/** The forward question: only the addresses not forwarded to before, each as the network sees it. */
function forwardQuestion(forwarding: readonly Rule[], stored: readonly Rule[]): ConfirmQuestion {
  const before = new Set(stored.flatMap(forwardTargets));
  const fresh = [...new Set(forwarding.flatMap(forwardTargets))].filter((t) => !before.has(t));
  if (fresh.length > MAX_NEW_FORWARDS_PER_SAVE) {
    throw new AppFailure('invalid', `Filters not saved: one save may add at most ${MAX_NEW_FORWARDS_PER_SAVE} new addresses to forward to, and this one adds ${fresh.length}. Add them a few at a time; Popbox asks you about each save.`);
  }
  const shown = fresh.map((t) => {
    const line = addressAsSent(t);
    if (line === null) throw new AppFailure('invalid', `Filters not saved: “${oneLine(t, 100)}” cannot receive mail (its domain is not a valid international name).`);
    return line;
  });
  const named = bulletList(forwarding.map(ruleLine), LISTED, (n) => `and ${n} more`);
  return {
    title: 'Forward mail automatically?',
    message:
      shown.length > 0
        ? `Forward matching new mail automatically to ${shown.length === 1 ? 'this new address' : `these ${shown.length} new addresses`}?\n${shown.map((l) => `• ${l}`).join('\n')}`
        : `Change ${forwarding.length === 1 ? 'a filter' : `${forwarding.length} filters`} that forward${forwarding.length === 1 ? 's' : ''} mail automatically (to addresses saved before)?`,
    detail: `${forwarding.length === 1 ? 'Filter' : 'Filters'}:\n${named}\n\nEach matching message is sent, as an attachment, from your address as it arrives, without asking again. Save only if you set this up yourself and trust ${shown.length === 1 ? 'that address' : 'those addresses'}.`,
    confirmLabel: 'Save filters',
    cancelLabel: 'Cancel',
    command: 'popbox rules add NAME --if CONDITION --then "forward ADDRESS"',
  };
}

async function saveRulesFromRenderer(service: MailService, ask: Ask, rules: Rule[]): Promise<Rule[]> {
  const stored = await service.listRules();
  // A forward sends mail to an address on its own: a new or changed one is asked natively too
  // (its question built first, so a save it refuses asks nothing at all).
  const forwarding = changedForwardRules(rules, stored);
  const forwardAsk = forwarding.length > 0 ? forwardQuestion(forwarding, stored) : null;
  const before = new Map(stored.map((r) => [r.name.toLowerCase(), JSON.stringify(r)]));
  const risky = rules.filter((r) => deletesOnServer(r) && r.enabled && before.get(r.name.toLowerCase()) !== JSON.stringify(r));
  if (risky.length > 0) {
    await askServerDeletion(
      ask,
      'rules-server-delete',
      {
        title: 'Delete mail on the server?',
        message: `${risky.length === 1 ? 'This filter' : `These ${risky.length} filters`} will delete matching mail on the server at the next sync:\n${bulletList(risky.map(ruleLine), LISTED, (n) => `and ${n} more`)}`,
        detail: 'Mail deleted on the server is gone from every device and webmail that reads this mailbox; only the copy here remains. Save only if you set this up yourself.',
        confirmLabel: 'Save filters',
        cancelLabel: 'Cancel',
        command: `popbox rules add NAME --if CONDITION --then delete-on-server`,
      },
      'Filters not saved.',
    );
  }
  if (forwardAsk) {
    await ask('rules-forward', forwardAsk, { unsupported: `This window cannot ask you about forwarding mail. In a terminal: ${forwardAsk.command}`, declined: 'Filters not saved.' });
  }
  return service.saveRules(rules);
}

function runRulesFromRenderer(service: MailService, ask: Ask, ids: string[]): Promise<RuleOutcome[]> {
  return service.runRules(ids, {
    confirmServerDeletion: (count) =>
      askServerDeletion(
        ask,
        'rules-run',
        {
          title: 'Delete mail on the server?',
          message: `Your filters would delete ${count === 1 ? 'one message' : `${count} messages`} on the server at the next sync.`,
          detail: 'Mail deleted on the server is gone from every device and webmail that reads this mailbox; the copies here remain. Nothing was changed yet.',
          confirmLabel: 'Run filters',
          cancelLabel: 'Cancel',
          command: 'popbox rules run',
        },
        'Filters not run.',
      ).then(() => true),
  });
}

/** What is left of them afterwards, in words: never-downloaded ones are gone for good. */
function serverDeletionFate(count: number, notDownloaded: number): string {
  const kept = 'A copy downloaded here stays (a message here as headers only loses the rest).';
  if (notDownloaded === 0) return kept;
  if (notDownloaded === count) return count === 1 ? 'It was never downloaded here, so it is gone for good.' : 'They were never downloaded here, so they are gone for good.';
  return `${notDownloaded} of them ${notDownloaded === 1 ? 'was' : 'were'} never downloaded here, so ${notDownloaded === 1 ? 'that one is' : 'those are'} gone for good. ${kept}`;
}

/** A message on the server as one line of a question: who, what, when (from main's cache). */
function serverMessageLine(m: DeletionPreview['known'][number], mixed: boolean): string {
  const day = m.date !== null && !Number.isNaN(Date.parse(m.date)) ? new Date(m.date).toISOString().slice(0, 10) : null;
  return `${oneLine(m.from, 60) || '(no sender)'}: “${oneLine(m.subject, 80) || '(no subject)'}”${day ? `, ${day}` : ''}${mixed && !m.downloaded ? ' (never downloaded here)' : ''}`;
}

/** Which messages, by name: a few of them, then how many more (and how many are not known by their headers yet). */
function serverMessageList({ count, notDownloaded, known }: DeletionPreview): string {
  const unknown = count - known.length;
  if (known.length === 0) return `${count === 1 ? 'Its headers were' : 'Their headers were'} not read yet: Refresh the On the server list to see what ${count === 1 ? 'it is' : 'they are'}.`;
  // Which ones are gone for good, marked only where the selection mixes both kinds.
  const mixed = notDownloaded > 0 && notDownloaded < count;
  const shown = known.slice(0, LISTED).map((m) => serverMessageLine(m, mixed));
  const rest = count - shown.length;
  const list = bulletList(shown, LISTED, () => '');
  if (rest === 0) return list;
  return `${list}\nand ${rest} more${unknown > 0 ? `, ${unknown === rest ? (rest === 1 ? 'its' : 'their') : `${unknown} of them with`} headers not read yet` : ''}`;
}

/**
 * Delete on the server from the renderer (DESIGN §3.8): a page alone must never wipe a
 * mailbox. The person is asked natively with what MailService reads from the ledger and the
 * server cache (how many, which ones by sender, subject and date, how many were never
 * downloaded here), so a page cannot swap the selection behind an innocent-looking question;
 * declined is `cancelled`, nothing is sent.
 */
function deleteOnServerFromRenderer(service: MailService, ask: Ask, accountId: string, uidls: string[]) {
  return service.deleteOnServer(accountId, uidls, {
    confirm: async (preview) => {
      const { count, notDownloaded } = preview;
      const some = (n: number) => (n === 1 ? 'one message' : `${n} messages`);
      await askServerDeletion(
        ask,
        'server-delete',
        {
          title: 'Delete on the server?',
          message: `Delete ${some(count)} on the server?`,
          detail: `${serverMessageList(preview)}\n\n${count === 1 ? 'It' : 'They'} will be gone from the server and from every device and webmail that reads this mailbox. ${serverDeletionFate(count, notDownloaded)}`,
          confirmLabel: 'Delete on the server',
          cancelLabel: 'Cancel',
          command: `popbox server delete ${accountId} UIDL…`,
        },
        'Nothing was deleted on the server.',
      );
      return true;
    },
  });
}

export function isMethod(name: string): name is Method {
  return Object.prototype.hasOwnProperty.call(contract, name);
}

export function createDispatcher(handlers: Handlers) {
  return async function dispatch(method: string, input: unknown): Promise<Result<unknown>> {
    if (!isMethod(method)) return { ok: false, error: { code: 'invalid', message: `unknown method ${JSON.stringify(method.slice(0, 60))}` } };
    const parsed = contract[method].input.safeParse(input ?? {});
    if (!parsed.success) return { ok: false, error: { code: 'invalid', message: `${method}: ${describeZodError(parsed.error)}` } };
    try {
      const handler = handlers[method] as (i: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(parsed.data) };
    } catch (e) {
      // An untyped failure is a bug: say so without leaking internals across the boundary.
      return { ok: false, error: toAppError(e, `${method} failed unexpectedly`) };
    }
  };
}

/** The contract implemented by MailService; the host supplies what needs a window. */
export function mailServiceHandlers(service: MailService, host: HostServices): Handlers {
  const pub = (a: Parameters<typeof PublicAccount.parse>[0]) => PublicAccount.parse(a);
  /** Send-again questions open now, by message id. */
  const resendQuestions = new Map<string, Promise<void>>();
  // One gate per host: the desktop app and the web host each have one dispatcher.
  const ask = nativeAsker(host, new QuestionGate(host.pauseAfterCancelMs ?? PAUSE_AFTER_CANCEL_MS));
  return {
    listAccounts: async () => service.listAccounts().map(pub),
    addAccount: async ({ account, password, smtpPassword }) => pub(await service.addAccount(account, password, smtpPassword !== undefined ? { smtpPassword } : {})),
    updateAccount: async ({ id, patch, password, smtpPassword }) => pub(await service.updateAccount(id, patch, password, smtpPassword !== undefined ? { smtpPassword } : {})),
    removeAccount: async ({ id }) => {
      await service.removeAccount(id);
      return null;
    },
    reorderAccounts: async ({ ids }) => (await service.reorderAccounts(ids)).map(pub),
    testConnection: (test) => service.testConnection(test),
    testSmtp: (test) => service.testSmtp(test),
    syncNow: ({ accountIds }) => service.syncNow(accountIds),
    syncStatus: async () => service.syncStatus(),
    changesSince: async ({ state, max }) => service.changesSince(state, max),
    snapshot: async () => service.snapshot(),
    messageBody: ({ id }) => service.messageBody(id),
    rawSource: ({ id }) => service.rawSource(id),
    fetchFull: async ({ id }) => {
      await service.fetchFull(id);
      return null;
    },
    setFlags: ({ ids, flags }) => service.setFlags(ids, flags).then(() => null),
    moveToTrash: ({ ids }) => service.moveToTrash(ids).then(() => null),
    restore: ({ ids }) => service.restore(ids).then(() => null),
    moveMessages: ({ ids, folder, junkedBy }) => service.moveMessages(ids, folder, junkedBy).then(() => null),
    copyMessages: async ({ ids, folder }) => ({ ids: await service.copyMessages(ids, folder) }),
    archive: ({ ids }) => service.archive(ids).then(() => null),
    markJunk: ({ ids, undo }) => service.markJunk(ids, { undo: undo === true }).then(() => null),
    markNotJunk: ({ ids, undo }) => service.markNotJunk(ids, { undo: undo === true }).then(() => null),
    trainJunk: () => service.trainJunk(),
    emptyTrash: ({ accountId }) => service.emptyTrash(accountId).then(() => null),
    createFolder: ({ accountId, path }) => service.createFolder(accountId, path),
    renameFolder: ({ accountId, folder, path }) => service.renameFolder(accountId, folder, path),
    deleteFolder: ({ accountId, folder }) => service.deleteFolder(accountId, folder).then(() => null),
    deleteForGood: async ({ ids }) => {
      await service.deleteForGood(ids);
      return null;
    },
    saveAttachment: async ({ id, attachmentId }) => {
      const body = await service.messageBody(id);
      const att = body.attachments.find((a) => a.id === attachmentId);
      if (!att) throw new AppFailure('not-found', `no attachment ${attachmentId} in this message`);
      const dest = await host.chooseSaveDestination(safeFileName(att.filename, `attachment-${attachmentId}`));
      if (dest === null) return { saved: false, size: 0 };
      return { saved: true, path: dest, ...(await service.saveAttachment(id, attachmentId, dest)) };
    },
    saveMessage: async ({ id }) => {
      const dest = await host.chooseSaveDestination(service.messageFileName(id));
      if (dest === null) return { saved: false, size: 0 };
      return { saved: true, path: dest, ...(await service.saveMessage(id, dest)) };
    },
    inlinePart: ({ id, attachmentId }) => service.inlinePart(id, attachmentId),
    discoverServer: ({ email }) => service.discoverServer(email),
    passwordStore: async () => ({ kind: service.passwordStore }),
    getPreferences: async () => service.preferences(),
    updatePreferences: (patch) => service.updatePreferences(patch),
    send: (message) => service.send(message),
    outboxStatus: ({ accountId }) => service.outboxStatus(accountId),
    cancelSend: ({ id }) => service.cancelSend(id).then(() => null),
    resendMessage: ({ id }) => resendFromRenderer(service, ask, resendQuestions, id).then(() => null),
    markSent: ({ id }) => service.markSent(id).then(() => null),
    discardQueued: ({ id }) => service.discardQueued(id).then(() => null),
    composeFrom: ({ mode, id, accountId }) => service.composeFrom(mode, { id, accountId }),
    stageAttachment: (chunk) => service.stageAttachment(chunk),
    saveDraft: (draft) => service.saveDraft(draft),
    openDraft: ({ id }) => service.openDraft(id),
    suggestAddresses: async ({ query, limit }) => service.suggestAddresses(query, limit),
    listRules: () => service.listRules(),
    saveRules: ({ rules }) => saveRulesFromRenderer(service, ask, rules),
    previewRule: ({ rule, accountId, folder, max }) => service.previewRuleOver(rule, { ...(accountId !== undefined ? { accountId } : {}), ...(folder !== undefined ? { folder } : {}), max: max ?? 200 }),
    runRules: ({ ids }) => runRulesFromRenderer(service, ask, ids),
    search: (input) => service.search(input),
    threads: ({ since }) => Promise.resolve(service.threadChanges(since)),
    serverListing: ({ accountId, refresh }) => service.serverListing(accountId, { refresh: refresh === true }),
    deleteOnServer: ({ accountId, uidls }) => deleteOnServerFromRenderer(service, ask, accountId, uidls),
    downloadFromServer: ({ accountId, uidls, headersOnly }) => service.downloadFromServer(accountId, uidls, { headersOnly: headersOnly === true }),
    pendingDeletions: ({ accountId, policy }) => service.pending(accountId ? { accountId: service.accounts.get(accountId).id, ...(policy ? { policy } : {}) } : {}),
  };
}
