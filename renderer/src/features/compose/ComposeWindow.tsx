/**
 * A compose window of its own (Electron): the form fills it; Close, Discard and the system's
 * close button keep or drop the draft and close the window; after Send the window shows
 * "Sending… Undo" for the undo window, then "Sent “subject”." once main tells it the Outbox has
 * sent it (main forwards its changes to compose windows too), then closes; Undo brings the draft
 * back into it.
 */
import { useEffect, useState } from 'react';
import type { PublicAccount } from '../../../../shared/contract.js';
import { call, type PopboxApi } from '../../api/client.js';
import type { SentNote } from './ComposeForm.js';
import { ComposeLoader } from './ComposeLoader.js';
import type { ComposeRequest } from './load.js';
import { SendingToast } from './SendingToast.js';

export function ComposeWindow({ api, request }: { api: PopboxApi; request: ComposeRequest }) {
  const [accounts, setAccounts] = useState<PublicAccount[] | null>(null);
  const [current, setCurrent] = useState(request);
  const [sent, setSent] = useState<SentNote | null>(null);
  useEffect(() => {
    call(api, 'listAccounts', {}).then(setAccounts, () => setAccounts([]));
  }, [api]);
  useEffect(() => {
    document.title = 'Write — Popbox';
  }, []);
  const close = () => window.close();
  if (!accounts) return <p className="loading">Loading…</p>;
  if (sent) {
    return (
      <div className="compose-sent">
        <SendingToast
          api={api}
          note={sent}
          onClose={close}
          onUndone={(n) => {
            // This window's own form is gone after Send: the message comes back in it.
            setSent(null);
            setCurrent({ mode: 'draft', id: n.id });
            return null;
          }}
        />
      </div>
    );
  }
  return (
    <div className="compose-window">
      <ComposeLoader key={JSON.stringify(current)} api={api} request={current} accounts={accounts} onClose={close} onDiscarded={close} onSent={setSent} guardUnload />
    </div>
  );
}
