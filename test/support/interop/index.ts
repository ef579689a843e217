/** Every POP3 server the interop suite knows how to start. */
import { dovecot } from './dovecot.js';
import type { InteropServerKind } from './server.js';

export type { InteropServer, InteropServerKind } from './server.js';

export const INTEROP_SERVERS: readonly InteropServerKind[] = [dovecot];
