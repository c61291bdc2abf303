import { ENV_REFERENCE } from '@etml/config';
import { describe, expect, it } from 'vitest';
import { closest, HelpRequested } from './args.ts';
import { COMMANDS } from './commands.ts';
import { loadCliEnv } from './env.ts';
import { COMMAND_HELP, commandHelp, generalHelp } from './help.ts';

/** The flags a command parses, read from the command itself: --help stops it in parseFlags. */
async function parsedFlags(name: string): Promise<string[]> {
  const command = COMMANDS[name];
  if (!command) throw new Error(`no command ${name}`);
  // embedded takes its action before its flags.
  const args = name === 'embedded' ? ['status', '--help'] : ['--help'];
  const outcome = await command(args, () => loadCliEnv({})).then(
    () => 'ran',
    (error: unknown) => error,
  );
  if (!(outcome instanceof HelpRequested)) {
    throw new Error(`etml ${name} --help did not stop in parseFlags: ${String(outcome)}`);
  }
  return outcome.flags;
}

const names = Object.keys(COMMANDS);

describe('etml help', () => {
  it('describes every command, and no other', () => {
    expect(Object.keys(COMMAND_HELP).sort()).toEqual([...names].sort());
  });

  it.each(names)('etml %s --help lists exactly the flags the command parses', async name => {
    const parsed = await parsedFlags(name);
    const documented = Object.keys(COMMAND_HELP[name]?.flags ?? {});
    expect([...parsed].sort()).toEqual(documented.sort());
  });

  it.each(names)('etml %s --help has examples that use only its flags', name => {
    const help = COMMAND_HELP[name];
    expect(help?.examples.length).toBeGreaterThan(0);
    for (const example of help?.examples ?? []) {
      const words: string[] = example.match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
      expect(words, example).toContain(name);
      expect(words[words.indexOf(name) - 1], example).toBe('etml');
      for (const word of words.filter(w => w.startsWith('--'))) {
        expect(Object.keys(help?.flags ?? {}), example).toContain(word.slice(2).split('=')[0]);
      }
    }
  });

  it('fits a terminal of 80 columns, examples aside', () => {
    const texts = [
      generalHelp(),
      ...names.map(name => commandHelp(name).split('\nexamples:\n')[0]),
    ];
    for (const line of texts.join('\n').split('\n'))
      expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it('names only environment variables the project reads', () => {
    const known = new Set(ENV_REFERENCE.map(v => v.name));
    const text = JSON.stringify(COMMAND_HELP);
    const named = new Set(text.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g));
    expect(named.size).toBeGreaterThan(10);
    for (const name of named) expect(known, name).toContain(name);
  });
});

describe('closest', () => {
  it('finds a swap, a slip and an unfinished word, and guesses nothing far off', () => {
    const commands = Object.keys(COMMAND_HELP);
    expect(closest('statsu', commands)).toBe('status');
    expect(closest('simulat', commands)).toBe('simulate');
    expect(closest('stat', commands)).toBe('status');
    expect(closest('bakfill', commands)).toBe('backfill');
    expect(closest('frobnicate', commands)).toBeUndefined();
    expect(closest('st', commands)).toBeUndefined();
  });
});
