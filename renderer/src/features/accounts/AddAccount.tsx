/**
 * Adding an account starts from who the person is: their name (for the From of what they send,
 * and how their mail shows in Sent), their address and password, asked together on the first
 * page as every mail client does. From the address: a well-known provider's settings, or what
 * answers on the mail domain (995, then 110 with STARTTLS). Where nothing can be looked up (a
 * home server, `alice@localhost`) or the user prefers, the server is entered by hand. The
 * connection is tested before the account is saved.
 */
import { useLiveQuery } from 'dexie-react-hooks';
import { useState } from 'react';
import { accountNameProblem, type ScreenAccountInput as AccountInput } from '../../../../shared/accounts.js';
import { call, isApiError } from '../../api/client.js';
import { useServices } from '../../app/context.js';
import { plainError } from './plain-error.js';
import { TestResult, useConnectionTest } from './ConnectionTester.js';
import { Check, DEFAULT_POLICY, Field, PolicyFields, policyValues, ServerFields, serverValues, type PolicyDraft, type ServerDraft } from './fields.js';
import { OutgoingFields, smtpTestOf, useSmtpTest } from './OutgoingFields.js';
import { EMPTY_SMTP, firstProblem, identityProblems, newSmtpValue, smtpProblems, type SmtpDraft, type TypedPasswordSource } from './outgoing.js';

/** Why the keychain refused, from main's message ("…could not store the password (REASON); …"). */
function keychainReason(e: unknown): string {
  const text = isApiError(e) ? e.message : String(e);
  return /the password \((.*)\);/.exec(text)?.[1] ?? plainError(e);
}

export function AddAccount({ onDone, onCancel }: { onDone: (accountId: string) => void; onCancel?: () => void }) {
  const { api, db } = useServices();
  const otherNames = useLiveQuery(() => db.accounts.toArray().then((all) => all.map((a) => a.name)), [db]) ?? [];
  const [step, setStep] = useState<'identity' | 'server'>('identity');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [server, setServer] = useState<ServerDraft>({ host: '', port: '995', security: 'tls', user: '', authMechanism: '', allowInsecureAuth: false, tlsFingerprint: '' });
  const [policy, setPolicy] = useState<PolicyDraft>(DEFAULT_POLICY);
  const [note, setNote] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** The keychain could not store the password: why, while the choice to keep it only in memory is shown. */
  const [keychainFailed, setKeychainFailed] = useState<string | null>(null);
  const [showAdvanced, setShowAdvanced] = useState(false);
  const test = useConnectionTest();
  const [smtp, setSmtp] = useState<SmtpDraft>(EMPTY_SMTP);
  const [smtpPassword, setSmtpPassword] = useState('');
  /** The name recipients see in From (asked on the first page, kept as the account's identity). */
  const [fromName, setFromName] = useState('');
  const smtpTest = useSmtpTest();
  /** Save or the outgoing Test was pressed: the outgoing fields show every problem. */
  const [smtpTried, setSmtpTried] = useState(false);
  const smtpIssues = smtpProblems(smtp);
  const nameIssues = identityProblems({ name: fromName, address: email.trim(), replyTo: '', signature: '', default: true }, []);
  // Only once the user has typed one: an empty name is filled from the address.
  const nameProblem = name === '' ? null : accountNameProblem(name, otherNames);

  const toServerStep = (message: string) => {
    setNote(message);
    setServer((s) => ({ ...s, user: s.user || email.trim() }));
    setName((n) => n || email.trim());
    setStep('server');
  };

  const discover = async (manual = false) => {
    setProblem(null);
    // The name field already says what is wrong with it.
    if (nameIssues.name) return;
    const address = email.trim();
    if (!/^[^\s@]+@[^\s@]+$/.test(address)) {
      setProblem('Email address: enter an address like name@example.com.');
      return;
    }
    // A domain without a dot (a home server's "localhost") is in no provider table and no DNS.
    if (manual || !address.slice(address.lastIndexOf('@') + 1).includes('.')) {
      toServerStep('Enter your mail server’s settings below, then test the connection.');
      return;
    }
    setBusy(true);
    try {
      const d = await call(api, 'discoverServer', { email: email.trim() });
      setServer((s) => ({ ...s, user: d.user, ...(d.server ? { host: d.server.host, port: String(d.server.port), security: d.server.security } : {}) }));
      if (d.smtp) setSmtp({ ...EMPTY_SMTP, enabled: true, host: d.smtp.host, port: String(d.smtp.port), security: d.smtp.security, user: d.user, useIncoming: true });
      const found = d.server ? `Found a POP3 server at ${d.server.host}${d.smtp ? ` and an outgoing server at ${d.smtp.host}` : ''}.` : 'Popbox could not find a POP3 server for this address. Enter the server’s settings below.';
      setNote(d.provider ? `Settings for ${d.provider}.${d.note ? ' ' + d.note : ''}` : found);
    } catch (e) {
      setNote(`Could not look up the settings (${plainError(e)}) Enter them below.`);
      setServer((s) => ({ ...s, user: email.trim() }));
    } finally {
      setBusy(false);
      setName((n) => n || email.trim());
      setStep('server');
    }
  };

  const testNow = async (draft = server) => {
    setProblem(null);
    const sv = serverValues(draft);
    if (!sv.ok) {
      setProblem(sv.message);
      return false;
    }
    const v = sv.value as { host: string; port: number; security: ServerDraft['security']; user: string; authMechanism?: AccountInput['authMechanism']; allowInsecureAuth: boolean; tlsFingerprint?: string };
    return test.run({ ...v, password });
  };

  const testSmtpNow = (draft = smtp) => {
    setSmtpTried(true);
    const issue = firstProblem(smtpProblems(draft));
    if (issue) {
      setProblem(issue);
      return;
    }
    const typed = draft.useIncoming ? password : smtpPassword;
    void smtpTest.run({ ...smtpTestOf(draft), ...(draft.login && typed ? { password: typed } : {}) });
  };

  const save = async (keep: TypedPasswordSource = 'keychain') => {
    setProblem(null);
    // A Save with sending off says nothing of the outgoing fields: ticking it later shows no red
    // line before they are typed in (walkthrough m4, seen after an earlier Save).
    setSmtpTried(smtp.enabled);
    setKeychainFailed(null);
    const finalName = name.trim() || email.trim();
    const badName = accountNameProblem(finalName, otherNames);
    if (badName) {
      setProblem(`Account name: ${badName}`);
      return;
    }
    const sv = serverValues(server);
    const pv = policyValues(policy);
    if (!sv.ok || !pv.ok) {
      setProblem(!sv.ok ? sv.message : !pv.ok ? pv.message : '');
      return;
    }
    const sendProblem = smtp.enabled ? (firstProblem(smtpIssues) ?? nameIssues.name ?? nameIssues.address ?? null) : null;
    if (sendProblem) {
      setProblem(sendProblem);
      return;
    }
    const ownPassword = smtp.enabled && smtp.login && !smtp.useIncoming;
    if (ownPassword && smtpPassword === '') {
      setProblem('Outgoing password: enter the outgoing server’s password, or choose “Use the incoming password”.');
      return;
    }
    // The name typed on the first page is kept even when the account only receives: it is who
    // the person writes as once sending is switched on in Settings.
    const identity = { identities: [{ name: fromName.trim(), address: email.trim(), default: true }] };
    const sending = smtp.enabled ? { smtp: newSmtpValue(smtp, keep), ...identity } : fromName.trim() && !nameIssues.address ? identity : {};
    setBusy(true);
    try {
      const account = await call(api, 'addAccount', {
        account: { name: finalName, email: email.trim(), ...sv.value, ...pv.value, ...sending, password: { source: keep } } as AccountInput,
        password,
        ...(ownPassword ? { smtpPassword } : {}),
      });
      onDone(account.id);
      void call(api, 'syncNow', { accountIds: [account.id] }).catch(() => {});
    } catch (e) {
      // No keychain answers (no D-Bus, a locked keyring): a dead end unless the screen offers a way on.
      if (keep === 'keychain' && isApiError(e) && e.code === 'secret') setKeychainFailed(keychainReason(e));
      else setProblem(plainError(e));
    } finally {
      setBusy(false);
    }
  };

  const cancel = onCancel && (
    <button type="button" onClick={onCancel}>
      Cancel
    </button>
  );

  return (
    <section className="settings-page" aria-label="Add account">
      <h2>Add a mail account</h2>
      {step === 'identity' ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void discover();
          }}
        >
          <Field label="Your name" hint="As people you write to see it, e.g. Ann Example; may be left empty." error={nameIssues.name}>
            {(id, describedBy) => <input id={id} value={fromName} onChange={(e) => setFromName(e.target.value)} aria-describedby={describedBy} autoFocus autoComplete="name" />}
          </Field>
          <Field label="Email address">{(id) => <input id={id} type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" />}</Field>
          <Field label="Password">{(id) => <input id={id} type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="off" />}</Field>
          {problem && <p role="alert">{problem}</p>}
          <div className="form-actions">
            {cancel}
            <button type="button" onClick={() => void discover(true)} disabled={busy}>
              Set up manually
            </button>
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Looking up settings…' : 'Continue'}
            </button>
          </div>
        </form>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          {note && <p className="note">{note}</p>}
          <Field label="Account name" error={nameProblem}>
            {(id, describedBy) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} aria-invalid={nameProblem ? true : undefined} aria-describedby={describedBy} />}
          </Field>
          <ServerFields
            value={server}
            onChange={(v) => {
              setServer(v);
              test.reset();
            }}
          />
          <OutgoingFields
            value={smtp}
            onChange={(v) => {
              setSmtp({ ...v, user: v.user || server.user });
              smtpTest.reset();
            }}
            problems={smtpIssues}
            showProblems={smtpTried}
            password={smtpPassword}
            onPassword={setSmtpPassword}
            passwordStored={false}
            test={smtpTest.state}
            onTest={() => testSmtpNow()}
            onTrust={(fp) => {
              const next = { ...smtp, tlsFingerprint: fp };
              setSmtp(next);
              testSmtpNow(next);
            }}
          />
          {smtp.enabled && (nameIssues.name || nameIssues.address) && <p role="alert">{nameIssues.name ? `Your name: ${nameIssues.name}` : nameIssues.address}</p>}
          <Check label="Show more settings" checked={showAdvanced} onChange={setShowAdvanced} />
          {showAdvanced ? <PolicyFields value={policy} onChange={setPolicy} /> : <Check label="Leave messages on server" checked={policy.leaveOnServer} onChange={(v) => setPolicy({ ...policy, leaveOnServer: v })} />}
          <TestResult
            state={test.state}
            onTrust={(fp) => {
              const next = { ...server, tlsFingerprint: fp };
              setServer(next);
              void testNow(next);
            }}
          />
          {problem && <p role="alert">{problem}</p>}
          {keychainFailed !== null && (
            <div role="alert" className="keychain-failed">
              <p>The account was not saved: this computer’s keychain could not store the password ({keychainFailed}).</p>
              <p>
                Popbox can instead keep the password only while it runs, without saving it anywhere, and ask for it again each time it starts. Or
                start or unlock the keyring, then press Save account again.
              </p>
              <button type="button" onClick={() => void save('session')} disabled={busy}>
                Keep the password until Popbox closes
              </button>
            </div>
          )}
          <div className="form-actions">
            {cancel}
            <button type="button" onClick={() => setStep('identity')}>
              Back
            </button>
            <button type="button" onClick={() => void testNow()} disabled={test.state.kind === 'testing'}>
              Test connection
            </button>
            <button type="submit" className="primary" disabled={busy || test.state.kind !== 'ok'} title={test.state.kind !== 'ok' ? 'Test the connection first' : undefined}>
              Save account
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
