/** "Test connection": what the server said, or the error with its fix (trust a certificate). */
import { useEffect, useRef, useState } from 'react';
import type { ConnectionReport, ConnectionTest } from '../../../../shared/contract.js';
import { ApiError, call } from '../../api/client.js';
import { useServices } from '../../app/context.js';
import { formatBytes } from '../../app/format.js';

export type TestState = { kind: 'idle' } | { kind: 'testing' } | { kind: 'ok'; report: ConnectionReport } | { kind: 'failed'; error: ApiError };

export function useConnectionTest() {
  const { api } = useServices();
  const [state, setState] = useState<TestState>({ kind: 'idle' });
  const run = async (test: ConnectionTest) => {
    setState({ kind: 'testing' });
    try {
      setState({ kind: 'ok', report: await call(api, 'testConnection', test) });
      return true;
    } catch (e) {
      setState({ kind: 'failed', error: e instanceof ApiError ? e : new ApiError({ code: 'network', message: String(e) }) });
      return false;
    }
  };
  return { state, run, reset: () => setState({ kind: 'idle' }) };
}

/** The result, brought into view when it changes: the button that asked may be far down a long form. */
export function TestResult({ state, onTrust }: { state: TestState; onTrust: (fingerprint: string) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (state.kind !== 'idle') ref.current?.scrollIntoView({ block: 'nearest' });
  }, [state]);
  if (state.kind === 'idle') return null;
  return (
    <div ref={ref} className="test-result">
      <Outcome state={state} onTrust={onTrust} />
    </div>
  );
}

function Outcome({ state, onTrust }: { state: Exclude<TestState, { kind: 'idle' }>; onTrust: (fingerprint: string) => void }) {
  if (state.kind === 'testing') return <div role="status">Testing the connection…</div>;
  if (state.kind === 'ok') {
    const r = state.report;
    return (
      <div role="status" className="test-ok">
        Connection works{r.secure ? ' (encrypted)' : ' (not encrypted)'}: {r.messageCount} message{r.messageCount === 1 ? '' : 's'} ({formatBytes(r.mailboxBytes)}) on the server.
        {!r.uidl && ' This server cannot keep track of messages, so they cannot be left on the server.'}
        {r.loginDelaySeconds ? ` The server allows a check every ${Math.ceil(r.loginDelaySeconds / 60)} minutes.` : ''}
        {r.expireDays === 0 ? ' The server deletes messages as soon as they are downloaded.' : ''}
      </div>
    );
  }
  const e = state.error;
  if (e.code === 'certificate' && e.detail.fingerprint256) {
    const expected = e.detail.expectedFingerprint256;
    return (
      <div role="alert" className="test-failed">
        {expected ? (
          <p>
            The server’s certificate is not the one this account expects (<code className="fingerprint">{expected}</code>). Someone may be intercepting the connection. Trust the new one only if your provider confirms this fingerprint:
          </p>
        ) : (
          <p>The server’s certificate is not trusted by this computer. Trust it only if this fingerprint matches the one your server shows:</p>
        )}
        <code className="fingerprint">{e.detail.fingerprint256}</code>
        <button type="button" onClick={() => onTrust(e.detail.fingerprint256!)}>
          Trust this certificate
        </button>
      </div>
    );
  }
  const hint: Partial<Record<string, string>> = {
    auth: 'The server refused the user name or password.',
    network: 'Popbox could not reach the server. Check the server name and port.',
    timeout: 'The server did not answer in time.',
    insecure: 'The password would travel unencrypted. Choose SSL/TLS or STARTTLS.',
    tls: 'A secure connection could not be set up with these settings.',
  };
  return (
    <div role="alert" className="test-failed">
      {hint[e.code] ?? 'The connection test failed.'} <span className="muted">({e.message})</span>
    </div>
  );
}
