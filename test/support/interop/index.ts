/** Every POP3 server the interop suite knows how to start. */
import { courier } from './courier.js';
import { cyrus } from './cyrus.js';
import { dovecot } from './dovecot.js';
import { popa3d } from './popa3d.js';
import type { InteropServerKind } from './server.js';

export type { InteropServer, InteropServerKind } from './server.js';

export const INTEROP_SERVERS: readonly InteropServerKind[] = [dovecot, courier, cyrus, popa3d];
