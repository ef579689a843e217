/** A compose window's page (`index.html#compose?…`): only the compose screen, no mailbox behind it. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { getApi } from './api/client.js';
import { followTheme } from './app/theme.js';
import { ComposeWindow } from './features/compose/ComposeWindow.js';
import { parseComposeHash } from './features/compose/load.js';

export function startCompose(root: HTMLElement, hash: string): void {
  const request = parseComposeHash(hash);
  if (!request) {
    root.textContent = 'Popbox: this compose window’s address is not one Popbox makes.';
    return;
  }
  const api = getApi();
  followTheme(api);
  createRoot(root).render(
    <StrictMode>
      <ComposeWindow api={api} request={request} />
    </StrictMode>,
  );
}
