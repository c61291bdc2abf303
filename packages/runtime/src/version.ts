import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './infra.ts';

export interface CodeVersion {
  version: string;
  /** The git commit of the checkout, when there is one (not in a container image). */
  commit: string | null;
}

function gitCommit(): string | null {
  try {
    const head = readFileSync(join(PROJECT_ROOT, '.git', 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    const ref = head.slice(5);
    try {
      return readFileSync(join(PROJECT_ROOT, '.git', ref), 'utf8').trim();
    } catch {
      const packed = readFileSync(join(PROJECT_ROOT, '.git', 'packed-refs'), 'utf8');
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
