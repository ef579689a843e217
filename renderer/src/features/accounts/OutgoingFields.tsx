/**
 * The outgoing (SMTP) server's fields, its password choice, and its Test button with what the
 * server offers in plain words. The password is write-only: the renderer never sees a stored one.
 */
import { useEffect, useRef, useState, type ReactNode, type RefObject } from 'react';
import type { SmtpConnectionTest } from '../../../../shared/accounts.js';
import type { SmtpReport } from '../../../../shared/contract.js';
import { ApiError, call } from '../../api/client.js';
import { useServices } from '../../app/context.js';
import { Check, Field } from './fields.js';
import { keptWhere, usePasswordStore } from './password-store.js';
import { SMTP_DEFAULT_PORT, smtpReportLines, type SmtpDraft, type SmtpProblems } from './outgoing.js';

export type SmtpTestState = { kind: 'idle' } | { kind: 'testing' } | { kind: 'ok'; report: SmtpReport } | { kind: 'failed'; error: ApiError };

export function useSmtpTest() {
  const { api } = useServices();
  const [state, setState] = useState<SmtpTestState>({ kind: 'idle' });
  const run = async (test: SmtpConnectionTest) => {
    setState({ kind: 'testing' });
    try {
      setState({ kind: 'ok', report: await call(api, 'testSmtp', test) });
      return true;
    } catch (e) {
      setState({ kind: 'failed', error: e instanceof ApiError ? e : new ApiError({ code: 'network', message: String(e) }) });
      return false;
    }
  };
  return { state, run, reset: () => setState({ kind: 'idle' }) };
}

/** The settings a test of the draft sends (the password added by the caller). */
export function smtpTestOf(d: SmtpDraft): Omit<SmtpConnectionTest, 'password' | 'accountId'> {
  return {
    host: d.host,
    port: Number(d.port),
    security: d.security,
    auth: d.login ? 'password' : 'none',
    ...(d.login ? { user: d.user.trim() } : {}),
    ...(d.login && d.mechanism ? { mechanism: d.mechanism } : {}),
    allowInsecureAuth: d.security === 'plain' && d.allowInsecureAuth,
    ...(d.security !== 'plain' && d.tlsFingerprint ? { tlsFingerprint: d.tlsFingerprint } : {}),
  };
}

const HINT: Partial<Record<string, string>> = {
  auth: 'The outgoing server refused the user name or password.',
  network: 'Popbox could not reach the outgoing server. Check its name and port.',
  timeout: 'The outgoing server did not answer in time.',
  insecure: 'The password would travel unencrypted. Choose SSL/TLS or STARTTLS.',
  tls: 'A secure connection could not be set up with these settings (try the other security choice, or its port).',
  unsupported: 'The outgoing server lacks something Popbox needs.',
};

export function SmtpTestResult({ state, onTrust }: { state: SmtpTestState; onTrust: (fingerprint: string) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (state.kind !== 'idle') ref.current?.scrollIntoView?.({ block: 'nearest' });
  }, [state]);
  if (state.kind === 'idle') return null;
  let body: ReactNode;
  if (state.kind === 'testing') body = <div role="status">Testing the outgoing server…</div>;
  else if (state.kind === 'ok') {
    body = (
      <div role="status" className="test-ok" aria-label="Outgoing server test">
        <p>The outgoing server works.</p>
        <ul>
          {smtpReportLines(state.report).map((l) => (
            <li key={l}>{l}</li>
          ))}
        </ul>
      </div>
    );
  } else {
    const e = state.error;
    body =
      e.code === 'certificate' && e.detail.fingerprint256 ? (
        <div role="alert" className="test-failed">
          <p>The outgoing server’s certificate is not trusted by this computer. Trust it only if this fingerprint matches the one your server shows:</p>
          <code className="fingerprint">{e.detail.fingerprint256}</code>
          <button type="button" onClick={() => onTrust(e.detail.fingerprint256!)}>
            Trust this certificate
          </button>
        </div>
      ) : (
        <div role="alert" className="test-failed">
          {HINT[e.code] ?? 'The test of the outgoing server failed.'} <span className="muted">({e.message})</span>
        </div>
      );
  }
  return (
    <div ref={ref} className="test-result">
      {body}
    </div>
  );
}

export interface OutgoingFieldsProps {
  value: SmtpDraft;
  onChange: (v: SmtpDraft) => void;
  problems: SmtpProblems;
  /** Save or Test was tried: every field's problem shows, not only those of fields already left. */
  showProblems?: boolean;
  /** The outgoing server's own password (when it does not use the incoming one). */
  password: string;
  onPassword: (p: string) => void;
  /** Settings: a stored password may be kept; adding: it must be typed. */
  passwordStored: boolean;
  /** The password comes from a command set on the command line: kept as it is, nothing to type. */
  passwordCommand?: boolean;
  /** The account keeps typed passwords only while Popbox runs ("session"), not in the password store. */
  session?: boolean;
  /** Said under "Use the incoming password" (e.g. that the incoming one must be typed again). */
  incomingHint?: string | undefined;
  passwordRef?: RefObject<HTMLInputElement | null>;
  test: SmtpTestState;
  onTest: () => void;
  onTrust: (fingerprint: string) => void;
}

export function OutgoingFields(props: OutgoingFieldsProps) {
  const { value, onChange, problems } = props;
  const set = <K extends keyof SmtpDraft>(k: K, v: SmtpDraft[K]) => onChange({ ...value, [k]: v });
  // An empty field is not wrong yet (walkthrough m4: ticking "Send mail" showed a red line at once): its problem
  // shows once it was left or Save/Test tried; what is typed is checked as typed, as the account name is.
  const [left, setLeft] = useState<ReadonlySet<keyof SmtpProblems>>(() => new Set());
  const shown = (k: keyof SmtpProblems) => (props.showProblems || left.has(k) || value[k] !== '' ? problems[k] : undefined);
  const leave = (k: keyof SmtpProblems) => () => setLeft((s) => (s.has(k) ? s : new Set(s).add(k)));
  const invalid = (p: string | undefined) => (p ? true : undefined);
  const where = keptWhere(usePasswordStore(), props.session ? 'session' : 'keychain');
  const passwordHint = props.passwordCommand
    ? 'The password comes from a command set on the command line.'
    : [where, props.passwordStored ? 'Leave empty to keep the current one.' : null].filter((s) => s !== null).join(' ') || undefined;
  return (
    <fieldset className="outgoing-server">
      <legend>Outgoing server (SMTP)</legend>
      <Check label="Send mail from this account" checked={value.enabled} onChange={(v) => set('enabled', v)} />
      {value.enabled && (
        <>
          <Field label="Outgoing server" error={shown('host')}>
            {(id, d) => <input id={id} value={value.host} onChange={(e) => set('host', e.target.value.trim())} autoComplete="off" spellCheck={false} aria-invalid={invalid(shown('host'))} onBlur={leave('host')} aria-describedby={d} placeholder="smtp.example.com" />}
          </Field>
          <Field label="Outgoing security">
            {(id) => (
              <select
                id={id}
                value={value.security}
                onChange={(e) => {
                  const security = e.target.value as SmtpDraft['security'];
                  // A port still at the old choice's usual number follows the new choice.
                  const port = value.port === SMTP_DEFAULT_PORT[value.security] ? SMTP_DEFAULT_PORT[security] : value.port;
                  onChange({ ...value, security, port });
                }}
              >
                <option value="tls">SSL/TLS, port 465 (recommended)</option>
                <option value="starttls">STARTTLS, port 587</option>
                <option value="plain">None (unencrypted)</option>
              </select>
            )}
          </Field>
          <Field label="Outgoing port" error={shown('port')}>
            {(id, d) => <input id={id} inputMode="numeric" value={value.port} onChange={(e) => set('port', e.target.value.trim())} aria-invalid={invalid(shown('port'))} onBlur={leave('port')} aria-describedby={d} />}
          </Field>
          <Field label="Outgoing login">
            {(id) => (
              <select id={id} value={value.login ? value.mechanism || 'auto' : 'none'} onChange={(e) => onChange({ ...value, login: e.target.value !== 'none', mechanism: e.target.value === 'none' || e.target.value === 'auto' ? '' : (e.target.value as SmtpDraft['mechanism']) })}>
                <option value="auto">Password (automatic method)</option>
                <option value="PLAIN">Password, PLAIN</option>
                <option value="LOGIN">Password, LOGIN</option>
                <option value="CRAM-MD5">Password, CRAM-MD5</option>
                <option value="XOAUTH2">OAuth2 (XOAUTH2)</option>
                <option value="none">No login (the server takes mail without one)</option>
              </select>
            )}
          </Field>
          {value.login && (
            <>
              <Field label="Outgoing user name" error={shown('user')}>
                {(id, d) => <input id={id} value={value.user} onChange={(e) => set('user', e.target.value)} autoComplete="off" spellCheck={false} aria-invalid={invalid(shown('user'))} onBlur={leave('user')} aria-describedby={d} />}
              </Field>
              <Check label="Use the incoming password" checked={value.useIncoming} onChange={(v) => set('useIncoming', v)} />
              {value.useIncoming ? (
                props.incomingHint && <div className="hint">{props.incomingHint}</div>
              ) : (
                <Field
                  label="Outgoing password"
                  hint={passwordHint}
                >
                  {(id) =>
                    props.passwordCommand ? (
                      <input id={id} type="password" value="" placeholder="From a command" disabled readOnly />
                    ) : (
                      <input id={id} ref={props.passwordRef} type="password" value={props.password} placeholder={props.passwordStored ? 'Unchanged' : undefined} onChange={(e) => props.onPassword(e.target.value)} autoComplete="off" />
                    )
                  }
                </Field>
              )}
            </>
          )}
          {value.security === 'plain' && value.login && <Check label="Allow sending the outgoing password unencrypted" checked={value.allowInsecureAuth} onChange={(v) => set('allowInsecureAuth', v)} />}
          {value.security !== 'plain' && (
            <Field label="Outgoing server’s trusted certificate (SHA-256)" hint="Only for a server with a self-signed certificate." error={shown('tlsFingerprint')}>
              {(id, d) => (
                <input id={id} value={value.tlsFingerprint} onChange={(e) => set('tlsFingerprint', e.target.value.trim())} spellCheck={false} placeholder="Optional" aria-invalid={invalid(shown('tlsFingerprint'))} onBlur={leave('tlsFingerprint')} aria-describedby={d} />
              )}
            </Field>
          )}
          <SmtpTestResult state={props.test} onTrust={props.onTrust} />
          <div className="form-actions">
            <button type="button" onClick={props.onTest} disabled={props.test.kind === 'testing'}>
              Test outgoing server
            </button>
          </div>
        </>
      )}
    </fieldset>
  );
}
