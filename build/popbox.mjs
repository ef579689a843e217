#!/usr/bin/env node
// `popbox` (package.json bin) and `npm run cli`: the CLI bundle, rebuilt first only when its
// sources changed. It runs in this process, so signals and exit codes are the CLI's own.
import { pathToFileURL } from 'node:url';
import { ensureCli } from './bundle-cli.mjs';

await import(pathToFileURL(await ensureCli()).href);
