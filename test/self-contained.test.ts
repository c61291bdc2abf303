import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.ts';

// A fresh clone has nothing beside it and nothing of ours elsewhere on the machine, so a path that
// works only on a development machine passes here and fails for every user. This guard reads the
// code the tests, benches, scripts and CI run; the clean clone in .ci/run is the other half.

const CODE = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.py', '.sh', '.yml']);
// JSON is data (fixtures, samples) except for the files that configure how things run.
const CODE_NAMES = /^(?:run|etml|Dockerfile|package\.json|tsconfig.*\.json|biome\.json)$/;
const SKIP_DIRS = new Set(['node_modules', '.git', '.tools', '.data', 'dist', 'coverage']);

const NOT_A_PATH = '// not a path';

// The folder our development machines keep beside the checkout, and their root, spelled in parts
// so that a search of the repository for a path into them finds real offenders, not this guard.
const SIBLING = ['sha', 'red'].join('');
const OUR_ROOT = ['', 'work', ''].join('/');

interface Finding {
  line: number;
  text: string;
  why: string;
}

const RULES: { pattern: RegExp; why: string }[] = [
  {
    pattern: new RegExp(`\\.\\.[/\\\\]${SIBLING}\\b`),
    why: `reaches the ${SIBLING} folder beside the checkout`,
  },
  {
    pattern: new RegExp(`['"]${SIBLING}['"]\\s*,\\s*['"]data['"]`),
    why: `builds a path to the ${SIBLING}/data folder beside the checkout`,
  },
  {
    // A machine's own folders; system paths (/usr/bin/chromium, /dev/null, /proc) are fine.
    pattern: /(?<![\w.:/-])\/(?:work|home|Users|root|mnt|srv|scratch|workspace)\/[\w.-]/,
    why: 'names an absolute path under a machine-specific root',
  },
  { pattern: /[A-Za-z]:\\\\?Users\\/, why: 'names an absolute Windows user path' },
  {
    pattern: /\b(?:ROOT|root|repoRoot)\s*,\s*['"]\.\.['"]/,
    why: 'climbs above the repository root',
  },
];

/** How many folders deep `file` (relative to the repository root) sits. */
function depthOf(file: string): number {
  return file.split(/[/\\]/).length - 1;
}

/**
 * Every place in `text` (the content of `file`, relative to the repository root) that reads
 * outside the repository: the shared data folder, a machine's absolute paths, or a relative path
 * that climbs more folders than the file is deep.
 */
export function outsideReferences(file: string, text: string): Finding[] {
  const depth = depthOf(file);
  const findings: Finding[] = [];
  text.split('\n').forEach((line, index) => {
    const found = (why: string) => findings.push({ line: index + 1, text: line.trim(), why });
    for (const rule of RULES) if (rule.pattern.test(line)) found(rule.why);
    // Hostile inputs ('../../etc/passwd' as a ride id) are data; their lines say so.
    if (line.includes(NOT_A_PATH)) return;
    // '../../x' in an import or a path: more '../' than the file is deep leaves the checkout.
    for (const match of line.matchAll(/['"`]((?:\.\.\/)+)/g)) {
      const ups = (match[1]?.length ?? 0) / 3;
      if (ups > depth) found(`climbs ${ups} folders from a file ${depth} deep`);
    }
    // join(import.meta.dirname, '..', '..', …) and os.path.join(HERE, "..", …)
    for (const match of line.matchAll(
      /(?:import\.meta\.dirname|__dirname|\bHERE)((?:\s*,\s*['"]\.\.['"])+)/g,
    )) {
      const ups = match[1]?.match(/\.\./g)?.length ?? 0;
      if (ups > depth) found(`climbs ${ups} folders from a file ${depth} deep`);
    }
  });
  return findings;
}

function codeFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) codeFiles(path, out);
    } else if (CODE.has(extname(entry.name)) || CODE_NAMES.test(entry.name)) {
      out.push(relative(ROOT, path).split(sep).join('/'));
    }
  }
  return out;
}

describe('the repository is self-contained', () => {
  it('no source, test, bench, script or CI file reads outside the checkout', () => {
    const files = codeFiles(ROOT).filter(file => basename(file) !== 'self-contained.test.ts');
    // The walk must see the places that matter, or the guard guards nothing.
    for (const expected of [
      '.ci/run',
      'bin/etml',
      'scripts/bootstrap.mjs',
      'test/helpers.ts',
      'package.json',
    ]) {
      expect(files).toContain(expected);
    }
    expect(files.some(file => file.startsWith('bench/'))).toBe(true);
    expect(files).toContain('packages/clustering/fixtures/generate_sklearn.py');
    const found = files.flatMap(file =>
      outsideReferences(file, readFileSync(join(ROOT, file), 'utf8')).map(
        f => `${file}:${f.line}: ${f.why}: ${f.text}`,
      ),
    );
    expect(found).toEqual([]);
  });

  describe('the guard catches', () => {
    // The lines that once made a fresh clone's tests fail.
    it.each([
      ['packages/ingest/src/parse.test.ts', `const DATA = '${OUR_ROOT}${SIBLING}/data/packt';`],
      [
        'packages/clustering/src/day.test.ts',
        `const PACKT = join(import.meta.dirname, '..', '..', '..', '..', '${SIBLING}', 'data', 'packt');`,
      ],
      [
        'test/helpers.ts',
        `export const PACKT = resolve(ROOT, '..', '${SIBLING}', 'data', 'packt');`,
      ],
      ['bench/lib.ts', `const day = readFileSync('../${SIBLING}/data/tlc/yellow.csv');`],
      ['bench/lib.ts', "const day = readFileSync('/home/ana/trips.csv');"],
      ['scripts/x.mjs', "import { x } from '../../elsewhere/x.mjs';"],
      [
        'packages/clustering/fixtures/gen.py',
        'P = os.path.join(HERE, "..", "..", "..", "..", "x")',
      ],
    ])('%s: %s', (file, line) => {
      expect(outsideReferences(file, line)).not.toEqual([]);
    });
  });

  describe('the guard lets through', () => {
    it.each([
      ['test/board-browser.test.ts', "executablePath: '/usr/bin/chromium',"],
      ['packages/fixtures/src/index.ts', "join(import.meta.dirname, '..', 'packt')"],
      ['packages/clustering/src/oracle.test.ts', "join(import.meta.dirname, '..', 'fixtures')"],
      ['test/helpers.ts', "export const ROOT = resolve(import.meta.dirname, '..');"],
      ['services/board/src/x.ts', "import { y } from '../../../packages/y/src/index.ts';"],
      ['test/cli.test.ts', "const url = 'https://example.com/home/ana';"],
      ['test/bad-input.test.ts', "ride(91, { ride_id: '../../etc/passwd' }), // not a path"],
    ])('%s: %s', (file, line) => {
      expect(outsideReferences(file, line)).toEqual([]);
    });
  });
});
