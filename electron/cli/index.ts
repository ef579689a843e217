/**
 * The headless CLI. `probe` checks a POP3 account the way the add-account flow will: connect,
 * TLS, capabilities, login, mailbox size. The password comes from a command (like mpop's
 * passwordeval) or POPBOX_PASSWORD, never from the command line itself.
 *
 *   npm run cli -- probe --host pop.example.org --user me@example.org --password-command "pass show mail"
 */
import { execSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { AUTH_MECHANISMS, Pop3Client, isPop3Error, type AuthMechanism, type Security } from '../core/pop3/index.js';

const USAGE = `usage: popbox probe --host HOST [--port N] [--security tls|starttls|plain] --user USER
                    [--password-command CMD] [--mechanism ${AUTH_MECHANISMS.join('|')}]
                    [--pin SHA256-FINGERPRINT] [--allow-insecure] [--no-pipelining] [--trace]
  The password is read from --password-command's output or the POPBOX_PASSWORD variable.`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function probe(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      security: { type: 'string', default: 'tls' },
      user: { type: 'string' },
      'password-command': { type: 'string' },
      mechanism: { type: 'string' },
      pin: { type: 'string' },
      'allow-insecure': { type: 'boolean', default: false },
      'no-pipelining': { type: 'boolean', default: false },
      trace: { type: 'boolean', default: false },
    },
  });
  if (!values.host || !values.user) fail(USAGE);
  const security = values.security as Security;
  if (!['tls', 'starttls', 'plain'].includes(security)) fail(`--security must be tls, starttls or plain\n${USAGE}`);
  const mechanism = values.mechanism?.toUpperCase() as AuthMechanism | undefined;
  if (mechanism && !AUTH_MECHANISMS.includes(mechanism)) fail(`unknown mechanism ${values.mechanism}\n${USAGE}`);
  const port = values.port ? Number(values.port) : security === 'tls' ? 995 : 110;
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`bad port ${values.port}`);

  let password = process.env.POPBOX_PASSWORD;
  if (values['password-command']) {
    password = execSync(values['password-command'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).replace(/\r?\n$/, '');
  }
  if (password === undefined) fail('no password: give --password-command or set POPBOX_PASSWORD');

  const pop = await Pop3Client.connect({
    host: values.host,
    port,
    security,
    tls: values.pin ? { pinnedFingerprint256: values.pin } : {},
    pipelining: !values['no-pipelining'],
    ...(values.trace ? { log: (d: 'C' | 'S', l: string) => process.stderr.write(`${d}: ${l}\n`) } : {}),
  });
  console.log(`connected: ${pop.greeting}${pop.secure ? ` (TLS, certificate ${pop.fingerprint256})` : ' (not encrypted)'}`);
  await pop.login({
    user: values.user,
    password,
    ...(mechanism ? { mechanism } : {}),
    allowInsecure: values['allow-insecure'],
  });
  const caps = pop.capabilities;
  console.log(`logged in; capabilities: ${caps ? caps.lines.join(', ') : '(CAPA not supported)'}`);
  console.log(`pipelining: ${pop.pipelining ? 'on' : 'off'}`);
  if (caps?.loginDelaySeconds !== undefined) console.log(`login delay: ${caps.loginDelaySeconds} s`);
  if (caps?.expire !== undefined) console.log(`server keeps retrieved mail: ${caps.expire === 'never' ? 'forever' : `${caps.expire} days`}`);
  const stat = await pop.stat();
  console.log(`mailbox: ${stat.count} messages, ${(stat.size / 1e6).toFixed(1)} MB`);
  await pop.quit();
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'probe') await probe(rest);
  else fail(USAGE);
} catch (e) {
  if (isPop3Error(e)) {
    const extra = e.fingerprint256 ? `\ncertificate fingerprint: ${e.fingerprint256} (trust it with --pin)` : '';
    fail(`error [${e.code}]: ${e.message}${extra}`, 1);
  }
  throw e;
}
