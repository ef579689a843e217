/** From an email address to server settings: known providers first, then probes in RFC 8314 order. */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { discoverServer, probeSmtpServer } from '../../electron/core/accounts/discover.js';
import { candidateHosts, PROVIDERS, providerFor } from '../../shared/providers.js';
import { startFaultServer } from '../support/fault-server.js';
import { miniSmtp } from '../support/mini-smtp.js';

describe('discoverServer', () => {
  it('uses a known provider without probing', async () => {
    const probed: string[] = [];
    const d = await discoverServer('Someone@GMAIL.com', async (s) => (probed.push(s.host), true));
    expect(d).toMatchObject({ provider: 'Gmail', server: { host: 'pop.gmail.com', port: 995, security: 'tls' }, user: 'Someone@GMAIL.com' });
    expect(d.note).toMatch(/POP/);
    expect(probed).toEqual([]);
    expect(providerFor('x@web.de')?.host).toBe('pop3.web.de');
  });

  it('probes implicit TLS on every candidate before STARTTLS, and prefers the likeliest host', async () => {
    const probed: string[] = [];
    const d = await discoverServer('me@example.org', async (s) => {
      probed.push(`${s.host}:${s.port}:${s.security}`);
      return s.port === 110 && (s.host === 'mail.example.org' || s.host === 'example.org');
    });
    expect(probed.slice(0, 4).every((p) => p.endsWith(':995:tls'))).toBe(true);
    expect(d).toMatchObject({ provider: null, server: { host: 'mail.example.org', port: 110, security: 'starttls' }, user: 'me@example.org' });
    expect(candidateHosts('example.org')[0]).toBe('pop.example.org');
  });

  it('says so when nothing answers, and refuses a non-address', async () => {
    expect(await discoverServer('me@nowhere.example', async () => false)).toMatchObject({ server: null });
    await expect(discoverServer('not-an-address', async () => true)).rejects.toMatchObject({ code: 'invalid' });
  });
});

describe('discoverServer: the outgoing server', () => {
  it('knows the providers’ outgoing servers, without probing', async () => {
    const probed: string[] = [];
    const probe = async (s: { host: string }) => (probed.push(s.host), true);
    expect(await discoverServer('me@gmail.com', probe)).toMatchObject({ smtp: { host: 'smtp.gmail.com', port: 465, security: 'tls' } });
    expect(await discoverServer('me@hotmail.com', probe)).toMatchObject({ smtp: { host: 'smtp-mail.outlook.com', port: 587, security: 'starttls' } });
    expect(await discoverServer('me@web.de', probe)).toMatchObject({ smtp: { host: 'smtp.web.de', port: 587, security: 'starttls' } });
    expect(await discoverServer('me@gmx.de', probe)).toMatchObject({ smtp: { host: 'mail.gmx.net', port: 465, security: 'tls' } });
    expect(probed).toEqual([]);
    // Every provider with POP3 has its outgoing server, on 465 with TLS or 587 with STARTTLS.
    for (const p of PROVIDERS) expect([465, 587], p.name).toContain(p.smtp.port);
  });

  it('probes smtp. and mail. on 465 with TLS before 587 with STARTTLS, beside the POP3 probes', async () => {
    const probed: string[] = [];
    const d = await discoverServer('me@example.org', async (s, _signal, kind) => {
      if (kind === 'smtp') probed.push(`${s.host}:${s.port}:${s.security}`);
      return kind === 'pop3' ? s.host === 'pop.example.org' && s.port === 995 : s.host === 'mail.example.org';
    });
    expect(probed).toEqual(['smtp.example.org:465:tls', 'mail.example.org:465:tls']);
    expect(d).toMatchObject({ server: { host: 'pop.example.org', port: 995 }, smtp: { host: 'mail.example.org', port: 465, security: 'tls' } });

    probed.length = 0;
    const d2 = await discoverServer('me@example.org', async (s, _signal, kind) => {
      if (kind === 'smtp') probed.push(`${s.host}:${s.port}:${s.security}`);
      return kind === 'smtp' && s.host === 'smtp.example.org' && s.port === 587;
    });
    expect(probed).toEqual(['smtp.example.org:465:tls', 'mail.example.org:465:tls', 'smtp.example.org:587:starttls', 'mail.example.org:587:starttls']);
    expect(d2).toMatchObject({ server: null, smtp: { host: 'smtp.example.org', port: 587, security: 'starttls' } });
    expect((await discoverServer('me@nowhere.example', async () => false)).smtp).toBeNull();
  });

  it('the real SMTP probe (on loopback): a server with an untrusted certificate counts as found, a closed port does not', async () => {
    const logins: [string, string][] = [];
    const server = await startFaultServer((conn) => miniSmtp(conn, { password: 'x', logins }), { tls: true });
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    try {
      const signal = new AbortController().signal;
      expect(await probeSmtpServer({ host: '127.0.0.1', port: server.port, security: 'tls' }, signal)).toBe(true);
      expect(await probeSmtpServer({ host: '127.0.0.1', port: closed, security: 'tls' }, signal)).toBe(false);
      // Through discoverServer, the probe told where to look.
      const d = await discoverServer('me@example.org', (s, sig, kind) =>
        kind === 'smtp' && s.host === 'mail.example.org' && s.port === 465 ? probeSmtpServer({ host: '127.0.0.1', port: server.port, security: 'tls' }, sig) : Promise.resolve(false),
      );
      expect(d.smtp).toEqual({ host: 'mail.example.org', port: 465, security: 'tls' });
      expect(logins).toEqual([]); // a probe never logs in
    } finally {
      await server.close();
    }
  });
});
