import { spawnSync } from 'node:child_process';
import { embeddedStatus, ensureRedisServerBinary, stopEmbedded } from '@etml/embedded';
import { connectRedis, connectStore } from '@etml/runtime';
import { parseFlags, UsageError } from '../args.ts';
import type { Command } from '../command.ts';

/** Makes sure redis-server is installed (with apt-get on Debian/Ubuntu as root). */
export const setupCommand: Command = async args => {
  parseFlags('setup', args, {});
  const binary = ensureRedisServerBinary({ install: true });
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.trim();
  process.stderr.write(`setup: ${binary} (${version.split(' ').slice(0, 3).join(' ')})\n`);
};

/** The embedded redis-server and S3-API server that local runs share. */
export const embeddedCommand: Command = async (args, getEnv) => {
  const [action, ...rest] = args;
  const env = getEnv();
  parseFlags('embedded', rest, {});
  if (action === 'up') {
    process.stderr.write(`redis: ${(await connectRedis(env)).description}\n`);
    process.stderr.write(`s3:    ${(await connectStore(env)).description}\n`);
  } else if (action === 'down') {
    const stopped = await stopEmbedded(env.dataDir);
    process.stderr.write(
      stopped.length
        ? `stopped ${stopped.join(' and ')}; data kept in ${env.dataDir}\n`
        : 'nothing was running\n',
    );
  } else if (action === 'status') {
    const status = await embeddedStatus(env.dataDir);
    for (const [kind, state] of Object.entries(status)) {
      process.stdout.write(
        `${kind}: ${state ? `running on 127.0.0.1:${state.port} (pid ${state.pid})` : 'not running'}\n`,
      );
    }
  } else {
    throw new UsageError(
      `embedded: expected up, down or status, got ${JSON.stringify(action ?? '')}`,
    );
  }
};
