#!/usr/bin/env node
// The `strata` command-line client. Node >= 24 runs the TypeScript sources
// directly (type stripping); an older `node` found first on the PATH hands
// over to the Node that the project installs in node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major] = process.versions.node.split('.').map(Number);
if (major >= 24) {
  await import('../src/cli/main.ts');
} else {
  const projectNode = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(projectNode) || projectNode === process.execPath) {
    process.stderr.write(`strata: needs Node.js 24 or later, but this is ${process.version}; run npm ci in the project to install it\n`);
    process.exit(1);
  }
  const child = spawnSync(projectNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (child.error) {
    process.stderr.write(`strata: cannot run ${projectNode}: ${child.error.message}\n`);
    process.exit(1);
  }
  if (child.signal) process.kill(process.pid, child.signal);
  process.exit(child.status ?? 1);
}
