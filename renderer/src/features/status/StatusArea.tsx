/** Per-account progress and errors, each error with the action that fixes it. */
import { useLiveQuery } from 'dexie-react-hooks';
import { useEffect, useState } from 'react';
import { call } from '../../api/client.js';
import { useServices } from '../../app/context.js';
import { inAccountOrder, type StatusRow } from '../../db/database.js';
import { OutboxStatusLine } from '../outbox/OutboxStatus.js';
import { CertificateFingerprints } from './CertificateChange.js';
import { formatListDate } from '../../app/format.js';
import { explain, progressText } from './explain.js';
import './status.css';

/** How long a passing remark ("200 new messages.") stays; errors stay until they are fixed. */
export const NOTICE_MS = 10_000;

/** The notice until it has been up for NOTICE_MS (a new notice starts again). */
function useExpiring(notice: string | null): string | null {
  const [shown, setShown] = useState(notice);
  useEffect(() => {
    setShown(notice);
    if (notice === null) return;
    const t = setTimeout(() => setShown(null), NOTICE_MS);
    return () => clearTimeout(t);
  }, [notice]);
  return shown;
}

/**
 * When every account's last check went well and none is checking now: the oldest of their last
 * checks (each account was checked at or after it). Without it the bar sat empty between checks,
 * and a person could not tell a quiet inbox from a Popbox that had stopped checking.
 */
function lastChecked(lines: readonly StatusRow[]): number | null {
  let oldest: number | null = null;
  for (const s of lines) {
    if ((s.state !== 'idle' && s.state !== 'queued') || s.lastError) return null;
    if (s.lastSuccessAt !== null && (oldest === null || s.lastSuccessAt < oldest)) oldest = s.lastSuccessAt;
  }
  return oldest;
}

/** "Checked for mail at 16:35." today, "Checked for mail on Dec 5." before. */
export function checkedText(at: number, now = Date.now()): string {
  const today = new Date(at).toDateString() === new Date(now).toDateString();
  return `Checked for mail ${today ? 'at' : 'on'} ${formatListDate(at, now)}.`;
}

export function StatusArea({ onOpenSettings, notice }: { onOpenSettings: (accountId: string, focusPassword?: boolean) => void; notice: string | null }) {
  const { api, db } = useServices();
  const accounts = useLiveQuery(() => db.accounts.toArray().then(inAccountOrder), [db]) ?? [];
  const statuses = useLiveQuery(() => db.status.toArray(), [db]) ?? [];
  const names = new Map(accounts.map((a) => [a.id, a.name]));
  const byId = new Map(statuses.map((s) => [s.accountId, s]));
  const lines = accounts.flatMap((a) => byId.get(a.id) ?? []);
  const shownNotice = useExpiring(notice);
  const checked = shownNotice ? null : lastChecked(lines);
  return (
    <footer className="status-area" aria-label="Status">
      {/* Outside the live region: inside it, a screen reader read "Checked for mail at 9:05." after
          every check, every few minutes, with nothing new to say. It is there to be looked at. */}
      {checked !== null && <div className="status-line quiet">{checkedText(checked)}</div>}
      <div role="status" aria-live="polite">
        {shownNotice && <div className="status-line">{shownNotice}</div>}
        <OutboxStatusLine accountIds={accounts.map((a) => a.id)} />
        {lines.map((s) => {
          const name = names.get(s.accountId)!;
          if (s.state === 'syncing') {
            return (
              <div key={s.accountId} className="status-line">
                {name}: {s.progress ? progressText(s.progress) : 'Checking…'}
              </div>
            );
          }
          const ex = explain(s, name);
          if (!ex) return null;
          return (
            <div key={s.accountId} className={`status-line error${ex.certificate ? ' certificate-warning' : ''}`}>
              <span>{ex.text}</span>
              {ex.certificate && <CertificateFingerprints change={ex.certificate} />}
              {ex.action?.kind === 'password' && (
                <button type="button" onClick={() => onOpenSettings(s.accountId, true)}>
                  Enter password
                </button>
              )}
              {ex.action?.kind === 'settings' && (
                <button type="button" onClick={() => onOpenSettings(s.accountId)}>
                  Open settings
                </button>
              )}
              {ex.action?.kind === 'retry' && (
                <button type="button" onClick={() => void call(api, 'syncNow', { accountIds: [s.accountId] }).catch(() => {})}>
                  Try again now
                </button>
              )}
            </div>
          );
        })}
      </div>
    </footer>
  );
}
