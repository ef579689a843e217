/** One account's settings; the password is write-only; a preview of the server deletions to come. */
import { useLiveQuery } from 'dexie-react-hooks';
import { useEffect, useRef, useState } from 'react';
import { accountNameProblem, incomingPasswordSpreads, smtpDestinationChanged, type AccountSettings, type DeletionPolicy, type PasswordStore, type ScreenAccountPatch as AccountPatch } from '../../../../shared/accounts.js';
import type { PendingDeletion, PublicAccount, SyncOutcome } from '../../../../shared/contract.js';
import { call } from '../../api/client.js';
import { ConfirmDialog } from '../../app/ConfirmDialog.js';
import { useServices } from '../../app/context.js';
import { formatListDate } from '../../app/format.js';
import { inAccountOrder } from '../../db/database.js';
import { CertificateFingerprints } from '../status/CertificateChange.js';
import { certificateText, explain } from '../status/explain.js';
import { plainError } from './plain-error.js';
import { AddAccount } from './AddAccount.js';
import { GeneralSettings } from './GeneralSettings.js';
import { RulesSettings } from '../rules/RulesSettings.js';
import { TestResult, useConnectionTest } from './ConnectionTester.js';
import { Field, PolicyFields, policyValues, ServerFields, serverValues, type PolicyDraft, type ServerDraft } from './fields.js';
import { Identities } from './Identities.js';
import { keptWhere, usePasswordStore } from './password-store.js';
import { OutgoingFields, smtpTestOf, useSmtpTest } from './OutgoingFields.js';
import { firstProblem, identitiesProblems, identityDraftOf, identityValue, smtpDraftOf, smtpProblems, smtpValue, type IdentityDraft, type SmtpDraft, type TypedPasswordSource } from './outgoing.js';

function serverDraft(a: PublicAccount): ServerDraft {
  return { host: a.host, port: String(a.port), security: a.security, user: a.user, authMechanism: a.authMechanism ?? '', allowInsecureAuth: a.allowInsecureAuth, tlsFingerprint: a.tlsFingerprint ?? '' };
}

function policyDraft(a: PublicAccount): PolicyDraft {
  return {
    leaveOnServer: a.leaveOnServer,
    deleteAfter: a.deleteAfterDays !== null,
    deleteAfterDays: String(a.deleteAfterDays ?? 14),
    deleteWhenDeletedLocally: a.deleteWhenDeletedLocally,
    headersOnly: a.maxMessageSizeKB !== null,
    maxMessageSizeKB: String(a.maxMessageSizeKB ?? 1024),
    checkEveryMinutes: String(a.checkEveryMinutes),
    checkAtStartup: a.checkAtStartup,
    pipelining: a.pipelining,
    trustServerVerdict: a.trustServerVerdict,
    junkOnServer: a.junkOnServer,
  };
}

const REASON: Record<PendingDeletion['reason'], string> = {
  downloaded: 'downloaded; messages are not left on the server',
  expired: 'older than the days to keep',
  'deleted-locally': 'deleted here',
  filtered: 'a filter said delete from the server',
  chosen: 'you chose to delete it in On the server',
};

/**
 * What the next check deletes from the server, under the deletion settings in the form (`policy`):
 * a preview of the saved settings beside a form that says otherwise read "nothing will be
 * deleted" while Save was about to delete everything (walkthrough M1).
 */
function DeletionPreview({ accountId, version, policy, edited }: { accountId: string; version: number; policy: DeletionPolicy; edited: boolean }) {
  const { api } = useServices();
  const [list, setList] = useState<PendingDeletion[] | null>(null);
  const asked = JSON.stringify(policy);
  useEffect(() => {
    let current = true;
    call(api, 'pendingDeletions', { accountId, policy }).then(
      (l) => current && setList(l),
      () => current && setList(null),
    );
    return () => void (current = false);
  }, [api, accountId, version, asked]);
  if (!list) return null;
  return (
    <section className="deletion-preview" aria-label="Server deletions at the next check">
      <h3>At the next check</h3>
      {edited && <p className="muted">With the server-copy settings above, once you save them.</p>}
      {list.length === 0 ? (
        <p>No messages will be deleted from the server.</p>
      ) : (
        <>
          <p>
            {list.length} message{list.length === 1 ? '' : 's'} will be deleted from the server:
          </p>
          <ul>
            {list.slice(0, 50).map((d) => {
              const date = d.date ? Date.parse(d.date) : NaN;
              return (
                <li key={`${d.accountId}\n${d.uidl}`}>
                  {d.subject || '(no subject)'}
                  {d.from && <span className="muted"> · {d.from}</span>}
                  {!Number.isNaN(date) && <span className="muted"> · {formatListDate(date)}</span>}
                  <span className="muted"> — {REASON[d.reason]}</span>
                </li>
              );
            })}
          </ul>
          {list.length > 50 && <p className="muted">…and {list.length - 50} more.</p>}
        </>
      )}
    </section>
  );
}

/** The outgoing server the draft would save, in the form the password rules compare (null: none). */
function nextSmtp(d: SmtpDraft, own: TypedPasswordSource): AccountSettings['smtp'] {
  if (!d.enabled) return null;
  const v = smtpValue(d, own);
  return { ...v, mechanism: v.mechanism ?? undefined, tlsFingerprint: v.tlsFingerprint ?? undefined, password: { source: d.useIncoming ? 'incoming' : d.command ? 'command' : own } } as AccountSettings['smtp'];
}

/** The three settings that decide what a check deletes from the server, from the account or the form's values. */
function deletionPolicyOf(p: DeletionPolicy): DeletionPolicy {
  return { leaveOnServer: p.leaveOnServer, deleteAfterDays: p.deleteAfterDays, deleteWhenDeletedLocally: p.deleteWhenDeletedLocally };
}

/** Where this account keeps a password typed here: a "session" account has no keychain to use. */
function typedSource(account: PublicAccount): TypedPasswordSource {
  return account.password.source === 'session' ? 'session' : 'keychain';
}

/**
 * The draft with its password command kept only where main keeps it: a command gives way to the
 * keychain when the outgoing server moves in the screens (accounts-service update), so then the
 * form asks for a password like any keychain one.
 */
function withCommandKept(account: PublicAccount, d: SmtpDraft): SmtpDraft {
  if (!d.command || d.useIncoming || !d.login) return d;
  const before = account.smtp;
  const next = nextSmtp(d, typedSource(account));
  const kept = before !== null && before.password.source === 'command' && next !== null && !smtpDestinationChanged(before, next);
  return kept ? d : { ...d, command: false };
}

/**
 * What the outgoing password needs before Save: the incoming one typed again when the outgoing
 * server starts using it or moves (main forgets it then, so a page cannot lend it to a new
 * host), or an outgoing one of its own where none is stored for these settings.
 */
function smtpPasswordNeed(account: PublicAccount, d: SmtpDraft): 'incoming' | 'own' | null {
  const own = typedSource(account);
  const next = nextSmtp(d, own);
  if (next === null || next.auth === 'none') return null;
  if (incomingPasswordSpreads(account as AccountSettings, { smtp: next })) return 'incoming';
  if (next.password.source === own) {
    const before = account.smtp;
    if (before === null || before.auth === 'none' || before.password.source !== own || smtpDestinationChanged(before, next)) return 'own';
  }
  return null;
}

/** Where the password is kept, as the account and main's password store say (a password command is set on the command line). */
function passwordHint(account: PublicAccount, store: PasswordStore | null): string {
  if (account.password.source === 'command') return 'Comes from a password command, set on the command line (popbox account set).';
  const where = keptWhere(store, typedSource(account));
  if (account.password.source === 'session') return where ?? '';
  return where ? `${where} Leave empty to keep the current one.` : 'Leave empty to keep the current one.';
}

/** Fields that decide whether Popbox can log in: changing one is worth trying at once. */
const LOGIN_FIELDS = ['host', 'port', 'security', 'user', 'authMechanism', 'allowInsecureAuth', 'tlsFingerprint'] as const;

/** What checking mail right after Save found, in the words of the status area. */
function retryText(outcome: SyncOutcome | undefined, name: string): { text: string; error: boolean } {
  if (!outcome) return { text: 'Settings saved.', error: false };
  if (outcome.ok) return { text: 'Settings saved. Popbox logged in and checked for mail.', error: false };
  const ex = explain({ accountId: outcome.accountId, state: 'idle', nextRunAt: null, lastSuccessAt: null, lastError: outcome.error, failures: 1 }, name);
  return { text: `Settings saved, but checking mail failed. ${ex?.text ?? outcome.error.message}`, error: true };
}

function AccountForm({ account, otherNames, focusPassword, onRemoved }: { account: PublicAccount; otherNames: string[]; focusPassword: boolean; onRemoved: () => void }) {
  const { api, db } = useServices();
  const [name, setName] = useState(account.name);
  const [server, setServer] = useState(() => serverDraft(account));
  const [policy, setPolicy] = useState(() => policyDraft(account));
  const [password, setPassword] = useState('');
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [version, setVersion] = useState(0);
  /** The password the last connection test used: saving one the server just refused deserves a word. */
  const [testedPassword, setTestedPassword] = useState<string | null>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const test = useConnectionTest();
  const [smtp, setSmtp] = useState(() => smtpDraftOf(account));
  const [smtpPassword, setSmtpPassword] = useState('');
  const [identities, setIdentities] = useState<IdentityDraft[]>(() => account.identities.map(identityDraftOf));
  const smtpRef = useRef<HTMLInputElement>(null);
  const smtpTest = useSmtpTest();
  /** Save or the outgoing Test was pressed: the outgoing fields show every problem. */
  const [smtpTried, setSmtpTried] = useState(false);
  const smtpIssues = smtpProblems(smtp);
  const identityIssues = identitiesProblems(identities);
  // What Save sends: a password command set on the command line stays unless the server moves.
  const smtpSaved = withCommandKept(account, smtp);
  const passwordCommand = smtpSaved.command && !smtpSaved.useIncoming && smtpSaved.login;
  const need = smtpPasswordNeed(account, smtpSaved);
  const nameProblem = accountNameProblem(name, otherNames);
  const store = usePasswordStore();
  const status = useLiveQuery(() => db.status.get(account.id), [db, account.id]);
  const certificate = status?.lastError?.code === 'certificate' ? explain(status, account.name) : null;
  // The preview follows the form; while a number typed is not valid yet, it keeps the saved settings.
  const saved = deletionPolicyOf(account);
  const typed = policyValues(policy);
  const previewPolicy = typed.ok ? deletionPolicyOf(typed.value as DeletionPolicy) : saved;
  const policyEdited = JSON.stringify(previewPolicy) !== JSON.stringify(saved);

  useEffect(() => {
    if (!focusPassword) return;
    // From the Outbox ("Enter password"): the outgoing server's own password, unless it is the
    // incoming server that refused one.
    const own = account.smtp?.auth === 'password' && account.smtp.password.source === typedSource(account);
    void db.status.get(account.id).then((st) => {
      const incomingFailed = st?.lastError?.code === 'auth' || st?.lastError?.code === 'secret';
      (own && !incomingFailed ? smtpRef : passwordRef).current?.focus();
    });
  }, [focusPassword]);

  const save = async () => {
    setMessage(null);
    // A Save with sending off says nothing of the outgoing fields: ticking it later shows no red
    // line before they are typed in (walkthrough m4, seen after an earlier Save).
    setSmtpTried(smtp.enabled);
    const sv = serverValues(server);
    const pv = policyValues(policy);
    if (nameProblem) {
      setMessage({ text: `Account name: ${nameProblem}`, error: true });
      return;
    }
    if (!sv.ok || !pv.ok) {
      setMessage({ text: !sv.ok ? sv.message : !pv.ok ? pv.message : '', error: true });
      return;
    }
    const sendProblem = firstProblem(smtpIssues) ?? identityIssues.map(firstProblem).find((p) => p !== null) ?? null;
    if (sendProblem) {
      setMessage({ text: sendProblem, error: true });
      return;
    }
    if (smtp.enabled && identities.length === 0) {
      setMessage({ text: 'Identities: add the address you send from (an account that sends needs one).', error: true });
      return;
    }
    if (need === 'incoming' && password === '') {
      setMessage({ text: 'Type the incoming password in “Password” too: Popbox asks for it again whenever the outgoing server starts using it or moves.', error: true });
      passwordRef.current?.focus();
      return;
    }
    if (need === 'own' && smtpPassword === '') {
      setMessage({ text: 'Outgoing password: type the outgoing server’s password (none is stored for these settings).', error: true });
      smtpRef.current?.focus();
      return;
    }
    const s = sv.value as Record<string, unknown>;
    const patch: AccountPatch = {
      ...(sv.value as object),
      ...(pv.value as object),
      name: name.trim(),
      authMechanism: (s.authMechanism as AccountPatch['authMechanism']) ?? null,
      tlsFingerprint: (s.tlsFingerprint as string | undefined) ?? null,
      ...(smtp.enabled ? { smtp: smtpValue(smtpSaved, typedSource(account)) } : account.smtp ? { smtp: null } : {}),
      identities: identities.map(identityValue),
    };
    const ownSmtpPassword = smtp.enabled && smtp.login && !smtp.useIncoming && !passwordCommand && smtpPassword !== '';
    const loginChanged = password !== '' || LOGIN_FIELDS.some((k) => (s[k] ?? null) !== (account[k] ?? null));
    const refused = password !== '' && password === testedPassword && test.state.kind === 'failed' && test.state.error.code === 'auth';
    try {
      const saved = await call(api, 'updateAccount', { id: account.id, patch, ...(password ? { password } : {}), ...(ownSmtpPassword ? { smtpPassword } : {}) });
      setPassword('');
      setSmtpPassword('');
      // The ids main gave new identities, so a second Save changes them rather than adding again.
      setIdentities(saved.identities.map(identityDraftOf));
      setVersion((v) => v + 1);
    } catch (e) {
      setMessage({ text: plainError(e), error: true });
      return;
    }
    if (refused) {
      // Not tried again: a server that just refused this password may lock the account out.
      setMessage({ text: 'Settings saved, but the server refused this password when you tested it. Mail cannot be checked until the password is right.', error: true });
      return;
    }
    const failing = (await db.status.get(account.id))?.lastError;
    if (!loginChanged && !failing) {
      setMessage({ text: 'Settings saved.', error: false });
      return;
    }
    // New credentials (or a fix for the error shown) are tried at once, not at the next check.
    setMessage({ text: 'Settings saved. Checking mail with the new settings…', error: false });
    const outcome = await call(api, 'syncNow', { accountIds: [account.id] }).then(
      (all) => all[0],
      () => undefined,
    );
    setMessage(retryText(outcome, name.trim()));
    setVersion((v) => v + 1);
  };

  // Removing asks first, in a dialog that says what is really lost: without "Leave messages on
  // server" the server deleted each message after download, and this computer holds the only copy.
  const [removing, setRemoving] = useState(false);
  const removeQuestion = () => {
    const where = account.leaveOnServer
      ? 'Copies still on the server stay there (those already deleted there are lost).'
      : 'This account does not leave messages on the server, so its downloaded mail exists only on this computer and will be gone for good.';
    return (
      <ConfirmDialog
        label={`Remove the account “${account.name}”?`}
        action="Remove account"
        danger
        onClose={() => setRemoving(false)}
        onConfirm={async () => {
          try {
            await call(api, 'removeAccount', { id: account.id });
          } catch (e) {
            throw new Error(plainError(e));
          }
          onRemoved();
        }}
      >
        <p>Remove the account “{account.name}” and its downloaded mail from this computer?</p>
        <p>{where}</p>
      </ConfirmDialog>
    );
  };

  const testNow = (draft = server) => {
    const sv = serverValues(draft);
    if (!sv.ok) {
      setMessage({ text: sv.message, error: true });
      return;
    }
    const v = sv.value as { host: string; port: number; security: ServerDraft['security']; user: string; allowInsecureAuth: boolean; tlsFingerprint?: string; authMechanism?: never };
    setTestedPassword(password);
    void test.run({ ...v, accountId: account.id, ...(password ? { password } : {}) });
  };

  const testSmtpNow = (draft = smtp) => {
    setSmtpTried(true);
    const problem = firstProblem(smtpProblems(draft));
    if (problem) {
      setMessage({ text: problem, error: true });
      return;
    }
    const typed = draft.useIncoming ? password : smtpPassword;
    void smtpTest.run({ ...smtpTestOf(draft), accountId: account.id, ...(draft.login && typed ? { password: typed } : {}) });
  };

  return (
    <form
      className="account-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
      // An edit after Save: "Settings saved." no longer describes the form (walkthrough M1).
      onChange={() => setMessage((m) => (m && !m.error ? null : m))}
    >
      <Field label="Account name" error={nameProblem}>
        {(id, describedBy) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} aria-invalid={nameProblem ? true : undefined} aria-describedby={describedBy} />}
      </Field>
      {certificate?.certificate && (
        <div role="alert" className="certificate-blocked">
          <p>{certificateText(account.name, certificate.certificate, 'settings')}</p>
          <CertificateFingerprints change={certificate.certificate} />
          <p>
            To accept the new certificate: confirm its fingerprint with your provider (or on your server), press Test connection, choose Trust this certificate, type the password again and Save. Popbox forgets the saved password when the certificate changes.
          </p>
        </div>
      )}
      <ServerFields value={server} onChange={setServer} />
      <Field label="Password" hint={passwordHint(account, store)}>
        {(id) => <input id={id} ref={passwordRef} type="password" value={password} placeholder="Unchanged" onChange={(e) => setPassword(e.target.value)} autoComplete="off" />}
      </Field>
      <OutgoingFields
        value={smtp}
        onChange={(v) => {
          // Sending needs an address to send from: the account's own to begin with.
          if (v.enabled && !smtp.enabled && identities.length === 0) setIdentities([{ name: '', address: account.email ?? (account.user.includes('@') ? account.user : ''), replyTo: '', signature: '', default: true }]);
          setSmtp(v);
          smtpTest.reset();
        }}
        problems={smtpIssues}
        showProblems={smtpTried}
        password={smtpPassword}
        onPassword={setSmtpPassword}
        passwordStored={need !== 'own'}
        passwordCommand={passwordCommand}
        session={typedSource(account) === 'session'}
        incomingHint={need === 'incoming' ? 'Type the incoming password in “Password” above as well: Popbox asks for it again whenever the outgoing server starts using it or moves.' : 'Popbox logs in to the outgoing server with the incoming server’s password.'}
        passwordRef={smtpRef}
        test={smtpTest.state}
        onTest={() => testSmtpNow()}
        onTrust={(fp) => {
          const next = { ...smtp, tlsFingerprint: fp };
          setSmtp(next);
          testSmtpNow(next);
        }}
      />
      {(smtp.enabled || identities.length > 0) && <Identities value={identities} onChange={setIdentities} problems={identityIssues} suggestedAddress={account.email ?? ''} />}
      <PolicyFields value={policy} onChange={setPolicy} />
      <TestResult
        state={test.state}
        onTrust={(fp) => {
          const next = { ...server, tlsFingerprint: fp };
          setServer(next);
          if (password === '') {
            // A new pin is a new destination for the password: the saved one is not sent to it.
            test.reset();
            setMessage({ text: 'Type the password, then press Test connection again: Popbox does not send the saved password to a server with a new certificate.', error: false });
            passwordRef.current?.focus();
            return;
          }
          testNow(next);
        }}
      />
      {message && (
        <p role={message.error ? 'alert' : 'status'} className={message.error ? 'error-text' : undefined}>
          {message.text}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="danger" onClick={() => setRemoving(true)}>
          Remove account
        </button>
        <button type="button" onClick={() => testNow()}>
          Test connection
        </button>
        <button type="submit" className="primary">
          Save
        </button>
      </div>
      <DeletionPreview accountId={account.id} version={version} policy={previewPolicy} edited={policyEdited} />
      {removing && removeQuestion()}
    </form>
  );
}

/** The whole name (cut short with "…" in the sidebar) and the address, when it is not the name. */
function accountTitle(a: PublicAccount): string {
  const address = a.email ?? (a.user.includes('@') ? a.user : '');
  return address && address !== a.name ? `${a.name} (${address})` : a.name;
}

export function SettingsView({ accountId, focusPassword, onClose }: { accountId: string | null; focusPassword: boolean; onClose: () => void }) {
  const { api, db } = useServices();
  const accounts = useLiveQuery(() => db.accounts.toArray().then(inAccountOrder), [db]);
  const [orderError, setOrderError] = useState<string | null>(null);
  const move = async (index: number, by: -1 | 1) => {
    if (!accounts) return;
    const ids = accounts.map((a) => a.id);
    const [moved] = ids.splice(index, 1);
    ids.splice(index + by, 0, moved!);
    try {
      await call(api, 'reorderAccounts', { ids });
      setOrderError(null);
    } catch (e) {
      setOrderError(plainError(e));
    }
  };
  const [selected, setSelected] = useState<string | 'new' | 'general' | 'filters' | null>(accountId);
  /** The account whose settings were shown last: a filter made next starts scoped to it. */
  const [lastAccount, setLastAccount] = useState<string | null>(accountId);
  const filters = selected === 'filters';
  const general = selected === 'general' || filters;
  const current = general ? null : (accounts?.find((a) => a.id === selected) ?? (selected === 'new' ? null : accounts?.[0]) ?? null);
  const adding = !general && (selected === 'new' || (accounts !== undefined && accounts.length === 0));
  return (
    <section className="settings" aria-label="Account settings">
      <div className="settings-head">
        <h1>Account settings</h1>
        <button type="button" onClick={onClose}>
          Done
        </button>
      </div>
      <div className="settings-body">
        <nav className="settings-accounts" aria-label="Accounts">
          <ul>
            {(accounts ?? []).map((a, i, all) => (
              <li key={a.id} className="account-entry">
                <button
                  type="button"
                  className="account-name"
                  title={accountTitle(a)}
                  aria-current={!adding && !general && current?.id === a.id ? 'page' : undefined}
                  onClick={() => {
                    setSelected(a.id);
                    setLastAccount(a.id);
                  }}
                >
                  {a.name}
                </button>
                {all.length > 1 && (
                  <span className="order-buttons">
                    <button type="button" aria-label={`Move ${a.name} up`} title="Move up" disabled={i === 0} onClick={() => void move(i, -1)}>
                      ↑
                    </button>
                    <button type="button" aria-label={`Move ${a.name} down`} title="Move down" disabled={i === all.length - 1} onClick={() => void move(i, 1)}>
                      ↓
                    </button>
                  </span>
                )}
              </li>
            ))}
          </ul>
          {orderError && <p role="alert">{orderError}</p>}
          <button type="button" onClick={() => setSelected('new')}>
            Add account
          </button>
          <button type="button" className="general-button" aria-current={selected === 'general' ? 'page' : undefined} onClick={() => setSelected('general')}>
            General
          </button>
          <button type="button" className="general-button" aria-current={filters ? 'page' : undefined} onClick={() => setSelected('filters')}>
            Filters
          </button>
        </nav>
        <div className="settings-main">
          {filters ? (
            <RulesSettings account={lastAccount} />
          ) : general ? (
            <GeneralSettings />
          ) : adding ? (
            <AddAccount
              onDone={(id) => {
                setSelected(id);
                setLastAccount(id);
              }}
              onCancel={accounts?.length ? () => setSelected(null) : undefined}
            />
          ) : current ? (
            <AccountForm
              key={current.id}
              account={current}
              otherNames={(accounts ?? []).filter((a) => a.id !== current.id).map((a) => a.name)}
              focusPassword={focusPassword && current.id === accountId}
              onRemoved={() => setSelected(null)}
            />
          ) : null}
        </div>
      </div>
    </section>
  );
}
