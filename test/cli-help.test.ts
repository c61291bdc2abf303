import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runEtml } from './helpers.ts';

const SERVICES = ['start', 'scheduler', 'cluster-worker', 'summarize-worker', 'board'];

/** The one line of a usage error (exit 2, no stack), checked whole. */
async function expectUsageLine(args: string[], line: string) {
  const result = await runEtml(args);
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toBe(`${line}\n`);
  expect(result.stdout).toBe('');
}

/** `etml --help`'s command rows: name and one-line description. */
function commandRows(help: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const match of help.matchAll(/^ {2}([a-z][a-z-]*) {2,}(\S.*)$/gm)) {
    rows.set(match[1] as string, match[2] as string);
  }
  return rows;
}

/** A command's help split into its sections. */
function sections(help: string) {
  const [usage = '', about = '', ...rest] = help.trimEnd().split('\n\n');
  const flags = rest.find(s => s.startsWith('flags:')) ?? '';
  const examples = rest.find(s => s.startsWith('examples:')) ?? '';
  return { usage, about, flags, examples };
}

describe('etml --help', () => {
  it('lists every command with a line of its own, and each command describes itself', async () => {
    const general = await runEtml(['--help']);
    expect(general.code).toBe(0);
    const rows = commandRows(general.stdout);
    expect([...rows.keys()]).toEqual(
      expect.arrayContaining(['simulate', 'run', 'backfill', 'query', 'embedded', ...SERVICES]),
    );
    expect(rows.size).toBeGreaterThanOrEqual(18);
    for (const summary of rows.values()) expect(summary.length).toBeGreaterThan(20);
    expect(general.stdout).toContain('etml <command> --help');
    expect(general.stdout).toContain('etml --version');

    await Promise.all(
      [...rows.keys()].map(async name => {
        const viaFlag = await runEtml([name, '--help']);
        expect(viaFlag.code, name).toBe(0);
        expect(viaFlag.stderr, name).toBe('');
        const { usage, about, flags, examples } = sections(viaFlag.stdout);
        expect(usage, name).toMatch(new RegExp(`^usage: etml ${name}\\b`));
        // A paragraph, not a usage line.
        expect(about.length, `${name}: ${about}`).toBeGreaterThan(150);
        // Every flag of the usage line has a row, with its meaning and its default.
        for (const [flag] of usage.matchAll(/--[a-z][a-z-]*/g)) {
          const row = flags.match(new RegExp(`^ {2}${flag}\\b[\\s\\S]*?\\]$`, 'm'))?.[0];
          expect(row, `${name} ${flag}`).toBeDefined();
          expect(row, `${name} ${flag}`).toMatch(/\[(?:default: [^\]]+|required[^\]]*)\]$/);
          expect(row?.replace(/\[[^\]]*\]$/, '').trim().length).toBeGreaterThan(flag.length + 10);
        }
        expect(examples.split('\n').slice(1).join('\n'), name).toContain(`etml ${name}`);
        // Read as one paragraph: where the help wraps its lines is not what is checked.
        if (SERVICES.includes(name)) {
          expect(about.replace(/\s+/g, ' '), name).toContain('README.md, "Configuration"');
        }
      }),
    );
  });

  it('is the same as etml help <command> and etml <command> -h', async () => {
    const [viaFlag, viaHelp, viaShort] = await Promise.all([
      runEtml(['query', '--date', '2025-07-30', '--help']),
      runEtml(['help', 'query']),
      runEtml(['query', '-h']),
    ]);
    expect(viaFlag.stdout).toMatch(/^usage: etml query /);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    expect(viaShort.stdout).toBe(viaFlag.stdout);
    expect([viaFlag.code, viaHelp.code, viaShort.code]).toEqual([0, 0, 0]);
  });

  it("documents run's and backfill's new flags with their defaults", async () => {
    const run = sections((await runEtml(['run', '--help'])).stdout);
    expect(run.flags).toMatch(/--max-failed-share S[\s\S]*\[default: 0\]/);
    expect(run.flags).toMatch(/--timeout-minutes N[\s\S]*\[default: 1440, a day\]/);
    const backfill = sections((await runEtml(['help', 'backfill'])).stdout);
    expect(backfill.flags).toMatch(/^ {2}--follow /m);
    expect(backfill.flags).toMatch(/^ {2}--max-failed-share S /m);
  });

  it('prints the help with exit 2 when no command is given', async () => {
    const result = await runEtml([]);
    expect(result.code).toBe(2);
    expect(commandRows(result.stdout).size).toBeGreaterThanOrEqual(18);
  });
});

describe('README.md', () => {
  it("names every command in its Command line section, and how to get each one's help", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Command line'),
      readme.indexOf('\n## ', readme.indexOf('## Command line') + 1),
    );
    expect(section).toContain('`etml <command> --help`');
    expect(section).toContain('`etml --version`');
    const rows = commandRows((await runEtml(['--help'])).stdout);
    for (const name of rows.keys()) expect(section).toMatch(new RegExp(`\`etml ${name}\\b`));
  });
});

describe('etml --version', () => {
  it('prints the version and the commit', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const git = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
    const commit = git.status === 0 ? git.stdout.trim() : 'unknown';
    for (const flag of ['--version', '-V']) {
      const result = await runEtml([flag]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^etml ${version} \\(commit ${commit}[;:]`));
    }
  });
});

describe('a mistyped command or flag', () => {
  it('gets "did you mean" when close to a known one, exit 2', async () => {
    await expectUsageLine(
      ['statsu'],
      `etml: unknown command "statsu"; did you mean "status"? (see 'etml --help')`,
    );
    await expectUsageLine(
      ['help', 'bakfill'],
      `etml: unknown command "bakfill"; did you mean "backfill"? (see 'etml --help')`,
    );
    await expectUsageLine(
      ['--verison'],
      `etml: unknown flag "--verison"; did you mean "--version"? (see 'etml --help')`,
    );
    await expectUsageLine(
      ['simulate', '--date', '2025-07-30', '--ride', '5'],
      `etml: simulate: unknown flag "--ride"; did you mean "--rides"? (see 'etml simulate --help')`,
    );
    await expectUsageLine(
      ['run', '--date', '2025-07-30', '--timeout-minute', '5'],
      `etml: run: unknown flag "--timeout-minute"; did you mean "--timeout-minutes"? (see 'etml run --help')`,
    );
  });

  it('guesses nothing when nothing is close', async () => {
    await expectUsageLine(['frobnicate'], `etml: unknown command "frobnicate" (see 'etml --help')`);
    await expectUsageLine(
      ['report', '--date', '2025-07-30', '--bogus'],
      `etml: report: unknown flag "--bogus" (see 'etml report --help')`,
    );
  });
});

describe('a bad flag value', () => {
  it('is one plain line naming the flag, its range and the value, exit 2', async () => {
    await expectUsageLine(
      ['simulate', '--date', '2025-07-30', '--rides', '-5'],
      `etml: simulate: --rides must be a whole number from 1 to 10000000, got "-5" (see 'etml simulate --help')`,
    );
    await expectUsageLine(
      ['simulate', '--date', '2025-07-30', '--seed', '-1'],
      `etml: simulate: --seed must be a whole number from 0 to 9007199254740991, got "-1" (see 'etml simulate --help')`,
    );
    await expectUsageLine(
      ['run', '--date', '2025-07-30', '--timeout-minutes', '-0.5'],
      `etml: run: --timeout-minutes must be a whole number from 1 to 10080, got "-0.5" (see 'etml run --help')`,
    );
    await expectUsageLine(
      ['cluster', '--input', 'x.csv', '--output', '-', '--eps', '-1'],
      `etml: cluster: --eps must be a number > 0, got "-1" (see 'etml cluster --help')`,
    );
  });

  it('says when a flag has no value, or takes none', async () => {
    await expectUsageLine(
      ['simulate', '--date', '2025-07-30', '--rides'],
      `etml: simulate: --rides needs a value (see 'etml simulate --help')`,
    );
    await expectUsageLine(
      ['simulate', '--rides', '--date', '2025-07-30'],
      `etml: simulate: --rides needs a value, got the flag "--date" (write --rides=--date if that is the value) (see 'etml simulate --help')`,
    );
    await expectUsageLine(
      ['enqueue', '--date', '2025-07-30', '--force=yes'],
      `etml: enqueue: --force takes no value, got "--force=yes" (see 'etml enqueue --help')`,
    );
    await expectUsageLine(
      ['status', '--date', '2025-07-30', 'now'],
      `etml: status: unexpected argument "now" (see 'etml status --help')`,
    );
  });
});
