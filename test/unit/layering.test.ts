/** The import rules of DESIGN §1 are enforced by ESLint; these cases prove the rule bites. */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function restrictedImports(filePath: string, code: string): Promise<number> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'popbox/layers').length;
}

describe('layering lint rule', () => {
  it('keeps shared/ free of node, electron and the layers above', async () => {
    expect(await restrictedImports('shared/x.ts', "import fs from 'node:fs';\nexport const a = fs;\n")).toBe(1);
    expect(await restrictedImports('shared/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toBe(1);
    expect(await restrictedImports('shared/x.ts', "import { a } from '../electron/core/pop3/index.js';\nexport const b = a;\n")).toBe(1);
    expect(await restrictedImports('shared/x.ts', "import { z } from 'zod';\nexport const a = z;\n")).toBe(0);
  });

  it('keeps electron/core free of electron', async () => {
    expect(await restrictedImports('electron/core/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toBe(1);
    expect(await restrictedImports('electron/core/x.ts', "import { a } from '../main/index.js';\nexport const b = a;\n")).toBe(1);
    expect(await restrictedImports('electron/core/x.ts', "import fs from 'node:fs';\nexport const a = fs;\n")).toBe(0);
  });

  it('keeps the protocols and the store below the services that use them', async () => {
    const imports = (file: string, from: string) => restrictedImports(file, `import { a } from '${from}';\nexport const b = a;\n`);
    expect(await imports('electron/core/pop3/x.ts', '../sync/sync-engine.js')).toBe(1);
    expect(await imports('electron/core/pop3/x.ts', '../mail-service.js')).toBe(1);
    expect(await imports('electron/core/store/x.ts', '../accounts/account-store.js')).toBe(1);
    expect(await imports('electron/core/mime/x.ts', '../contract-handler.js')).toBe(1);
    expect(await imports('electron/core/mime/x.ts', '../secrets/index.js')).toBe(1);
    expect(await imports('electron/core/net/x.ts', '../pop3/errors.js')).toBe(1);
    expect(await imports('electron/core/net/x.ts', '../store/durable.js')).toBe(1);
    // The services behind MailService sit above them too (issue 14 §1).
    expect(await imports('electron/core/store/x.ts', '../session/account-session.js')).toBe(1);
    expect(await imports('electron/core/pop3/x.ts', '../ingest/ingest.js')).toBe(1);
    expect(await imports('electron/core/mime/x.ts', '../accounts/accounts-service.js')).toBe(1);
    expect(await imports('electron/core/net/x.ts', '../session/session-manager.js')).toBe(1);
    // SMTP is a protocol like POP3: settings come in whole (issue 15).
    expect(await imports('electron/core/smtp/x.ts', '../sync/sync-engine.js')).toBe(1);
    expect(await imports('electron/core/smtp/x.ts', '../session/account-session.js')).toBe(1);
    expect(await imports('electron/core/smtp/x.ts', '../accounts/accounts-service.js')).toBe(1);
    expect(await imports('electron/core/smtp/x.ts', '../mail-service.js')).toBe(1);
    expect(await imports('electron/core/smtp/x.ts', '../pop3/errors.js')).toBe(1);
    expect(await imports('electron/core/smtp/x.ts', '../store/durable.js')).toBe(1);
    expect(await imports('electron/core/net/x.ts', '../smtp/errors.js')).toBe(1);
    expect(await imports('electron/core/smtp/x.ts', '../net/tls.js')).toBe(0);
    expect(await imports('electron/core/smtp/x.ts', '../errors.js')).toBe(0);
    expect(await imports('electron/core/smtp/x.ts', './errors.js')).toBe(0);
    // What they may use: each other, core's error type, and (for the services) all of them.
    expect(await imports('electron/core/pop3/x.ts', '../net/tls.js')).toBe(0);
    expect(await imports('electron/core/mime/x.ts', '../store/durable.js')).toBe(0);
    expect(await imports('electron/core/net/x.ts', '../errors.js')).toBe(0);
    expect(await imports('electron/core/net/x.ts', './tls.js')).toBe(0);
    expect(await imports('electron/core/sync/x.ts', '../pop3/index.js')).toBe(0);
    expect(await imports('electron/core/mail-service.ts', './sync/sync-engine.js')).toBe(0);
    expect(await imports('electron/core/session/x.ts', '../store/mailbox.js')).toBe(0);
    expect(await imports('electron/core/ingest/x.ts', '../mime/summary.js')).toBe(0);
  });

  it('keeps the renderer away from node, electron and core', async () => {
    expect(await restrictedImports('renderer/src/x.tsx', "import fs from 'node:fs';\nexport const a = fs;\n")).toBe(1);
    expect(await restrictedImports('renderer/src/x.tsx', "import { a } from '../../electron/core/pop3/index.js';\nexport const b = a;\n")).toBe(1);
  });
});
