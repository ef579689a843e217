/** runPasswordCommand and resolvePassword: the password from a command, never into a message. */
import { describe, expect, it } from 'vitest';
import { AppFailure } from '../../electron/core/errors.js';
import { MemorySecretStore, resolvePassword, runPasswordCommand } from '../../electron/core/secrets/index.js';

const SECRET = 'pw-Sw0rdf1sh!';

async function failure(p: Promise<unknown>): Promise<AppFailure> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppFailure);
  const f = e as AppFailure;
  expect(f.code).toBe('secret');
  expect(f.message).not.toContain('\n');
  return f;
}

describe('runPasswordCommand', () => {
  it('returns what the command prints', async () => {
    expect(await runPasswordCommand(`printf '%s' '${SECRET}'`)).toBe(SECRET);
  });

  it('strips exactly one trailing newline, LF or CRLF', async () => {
    expect(await runPasswordCommand(`echo '${SECRET}'`)).toBe(SECRET);
    expect(await runPasswordCommand(`printf '%s\\r\\n' '${SECRET}'`)).toBe(SECRET);
    expect(await runPasswordCommand(`printf ' %s \\n' '${SECRET}'`)).toBe(` ${SECRET} `);
  });

  it('keeps UTF-8 and shell quoting intact', async () => {
    expect(await runPasswordCommand(`printf '%s\\n' "pässwörd €"`)).toBe('pässwörd €');
    expect(await runPasswordCommand(`echo "$((6*7))" | tr -d 4`)).toBe('2');
  });

  it('reports a failing command with its exit code and the first line of stderr, not its output', async () => {
    const e = await failure(runPasswordCommand(`echo '${SECRET}'; echo 'gpg: decryption failed: No secret key' >&2; echo more >&2; exit 2`));
    expect(e.message).toBe('the password command failed (exit code 2): gpg: decryption failed: No secret key');
  });

  it('never repeats the output, even when stderr does', async () => {
    const e = await failure(runPasswordCommand(`echo '${SECRET}'; echo "bad password ${SECRET}" >&2; exit 1`));
    expect(e.message).not.toContain(SECRET);
    expect(e.message).toBe('the password command failed (exit code 1): bad password …');
  });

  it('does not put the command itself into the message', async () => {
    const e = await failure(runPasswordCommand(`false ${SECRET}`));
    expect(e.message).toBe('the password command failed (exit code 1)');
  });

  it('cuts a long stderr line short and cleans control characters', async () => {
    const e = await failure(runPasswordCommand(`printf 'x\\033[31m%0500d\\n' 0 >&2; exit 3`));
    expect(e.message).toMatch(/^the password command failed \(exit code 3\): x\?\[31m0+…$/);
    expect(e.message.length).toBeLessThan(220);
  });

  it('reports a command that is not found', async () => {
    const e = await failure(runPasswordCommand('/nonexistent/password-tool'));
    expect(e.message).toMatch(/^the password command failed \(exit code 127\): .*not found/);
  });

  it('refuses empty output', async () => {
    expect((await failure(runPasswordCommand('true'))).message).toBe('the password command printed nothing');
    expect((await failure(runPasswordCommand('echo'))).message).toBe('the password command printed nothing');
  });

  it('refuses more than one line, which would otherwise end up in the login', async () => {
    const e = await failure(runPasswordCommand(`printf '%s\\nuser: me\\n' '${SECRET}'`));
    expect(e.message).toMatch(/^the password command printed more than one line/);
    expect(e.message).not.toContain(SECRET);
  });

  it('refuses output that is not UTF-8', async () => {
    expect((await failure(runPasswordCommand(`printf '\\377\\376'`))).message).toMatch(/not UTF-8/);
  });

  it('stops at the output limit', async () => {
    const e = await failure(runPasswordCommand('yes password | head -c 200000', { maxOutputBytes: 1024 }));
    expect(e.message).toBe('the password command printed more than 1 KB; it must print only the password');
  });

  it('times out, and stops the whole pipeline rather than waiting for it', async () => {
    const started = Date.now();
    const e = await failure(runPasswordCommand(`echo '${SECRET}'; sleep 30 | cat`, { timeoutMs: 300 }));
    expect(e.message).toBe('the password command did not finish within 300 ms');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports a command killed by a signal', async () => {
    const e = await failure(runPasswordCommand('kill -TERM $$'));
    expect(e.message).toBe('the password command was killed by SIGTERM');
  });
});

describe('resolvePassword', () => {
  const account = { id: 'acct-1', name: 'Home' };

  it('reads the keychain for keychain accounts', async () => {
    const secrets = new MemorySecretStore();
    await secrets.set('acct-1', SECRET);
    expect(await resolvePassword({ ...account, password: { source: 'keychain' } }, secrets)).toBe(SECRET);
  });

  it('says so when the keychain has no password for the account', async () => {
    const e = await failure(resolvePassword({ ...account, password: { source: 'keychain' } }, new MemorySecretStore()));
    expect(e.message).toBe('no password is stored for account "Home"; set it again');
  });

  it('runs the command for command accounts, with its options', async () => {
    const secrets = new MemorySecretStore();
    expect(await resolvePassword({ ...account, password: { source: 'command', command: `echo '${SECRET}'` } }, secrets)).toBe(SECRET);
    const e = await failure(resolvePassword({ ...account, password: { source: 'command', command: 'sleep 5' } }, secrets, { timeoutMs: 100 }));
    expect(e.message).toMatch(/did not finish within 100 ms/);
  });
});
