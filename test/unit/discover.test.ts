/** From an email address to server settings: known providers first, then probes in RFC 8314 order. */
import { describe, expect, it } from 'vitest';
import { discoverServer } from '../../electron/core/accounts/discover.js';
import { candidateHosts, providerFor } from '../../shared/providers.js';

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
