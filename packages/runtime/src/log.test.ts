import { describe, expect, it } from 'vitest';
import { createLogger, prettyLine, resolveLogFormat, withLogFields } from './log.ts';

/** A logger's lines, as written. */
function capture(settings: Parameters<typeof createLogger>[2] = {}) {
  const lines: string[] = [];
  const log = createLogger('svc', line => lines.push(line), settings);
  return { log, lines };
}

const withoutTime = (line: string) => line.replace(/^\S+ /, '');

describe('createLogger, pretty', () => {
  it('writes info and above by default, with key=value fields, and debug only when asked', () => {
    const { log, lines } = capture();
    log.debug('per job', { job: 'summarize-1' });
    log.info('day loaded', { date: '2025-07-30', note: 'two words', n: 3, off: undefined });
    log.warn('careful');
    log.error('broken', { quoted: 'a "b"', eq: 'k=v', list: [1, 2] });
    expect(lines.map(withoutTime)).toEqual([
      'INFO svc day loaded date=2025-07-30 note="two words" n=3\n',
      'WARN svc careful\n',
      'ERROR svc broken quoted="a \\"b\\"" eq="k=v" list=[1,2]\n',
    ]);
    expect(lines[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z INFO /);

    const verbose = capture({ level: 'debug' });
    verbose.log.debug('per job', { job: 'x' });
    expect(verbose.lines[0]).toMatch(/ DEBUG svc per job job=x\n$/);

    const terse = capture({ level: 'warn' });
    terse.log.info('hidden');
    terse.log.warn('shown');
    terse.log.error('shown too');
    expect(terse.lines.map(withoutTime)).toEqual(['WARN svc shown\n', 'ERROR svc shown too\n']);
  });

  it('prettyLine turns a JSON line into time LEVEL service message k=v, leaving out pid and hostname', () => {
    const json = JSON.stringify({
      level: 'warn',
      time: '2025-07-30T06:00:00.000Z',
      service: 'summarize-worker',
      pid: 42,
      hostname: 'box',
      queue: 'summarize',
      job: 'summarize-2025-07-30-r1',
      msg: 'job attempt failed',
    });
    expect(prettyLine(json)).toBe(
      '2025-07-30T06:00:00.000Z WARN summarize-worker job attempt failed queue=summarize job=summarize-2025-07-30-r1\n',
    );
  });
});

describe('createLogger, JSON', () => {
  it('writes one JSON object a line: level as a word, ISO time, service, pid, hostname, fields, msg', () => {
    const { log, lines } = capture({ format: 'json', level: 'debug' });
    log.debug('one', { n: 1 });
    log.error('two 100% %s', { nested: { a: [1] } });
    expect(lines.every(line => line.endsWith('}\n') && !line.slice(0, -1).includes('\n'))).toBe(
      true,
    );
    const [one, two] = lines.map(line => JSON.parse(line));
    expect(one).toMatchObject({ level: 'debug', service: 'svc', n: 1, msg: 'one' });
    expect(one.time).toMatch(/^\d{4}-\d{2}-\d{2}T.*Z$/);
    expect(one.pid).toBe(process.pid);
    expect(typeof one.hostname).toBe('string');
    expect(two).toMatchObject({ level: 'error', nested: { a: [1] }, msg: 'two 100% %s' });
  });

  it('adds the fields of every enclosing withLogFields, through awaits; a line’s own fields win', async () => {
    const { log, lines } = capture({ format: 'json' });
    await withLogFields({ queue: 'load', job: 'load-2025-07-30' }, async () => {
      await new Promise(resolve => setTimeout(resolve, 1));
      await withLogFields({ date: '2025-07-30' }, async () => log.info('inside', { job: 'own' }));
    });
    log.info('outside');
    const [inside, outside] = lines.map(line => JSON.parse(line));
    expect(inside).toMatchObject({ queue: 'load', job: 'own', date: '2025-07-30' });
    expect(lines[0]?.match(/"job"/g)).toHaveLength(1);
    expect(outside).not.toHaveProperty('queue');
  });

  it('redacts secret fields by name and the given secrets anywhere, in both formats', () => {
    const secrets = ['sk-live-123456', 'pa"ss\\word'];
    for (const format of ['json', 'pretty'] as const) {
      const { log, lines } = capture({ format, secrets });
      log.warn('call failed with key sk-live-123456', {
        apiKey: 'abc',
        request: { headers: { authorization: 'Bearer xyz' } },
        board: { password: 'hunter2' },
        note: 'pa"ss\\word',
      });
      const text = lines.join('');
      for (const hidden of ['sk-live-123456', 'abc', 'Bearer xyz', 'hunter2', 'pa\\"ss', 'pa"ss']) {
        expect(text, format).not.toContain(hidden);
      }
      expect(text).toContain('[redacted]');
      if (format === 'json') expect(JSON.parse(text).note).toBe('[redacted]');
    }
  });
});

describe('resolveLogFormat', () => {
  it('keeps a format that is set; unset, pretty on a terminal and JSON otherwise', () => {
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
    expect(resolveLogFormat(undefined, true)).toBe('pretty');
    expect(resolveLogFormat(undefined, false)).toBe('json');
  });
});
