/**
 * The private Postfix itself (test/support/postfix.ts): an instance whose extra main.cf settings
 * replace generated ones still starts when its log service (postlogd) starts late, as it can on
 * a loaded machine. Session 17's one red CI run: with a setting named twice in main.cf, every
 * Postfix process warns "overriding earlier entry" as it starts; postlogd sends its own warning
 * into its log socket before it reads from it, so once other processes had filled that socket
 * (10 datagrams) postlogd blocked on itself, and so did each smtpd before its greeting
 * ("postfix did not greet", no maillog at all). Here postlogd is made late on purpose: it is
 * started through a script that sleeps first.
 * Also: a port taken by another process between the harness's probe and the master's bind makes
 * the harness pick again, whether the master could not bind it (it then exits with its complaint
 * sent to syslog, absent here) or bound it beside another Postfix (SO_REUSEPORT: the two would
 * share it, each connection going to either).
 */
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { postfixUnavailable, startPostfix, type PostfixServer } from '../support/postfix.js';
import { HOST, findExecutable, readGreeting, run, tempRoot, twoFreePorts, until } from '../support/servers.js';

const unavailable = postfixUnavailable();
if (unavailable && process.env.CI) throw new Error(`Postfix is required in CI: ${unavailable}`);
if (unavailable) console.warn(`postfix harness skipped: ${unavailable}`);

const postconf = (): string => findExecutable('postconf', ['/usr/sbin', '/usr/local/sbin', '/sbin'])!;

/** Postfix's daemons, but postlogd starts `seconds` late (the master passes no environment, so the delay is in the script). */
async function lateLogDaemons(dir: string, seconds: number): Promise<string> {
  const real = (await run(postconf(), ['-d', '-h', 'daemon_directory'])).stdout.toString().trim();
  const daemons = path.join(dir, 'daemons');
  await mkdir(daemons, { recursive: true });
  for (const name of await readdir(real)) if (name !== 'postlogd') await symlink(path.join(real, name), path.join(daemons, name));
  await writeFile(path.join(daemons, 'postlogd'), `#!/bin/sh\n/bin/sleep ${seconds}\nexec ${path.join(real, 'postlogd')} "$@"\n`);
  await chmod(path.join(daemons, 'postlogd'), 0o755);
  return daemons;
}

describe.skipIf(unavailable !== null)('the private Postfix harness', () => {
  let dovecot: DovecotServer;
  let postfix: PostfixServer | undefined;
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tempRoot(), 'popbox-postfix-harness-'));
    await chmod(scratch, 0o755);
    dovecot = await startDovecot({ lmtp: true, users: [{ name: 'alice', password: 'alice-pw' }] });
  });

  afterAll(async () => {
    await postfix?.stop();
    await dovecot?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('starts with extra settings that replace generated ones while postlogd starts late; each name once in main.cf, the given values in effect, nothing warned', async () => {
    const daemons = await lateLogDaemons(scratch, 1);
    postfix = await startPostfix({
      dovecot,
      extraMainCf: [
        `daemon_directory = ${daemons}`,
        // Replaced with its continuation line.
        'smtpd_recipient_restrictions = permit_sasl_authenticated,',
        '  reject',
        'virtual_transport = error:first',
        'virtual_transport = error:second',
        '',
      ].join('\n'),
    });
    const mainCf = await readFile(path.join(postfix.dir, 'main.cf'), 'utf8');
    for (const name of ['daemon_directory', 'smtpd_recipient_restrictions', 'virtual_transport']) {
      expect(mainCf.match(new RegExp(`^${name}\\s*=`, 'gm')), name).toHaveLength(1);
    }
    const effective = (await run(postconf(), ['-c', postfix.dir, '-h', 'daemon_directory', 'smtpd_recipient_restrictions', 'virtual_transport'])).stdout.toString();
    expect(effective.trim().split('\n')).toEqual([daemons, 'permit_sasl_authenticated, reject', 'error:second']);
    // postlogd came, late, and wrote what was logged meanwhile (up to the last greeting's end); no process warned about main.cf.
    const log = await until('the start logged', async () => {
      const text = await readFile(postfix!.logPath, 'utf8').catch(() => '');
      return /postfix\/submissions\/smtpd\[\d+\]: disconnect from/.test(text) && text;
    });
    expect(log).toMatch(/postfix\/master\[\d+\]: daemon started/);
    expect(log).not.toMatch(/overriding earlier entry/);
  });

  it('starts on other ports when one it was to use is held: by a plain listener, or by another Postfix it would share it with', async () => {
    const other = net.createServer((sock) => sock.end('220 not postfix\r\n'));
    await new Promise<void>((resolve) => other.listen(0, HOST, resolve));
    const held = (other.address() as net.AddressInfo).port;
    const started: PostfixServer[] = [];
    try {
      const [a, b] = await twoFreePorts();
      const first = await startPostfix({ dovecot, tryPorts: { submissionsPort: a, submissionPort: b, clearPort: held } });
      started.push(first);
      expect(first.clearPort).not.toBe(held);
      expect(await readGreeting({ port: held })).toBe('220 not postfix');
      expect(await readGreeting({ port: first.clearPort })).toMatch(/^220 mail\.example\.org ESMTP/);

      const [c, d] = await twoFreePorts();
      const second = await startPostfix({ dovecot, tryPorts: { submissionsPort: c, submissionPort: d, clearPort: first.clearPort }, extraMainCf: 'smtpd_banner = $myhostname ESMTP second\n' });
      started.push(second);
      expect(second.clearPort).not.toBe(first.clearPort);
      const greetings = [];
      for (let i = 0; i < 8; i++) greetings.push(await readGreeting({ port: first.clearPort }));
      expect(greetings.filter((g) => g.includes('second'))).toEqual([]);
      expect(await readGreeting({ port: second.clearPort })).toMatch(/second/);
    } finally {
      await Promise.allSettled(started.map((p) => p.stop()));
      other.close();
      other.unref();
    }
  });
});
