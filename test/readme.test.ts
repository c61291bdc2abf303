import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envTableMarkdown } from '@etml/config';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.ts';

/** Rows of a markdown table as trimmed cells, header and rule dropped. */
function tableRows(markdown: string, header: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex(l => l.replace(/\s+/g, ' ').startsWith(header));
  if (start < 0) throw new Error(`no table starting with ${header}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map(cell => cell.trim().replace(/\s+/g, ' ')),
    );
  }
  return rows;
}

describe('README.md', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('documents every environment variable as the code does, and no other', () => {
    expect(tableRows(readme, '| variable | default | meaning |')).toEqual(
      tableRows(envTableMarkdown(), '| variable | default | meaning |'),
    );
  });

  it('has a Quick start with the two commands', () => {
    const quick = readme.slice(readme.indexOf('## Quick start'));
    expect(quick).toContain('npm run demo');
    expect(quick).toContain('npm test');
  });
});
