// @ts-check
import js from '@eslint/js';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * DESIGN §1 layering: shared ← core ← main/cli/webhost; shared ← renderer; preload sees only
 * shared. Each import is resolved against the importing file, so a relative path cannot sneak
 * across a layer.
 */
const LAYERS = {
  shared: { may: ['shared'], node: false, electron: false },
  'electron/core': { may: ['shared', 'electron/core'], node: true, electron: false },
  // main and webhost may use cli: while they hold the data directory they run its commands (cli/serve.ts).
  'electron/main': { may: ['shared', 'electron/core', 'electron/cli', 'electron/main'], node: true, electron: true },
  'electron/preload': { may: ['shared', 'electron/preload'], node: false, electron: true },
  'electron/cli': { may: ['shared', 'electron/core', 'electron/cli'], node: true, electron: false },
  'electron/webhost': { may: ['shared', 'electron/core', 'electron/cli', 'electron/webhost'], node: true, electron: false },
  renderer: { may: ['shared', 'renderer'], node: false, electron: false },
};

/**
 * Inside core, the protocols (net, pop3, smtp) and the storage (store, mime) sit below the services
 * that use them (sync, accounts, secrets, session, ingest, outbox, mail-service.ts, contract-handler.ts and the rest), so
 * each can be tested alone and SMTP can stand on net. They import only each other and
 * core/errors.ts; net, under every protocol, only itself; smtp only net and mime (settings
 * come in whole, so the outbox and accounts build on it, not the other way round).
 * @type {Record<string, string[]>}
 */
const CORE_FOUNDATIONS = {
  net: ['net', 'errors'],
  pop3: ['net', 'pop3', 'store', 'mime', 'errors'],
  smtp: ['net', 'smtp', 'mime', 'errors'],
  store: ['net', 'pop3', 'store', 'mime', 'errors'],
  mime: ['net', 'pop3', 'store', 'mime', 'errors'],
};

/** `electron/core/net/tls.ts` → `net`, `electron/core/errors.js` → `errors`; null outside core. @param {string} file */
function coreUnitOf(file) {
  const rel = path.relative(path.join(root, 'electron', 'core'), file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return rel.split(path.sep)[0].replace(/\.(js|ts|tsx)$/, '');
}

/** @param {string} file */
function layerOf(file) {
  const [top, second] = path.relative(root, file).split(path.sep);
  if (top === 'shared' || top === 'renderer') return top;
  if (top === 'electron' && second) return `electron/${second}`;
  return null;
}

/** @type {import('eslint').Rule.RuleModule} */
const layersRule = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    const from = layerOf(context.filename);
    if (!from || !(from in LAYERS)) return {};
    const rules = LAYERS[/** @type {keyof typeof LAYERS} */ (from)];
    /** @param {import('estree').Node} node @param {unknown} source */
    const check = (node, source) => {
      if (typeof source !== 'string') return;
      if (source.startsWith('.')) {
        const target = path.resolve(path.dirname(context.filename), source);
        const to = layerOf(target);
        if (to && !rules.may.includes(to)) {
          context.report({ node, message: `${from} must not import from ${to} (DESIGN §1 layering).` });
          return;
        }
        const fromUnit = coreUnitOf(context.filename);
        const toUnit = coreUnitOf(target);
        const allowed = fromUnit ? CORE_FOUNDATIONS[fromUnit] : undefined;
        if (allowed && toUnit && !allowed.includes(toUnit)) {
          context.report({ node, message: `electron/core/${fromUnit} must not import electron/core/${toUnit}: protocols and storage sit below the services (DESIGN §1 layering).` });
        }
        return;
      }
      if (!rules.node && isBuiltin(source)) {
        context.report({ node, message: `${from} must not import node built-ins ('${source}').` });
      }
      if (!rules.electron && (source === 'electron' || source.startsWith('electron/'))) {
        context.report({ node, message: `${from} must not import electron.` });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'release/**', 'renderer/dist/**', 'test/.tmp/**', '.bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { popbox: { rules: { layers: layersRule } } },
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      'popbox/layers': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // CommonJS: `popbox` starts in it (build/popbox.cjs; electron/cli/front.ts says why).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
