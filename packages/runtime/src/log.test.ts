import { describe, expect, it } from 'vitest';
import { createLogger } from './log.ts';

describe('createLogger', () => {
  it('writes info and above by default, with key=value fields, and debug only when asked', () => {
    const lines: string[] = [];
    const log = createLogger('svc', line => lines.push(line));
    log.debug('per job', { job: 'summarize-1' });
    log.info('day loaded', { date: '2025-07-30', note: 'two words' });
    log.warn('careful');
    log.error('broken');
    expect(lines.map(l => l.replace(/^\S+ /, ''))).toEqual([
      'INFO svc day loaded date=2025-07-30 note="two words"\n',
      'WARN svc careful\n',
      'ERROR svc broken\n',
    ]);

    const verbose: string[] = [];
    createLogger('svc', line => verbose.push(line), 'debug').debug('per job', { job: 'x' });
    expect(verbose[0]).toMatch(/ DEBUG svc per job job=x\n$/);

    const terse: string[] = [];
    const warnOnly = createLogger('svc', line => terse.push(line), 'warn');
    warnOnly.info('hidden');
    warnOnly.warn('shown');
    expect(terse).toHaveLength(1);
  });
});
