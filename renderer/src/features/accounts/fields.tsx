/** Form pieces shared by the add-account flow and the settings page. Every field has a visible label. */
import { useId, type ReactNode } from 'react';
import './accounts.css';
import type { AuthMechanism, Security } from '../../../../shared/accounts.js';

export interface ServerDraft {
  host: string;
  port: string;
  security: Security;
  user: string;
  authMechanism: AuthMechanism | '';
  allowInsecureAuth: boolean;
  tlsFingerprint: string;
}

export interface PolicyDraft {
  leaveOnServer: boolean;
  deleteAfter: boolean;
  deleteAfterDays: string;
  deleteWhenDeletedLocally: boolean;
  headersOnly: boolean;
  maxMessageSizeKB: string;
  checkEveryMinutes: string;
  checkAtStartup: boolean;
  pipelining: boolean;
  trustServerVerdict: boolean;
  junkOnServer: boolean;
}

/** A labelled field; `error` is said next to it as the user types (and tied to it for screen readers). */
export function Field({ label, children, hint, error }: { label: string; children: (id: string, describedBy: string | undefined) => ReactNode; hint?: string; error?: string | null }) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id, error ? errorId : undefined)}
      {hint && <div className="hint">{hint}</div>}
      {error && (
        <div className="field-error" id={errorId} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

export function Check({ label, checked, onChange, disabled }: { label: string; checked: boolean; onChange: (v: boolean) => void; disabled?: boolean }) {
  return (
    <label className="check">
      <input type="checkbox" checked={checked} disabled={disabled} onChange={(e) => onChange(e.target.checked)} /> {label}
    </label>
  );
}

const DEFAULT_PORT: Record<Security, string> = { tls: '995', starttls: '110', plain: '110' };

export function ServerFields({ value, onChange }: { value: ServerDraft; onChange: (v: ServerDraft) => void }) {
  const set = <K extends keyof ServerDraft>(k: K, v: ServerDraft[K]) => onChange({ ...value, [k]: v });
  return (
    <fieldset>
      <legend>Incoming mail server (POP3)</legend>
      <Field label="Server">{(id) => <input id={id} value={value.host} onChange={(e) => set('host', e.target.value.trim())} autoComplete="off" spellCheck={false} />}</Field>
      <Field label="Security">
        {(id) => (
          <select
            id={id}
            value={value.security}
            onChange={(e) => {
              const security = e.target.value as Security;
              const port = value.port === DEFAULT_PORT[value.security] ? DEFAULT_PORT[security] : value.port;
              onChange({ ...value, security, port });
            }}
          >
            <option value="tls">SSL/TLS (recommended)</option>
            <option value="starttls">STARTTLS</option>
            <option value="plain">None (unencrypted)</option>
          </select>
        )}
      </Field>
      <Field label="Port">{(id) => <input id={id} inputMode="numeric" value={value.port} onChange={(e) => set('port', e.target.value.trim())} />}</Field>
      <Field label="User name">{(id) => <input id={id} value={value.user} onChange={(e) => set('user', e.target.value)} autoComplete="off" spellCheck={false} />}</Field>
      <Field label="Authentication method">
        {(id) => (
          <select id={id} value={value.authMechanism} onChange={(e) => set('authMechanism', e.target.value as ServerDraft['authMechanism'])}>
            <option value="">Automatic (strongest the server offers)</option>
            <option value="CRAM-MD5">CRAM-MD5</option>
            <option value="APOP">APOP</option>
            <option value="PLAIN">PLAIN</option>
            <option value="LOGIN">LOGIN</option>
            <option value="USER">USER/PASS</option>
            <option value="XOAUTH2">OAuth2 (XOAUTH2)</option>
          </select>
        )}
      </Field>
      {value.security === 'plain' && <Check label="Allow sending the password unencrypted" checked={value.allowInsecureAuth} onChange={(v) => set('allowInsecureAuth', v)} />}
      {value.security !== 'plain' && (
        <Field label="Trusted certificate fingerprint (SHA-256)" hint="Only for a server with a self-signed certificate.">
          {(id) => <input id={id} value={value.tlsFingerprint} onChange={(e) => set('tlsFingerprint', e.target.value.trim())} spellCheck={false} placeholder="Optional" />}
        </Field>
      )}
    </fieldset>
  );
}

export function PolicyFields({ value, onChange }: { value: PolicyDraft; onChange: (v: PolicyDraft) => void }) {
  const set = <K extends keyof PolicyDraft>(k: K, v: PolicyDraft[K]) => onChange({ ...value, [k]: v });
  return (
    <>
      <fieldset>
        <legend>Server copies</legend>
        <Check label="Leave messages on server" checked={value.leaveOnServer} onChange={(v) => onChange({ ...value, leaveOnServer: v, ...(v ? {} : { deleteAfter: false, deleteWhenDeletedLocally: false }) })} />
        <div className="indent">
          <Check label="Delete from server after a number of days" checked={value.deleteAfter} disabled={!value.leaveOnServer} onChange={(v) => set('deleteAfter', v)} />
          <Field label="Days to keep on server">
            {(id) => <input id={id} inputMode="numeric" value={value.deleteAfterDays} disabled={!value.leaveOnServer || !value.deleteAfter} onChange={(e) => set('deleteAfterDays', e.target.value.trim())} />}
          </Field>
          <Check label="Delete from server when deleted here" checked={value.deleteWhenDeletedLocally} disabled={!value.leaveOnServer} onChange={(v) => set('deleteWhenDeletedLocally', v)} />
        </div>
        {!value.leaveOnServer && <div className="hint">Each message is removed from the server once it is safely on this computer.</div>}
      </fieldset>
      <fieldset>
        <legend>Checking for mail</legend>
        <Check label="Check for new mail at startup" checked={value.checkAtStartup} onChange={(v) => set('checkAtStartup', v)} />
        <Field label="Check every (minutes)">{(id) => <input id={id} inputMode="numeric" value={value.checkEveryMinutes} onChange={(e) => set('checkEveryMinutes', e.target.value.trim())} />}</Field>
        <Check label="Download only headers for large messages" checked={value.headersOnly} onChange={(v) => set('headersOnly', v)} />
        <Field label="Headers-only size limit (KB)">
          {(id) => <input id={id} inputMode="numeric" value={value.maxMessageSizeKB} disabled={!value.headersOnly} onChange={(e) => set('maxMessageSizeKB', e.target.value.trim())} />}
        </Field>
        <Check label="Use pipelining (faster; turn off for servers that get it wrong)" checked={value.pipelining} onChange={(v) => set('pipelining', v)} />
        <Check label="Trust the server's spam verdict (X-Spam-Flag) as evidence for the junk filter" checked={value.trustServerVerdict} onChange={(v) => set('trustServerVerdict', v)} />
        <Check label="Leave suspected junk on the server for review" checked={value.junkOnServer} onChange={(v) => set('junkOnServer', v)} />
        <div className="hint indent">The junk filter reads each new message's headers before it is downloaded; what looks like junk stays on the server, marked “Held as junk” under On the server, where you can download it or delete it there.</div>
      </fieldset>
    </>
  );
}

/**
 * A new account leaves its mail on the server (Thunderbird does too): someone who also reads it on a
 * phone or in webmail must not find it gone after the first check (walkthrough M5). The command
 * line's flags keep their own default (off).
 */
export const DEFAULT_POLICY: PolicyDraft = {
  leaveOnServer: true,
  deleteAfter: false,
  deleteAfterDays: '14',
  deleteWhenDeletedLocally: false,
  headersOnly: false,
  maxMessageSizeKB: '1024',
  checkEveryMinutes: '10',
  checkAtStartup: true,
  pipelining: true,
  trustServerVerdict: false,
  junkOnServer: false,
};

/** Form text to the settings' values; the first problem as a message naming its field. */
export function policyValues(p: PolicyDraft): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } {
  const int = (s: string) => (/^\d+$/.test(s) ? Number(s) : NaN);
  const days = int(p.deleteAfterDays);
  const kb = int(p.maxMessageSizeKB);
  const minutes = int(p.checkEveryMinutes);
  if (p.leaveOnServer && p.deleteAfter && !(days >= 1)) return { ok: false, message: 'Days to keep on server: enter a whole number of days, at least 1.' };
  if (p.headersOnly && !(kb >= 1)) return { ok: false, message: 'Headers-only size limit: enter a whole number of KB, at least 1.' };
  if (!(minutes >= 1 && minutes <= 1440)) return { ok: false, message: 'Check every: enter a whole number of minutes from 1 to 1440.' };
  return {
    ok: true,
    value: {
      leaveOnServer: p.leaveOnServer,
      deleteAfterDays: p.leaveOnServer && p.deleteAfter ? days : null,
      deleteWhenDeletedLocally: p.leaveOnServer && p.deleteWhenDeletedLocally,
      maxMessageSizeKB: p.headersOnly ? kb : null,
      checkEveryMinutes: minutes,
      checkAtStartup: p.checkAtStartup,
      pipelining: p.pipelining,
      trustServerVerdict: p.trustServerVerdict,
      junkOnServer: p.junkOnServer,
    },
  };
}

export function serverValues(s: ServerDraft): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } {
  const port = /^\d+$/.test(s.port) ? Number(s.port) : NaN;
  if (!s.host) return { ok: false, message: 'Server: enter the POP3 server’s host name.' };
  if (!(port >= 1 && port <= 65535)) return { ok: false, message: 'Port: enter a number from 1 to 65535.' };
  if (!s.user) return { ok: false, message: 'User name: enter the name you log in with.' };
  return {
    ok: true,
    value: {
      host: s.host,
      port,
      security: s.security,
      user: s.user,
      authMechanism: s.authMechanism === '' ? undefined : s.authMechanism,
      allowInsecureAuth: s.security === 'plain' && s.allowInsecureAuth,
      tlsFingerprint: s.security === 'plain' || s.tlsFingerprint === '' ? undefined : s.tlsFingerprint,
    },
  };
}
