import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from './infra.ts';

export interface CodeVersion {
  version: string;
  /** The git commit of the checkout, when there is one (not in a container image). */
  commit: string | null;
}

/** The git folder of the checkout, and the one with its refs (they differ in a worktree). */
function gitDirs(): { dir: string; common: string } {
  const dotGit = join(PROJECT_ROOT, '.git');
  if (!statSync(dotGit).isFile()) return { dir: dotGit, common: dotGit };
  // A worktree's .git is a file naming its folder, whose commondir names the shared one.
  const dir = resolve(
    PROJECT_ROOT,
    readFileSync(dotGit, 'utf8')
      .replace(/^gitdir:\s*/, '')
      .trim(),
  );
  const commondir = join(dir, 'commondir');
  const common = existsSync(commondir) ? resolve(dir, readFileSync(commondir, 'utf8').trim()) : dir;
  return { dir, common };
}

function gitCommit(): string | null {
  try {
    const { dir, common } = gitDirs();
    const head = readFileSync(join(dir, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    const ref = head.slice(5);
    try {
      return readFileSync(join(common, ref), 'utf8').trim();
    } catch {
      const packed = readFileSync(join(common, 'packed-refs'), 'utf8');
      return (
        packed
          .split('\n')
          .find(line => line.endsWith(` ${ref}`))
          ?.split(' ')[0] ?? null
      );
    }
  } catch {
    return null;
  }
}

/** Which code produced an output, for manifests. */
export function codeVersion(): CodeVersion {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  return { version: pkg.version, commit: gitCommit() };
}
