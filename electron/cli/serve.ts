/**
 * The CLI served by a running Popbox (issue 14 §1): the hosts call this right after
 * MailService.open, and close what it returns before MailService.close. Commands that arrive
 * on the control socket run on the host's own service, so their changes reach an open window
 * through the events the host already forwards (stateChanged, accountsChanged…).
 */
import { startControlServer, type ControlServer } from '../core/control/control-server.js';
import type { MailService } from '../core/mail-service.js';
import { runCli } from './run.js';

export type { ControlServer };

export function serveCli(service: MailService, log?: (message: string) => void): Promise<ControlServer | null> {
  return startControlServer(
    service.dataDir,
    (request, io) =>
      runCli(request.argv, {
        ...io,
        columns: request.columns,
        stdin: () => request.stdin,
        service,
      }),
    { ...(log ? { log } : {}) },
  );
}
