/** Send (Ctrl/⌘+Enter) and Send later ▾: in an hour, tomorrow at 8:00, or a date and time the user picks. */
import { useState } from 'react';
import { Menu } from '../../app/Menu.js';
import { formatSendTime, inOneHour, localInputValue, tomorrowMorning } from './send-later.js';

const isMac = typeof navigator !== 'undefined' && /Mac/.test(navigator.platform);

export function SendButtons({ busy, onSend }: { busy: boolean; onSend: (sendAt?: number) => void }) {
  const [menuAt, setMenuAt] = useState<{ x: number; y: number } | null>(null);
  const [picking, setPicking] = useState<string | null>(null);
  const [pickError, setPickError] = useState<string | null>(null);
  const now = new Date();
  const hour = inOneHour(now);
  const morning = tomorrowMorning(now);
  const schedule = () => {
    const at = picking ? new Date(picking) : null;
    if (!at || Number.isNaN(at.getTime())) return setPickError('Choose a date and a time.');
    if (at.getTime() <= Date.now()) return setPickError('That time has passed: choose a later one.');
    setPicking(null);
    onSend(at.getTime());
  };
  return (
    <div className="send-buttons">
      <button type="submit" className="primary" disabled={busy} aria-busy={busy} title={`Send (${isMac ? '⌘' : 'Ctrl'}+Enter)`}>
        {busy ? 'Sending…' : 'Send'}
      </button>
      <button
        type="button"
        className="send-later"
        disabled={busy}
        aria-haspopup="menu"
        aria-expanded={menuAt !== null}
        aria-label="Send later"
        title="Send later"
        onClick={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          setMenuAt({ x: r.left, y: r.bottom + 2 });
        }}
      >
        ▾
      </button>
      {menuAt && (
        <Menu
          label="Send later"
          at={menuAt}
          onClose={() => setMenuAt(null)}
          items={[
            { label: `In 1 hour (${formatSendTime(hour)})`, onSelect: () => onSend(hour.getTime()) },
            { label: `Tomorrow morning (${formatSendTime(morning)})`, onSelect: () => onSend(morning.getTime()) },
            { label: 'Pick date and time…', onSelect: () => (setPickError(null), setPicking(localInputValue(inOneHour(new Date())))), separatorBefore: true },
          ]}
        />
      )}
      {picking !== null && (
        <div
          className="send-later-pick"
          role="group"
          aria-label="Send later at"
          onKeyDown={(e) => {
            // Escape closes this picker, not the compose screen; Enter schedules.
            if (e.key === 'Escape') {
              e.preventDefault();
              e.stopPropagation();
              setPicking(null);
            } else if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey && (e.target as HTMLElement).tagName === 'INPUT') {
              e.preventDefault();
              schedule();
            }
          }}
        >
          <label>
            Send at{' '}
            <input type="datetime-local" value={picking} min={localInputValue(new Date())} onChange={(e) => setPicking(e.target.value)} autoFocus />
          </label>
          <button type="button" className="primary" onClick={schedule}>
            Schedule
          </button>
          <button type="button" onClick={() => setPicking(null)}>
            Cancel
          </button>
          {pickError && (
            <p className="field-error" role="alert">
              {pickError}
            </p>
          )}
        </div>
      )}
    </div>
  );
}
