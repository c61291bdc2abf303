import { readFileSync } from 'node:fs';
import { InputError } from '@etml/domain';
import { packt } from '@etml/fixtures';
import { describe, expect, it } from 'vitest';
import { detectFormat, type ParsedRow, parseRows } from './parse.ts';
import { checkRows } from './validate.ts';

const seedJson = readFileSync(packt.rides20230524Json, 'utf8');
const seedCsv = readFileSync(packt.ridesCh01Csv, 'utf8');

async function* feed<T>(parts: Iterable<T>): AsyncGenerator<T> {
  yield* parts;
}

function textChunks(text: string, size: number): string[] {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

function byteChunks(text: string, size: number): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return parts;
}

/** True when some chunk ends or starts inside a multi-byte character. */
function splitsACharacter(parts: Uint8Array[]): boolean {
  const strict = new TextDecoder('utf-8', { fatal: true });
  return parts.some(part => {
    try {
      strict.decode(part);
      return false;
    } catch {
      return true;
    }
  });
}

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

const parseWithText = (
  text: string | Iterable<string | Uint8Array>,
  format: 'json' | 'jsonl' | 'csv',
) =>
  collect(parseRows(feed<string | Uint8Array>(typeof text === 'string' ? [text] : text), format));

/** Rows without their source text, which has tests of its own. */
const parse = async (
  text: string | Iterable<string | Uint8Array>,
  format: 'json' | 'jsonl' | 'csv',
) =>
  (await parseWithText(text, format)).map(row => {
    if ('error' in row) return row;
    const { text: _text, ...rest } = row;
    return rest;
  });

const values = (rows: ParsedRow[]) =>
  rows.map(row => {
    if ('error' in row) throw new Error(`row ${row.row}: ${row.error}`);
    return row.value;
  });

describe('detectFormat', () => {
  it.each([
    ['[{"ride_id":1}]', 'json'],
    ['  \n\t[\n', 'json'],
    ['\uFEFF[', 'json'],
    ['{"ride_id":1}\n{"ride_id":2}', 'jsonl'],
    ['\n\n  {"ride_id":1}', 'jsonl'],
    ['ride_dist,ride_time,ride_speed,ride_id\n', 'csv'],
    ['"ride_id","ride_dist"\n', 'csv'],
  ])('detects %j as %s', (head, format) => {
    expect(detectFormat(head)).toBe(format);
  });

  it('detects the fixtures by their content', () => {
    expect(detectFormat(seedJson.slice(0, 64))).toBe('json');
    expect(detectFormat(seedCsv.slice(0, 64))).toBe('csv');
  });

  it.each(['PK\u0003\u0004\u0014\u0000\u0006', 'just some text\n', 'PAR1\u0000,\u0000'])(
    'refuses %j as an unknown format',
    head => {
      expect(() => detectFormat(head)).toThrow(InputError);
      expect(() => detectFormat(head)).toThrow('unknown format');
    },
  );

  it('says so when the file is gzip-compressed', () => {
    const gzip = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00]).toString('utf8');
    expect(() => detectFormat(gzip)).toThrow('gzip-compressed; decompress it first');
  });

  it.each(['', '   \n\t  '])('refuses the empty head %j', head => {
    expect(() => detectFormat(head)).toThrow(InputError);
    expect(() => detectFormat(head)).toThrow('empty');
  });
});

describe('source text of JSON records', () => {
  it('is each NDJSON line and each array element, trimmed, exactly as written', async () => {
    const lines = ['{"ride_id": 1, "ride_dist": 1.50}', '  {"ride_id":"2","x":[1, {"y":"]"}]}  '];
    const fromLines = await parseWithText(lines.join('\n'), 'jsonl');
    expect(fromLines.map(r => ('text' in r ? r.text : undefined))).toEqual(
      lines.map(l => l.trim()),
    );
    const fromArray = await parseWithText(`[\n${lines.join(',\n')}\n]`, 'json');
    expect(fromArray.map(r => ('text' in r ? r.text : undefined))).toEqual(
      lines.map(l => l.trim()),
    );
  });

  it('is absent for CSV rows, which have no JSON text', async () => {
    const rows = await parseWithText('ride_id,ride_dist\n1,2\n', 'csv');
    expect(rows).toEqual([{ row: 1, value: { ride_id: '1', ride_dist: 2 } }]);
  });
});

describe('parseRows: JSON array', () => {
  const expected = JSON.parse(seedJson) as unknown[];

  it('streams all 400 rides of the seed file with 1-based row numbers', async () => {
    expect(expected).toHaveLength(400);
    const rows = await parse(seedJson, 'json');
    expect(rows.map(r => r.row)).toEqual(expected.map((_, i) => i + 1));
    expect(values(rows)).toEqual(expected);
  });

  it('gives the same rows when the seed file arrives in odd-sized byte chunks', async () => {
    const rows = await parse(byteChunks(seedJson, 4093), 'json');
    expect(values(rows)).toEqual(expected);
  });

  it('reads an empty array and ignores whitespace around it', async () => {
    expect(await parse('[]', 'json')).toEqual([]);
    expect(await parse('  \n[ \n ]\n\n', 'json')).toEqual([]);
  });

  it('reads scalars and nested arrays as elements', async () => {
    const rows = await parse('[1, "two", [3, [4]], {"a": [5]}, null, true]', 'json');
    expect(values(rows)).toEqual([1, 'two', [3, [4]], { a: [5] }, null, true]);
  });

  describe('split across chunks', () => {
    // Strings hold what the element scanner must not mistake for structure.
    const rides = [
      {
        ride_id: 'a',
        ride_dist: 1.5,
        ride_time: 0.05,
        news: 'He said "], {[" and left: ü ✓',
        weather: 'ends with a backslash \\',
        traffic: 'quote then bracket \\"]',
      },
      {
        ride_id: 'b',
        ride_dist: 2,
        ride_time: 0.1,
        news: 'Zürich ✓✓ straße – “curly” ]}]}',
        tags: ['x]', { y: '}' }, [[]]],
      },
      { ride_id: 3, ride_dist: 0, ride_time: 0, news: '{"not": "json"}, [1, 2]' },
    ];
    const text = JSON.stringify(rides, null, 2);

    it('uses text that exercises the scanner', () => {
      expect(text).toContain('\\"');
      expect(text).toContain('ü');
      expect(text).toContain('✓');
      expect(splitsACharacter(byteChunks(text, 7))).toBe(true);
    });

    it('parses the whole text as JSON.parse does', async () => {
      expect(values(await parse(text, 'json'))).toEqual(rides);
    });

    it('gives identical rows when fed one character at a time', async () => {
      const whole = await parse(text, 'json');
      const rows = await parse(textChunks(text, 1), 'json');
      expect(rows).toEqual(whole);
      expect(values(rows)).toEqual(rides);
    });

    it('gives identical rows when fed in 7-byte chunks that split characters', async () => {
      const whole = await parse(text, 'json');
      const rows = await parse(byteChunks(text, 7), 'json');
      expect(rows).toEqual(whole);
      expect(values(rows)).toEqual(rides);
    });

    it('gives identical rows for every byte chunk size up to 16', async () => {
      for (let size = 1; size <= 16; size += 1) {
        expect(values(await parse(byteChunks(text, size), 'json'))).toEqual(rides);
      }
    });
  });

  it('turns bare NaN and -Infinity into a row rejection naming the field, not a parse error', async () => {
    const text = `[
      {"ride_id": "ok1", "ride_dist": 1, "ride_time": 0.1},
      {"ride_id": "nan", "ride_dist": NaN, "ride_time": 0.1},
      {"ride_id": "inf", "ride_dist": 2, "ride_time": -Infinity},
      {"ride_id": "ok2", "ride_dist": 3, "ride_time": 0.2}
    ]`;
    const rows = await parse(text, 'json');
    expect(rows.every(row => !('error' in row))).toBe(true);
    const checked = await collect(checkRows(feed(rows)));
    expect(checked.map(row => [row.row, row.ok])).toEqual([
      [1, true],
      [2, false],
      [3, false],
      [4, true],
    ]);
    const [, nan, inf] = checked;
    expect(nan?.ok === false && nan.reasons).toEqual([expect.stringContaining('ride_dist')]);
    expect(nan?.ok === false && nan.reasons[0]).toContain('"NaN"');
    expect(inf?.ok === false && inf.reasons[0]).toContain('ride_time');
    expect(inf?.ok === false && inf.reasons[0]).toContain('"-Infinity"');
  });

  it('gives an unparseable element a row error and still parses the rows after it', async () => {
    const text =
      '[{"ride_id": "a", "ride_dist": 1, "ride_time": 0.1}, {"ride_id": oops, "x": [1]}, ' +
      '{"ride_id": "c", "ride_dist": 3, "ride_time": 0.3}]';
    const rows = await parse(text, 'json');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual({ row: 1, value: { ride_id: 'a', ride_dist: 1, ride_time: 0.1 } });
    expect(rows[1]).toEqual({ row: 2, error: expect.stringMatching(/^not valid JSON/) });
    expect(rows[2]).toEqual({ row: 3, value: { ride_id: 'c', ride_dist: 3, ride_time: 0.3 } });
  });

  it.each([
    ['an unclosed array', '[{"ride_id": "a"}'],
    ['an array cut after a comma', '[{"ride_id": "a"},'],
    ['an element cut inside a string', '[{"ride_id": "a"}, {"news": "abc'],
    ['an opening bracket alone', '['],
    ['nothing at all', ''],
  ])('throws an InputError for %s', async (_, text) => {
    await expect(parse(text, 'json')).rejects.toThrow(InputError);
    await expect(parse(text, 'json')).rejects.toThrow('truncated');
  });

  it('yields the complete rows before a truncation is found', async () => {
    const rows: ParsedRow[] = [];
    const read = async () => {
      for await (const row of parseRows(feed(['[{"a": 1}, {"a": 2}, {"a"']), 'json'))
        rows.push(row);
    };
    await expect(read()).rejects.toThrow(InputError);
    expect(rows).toEqual([
      { row: 1, value: { a: 1 }, text: '{"a": 1}' },
      { row: 2, value: { a: 2 }, text: '{"a": 2}' },
    ]);
  });

  it('throws an InputError for a file that is not an array', async () => {
    await expect(parse('{"ride_id": "a"}', 'json')).rejects.toThrow(InputError);
    await expect(parse('{"ride_id": "a"}', 'json')).rejects.toThrow('not a JSON array');
  });

  it('throws an InputError for content after the closing bracket', async () => {
    await expect(parse('[{"a": 1}] [', 'json')).rejects.toThrow(InputError);
    await expect(parse('[{"a": 1}] [', 'json')).rejects.toThrow('after the end of the JSON array');
  });
});

describe('parseRows: NDJSON', () => {
  const rides = [
    { ride_id: 'a', ride_dist: 1, ride_time: 0.1, news: 'ü ✓ "quoted" {x} üüü ✓✓✓' },
    { ride_id: 2, ride_dist: 2, ride_time: 0.2 },
    { ride_id: 'c', ride_dist: 3, ride_time: 0.3 },
  ];

  it('skips blank lines and numbers the records, not the lines', async () => {
    const text = `\n${JSON.stringify(rides[0])}\n\n   \n${JSON.stringify(rides[1])}\r\n\t\n${JSON.stringify(rides[2])}`;
    const rows = await parse(text, 'jsonl');
    expect(rows).toEqual(rides.map((value, i) => ({ row: i + 1, value })));
  });

  it('reads a final line with or without a trailing newline', async () => {
    const lines = rides.map(r => JSON.stringify(r)).join('\n');
    expect(values(await parse(lines, 'jsonl'))).toEqual(rides);
    expect(values(await parse(`${lines}\n`, 'jsonl'))).toEqual(rides);
  });

  it('gives identical rows in 1-character and 7-byte chunks', async () => {
    const text = `${rides.map(r => JSON.stringify(r)).join('\n\n')}\n`;
    expect(splitsACharacter(byteChunks(text, 7))).toBe(true);
    expect(values(await parse(textChunks(text, 1), 'jsonl'))).toEqual(rides);
    expect(values(await parse(byteChunks(text, 7), 'jsonl'))).toEqual(rides);
  });

  it('reads the seed rides written one per line', async () => {
    const expected = JSON.parse(seedJson) as unknown[];
    const text = expected.map(r => JSON.stringify(r)).join('\n');
    const rows = await parse(byteChunks(text, 1000), 'jsonl');
    expect(rows.map(r => r.row)).toEqual(expected.map((_, i) => i + 1));
    expect(values(rows)).toEqual(expected);
  });

  it('gives a bad line a row error and keeps going', async () => {
    const text = '{"ride_id": "a"}\n{"ride_id": \n{"ride_id": "c"}\n';
    const rows = await parse(text, 'jsonl');
    expect(rows).toEqual([
      { row: 1, value: { ride_id: 'a' } },
      { row: 2, error: expect.stringMatching(/^not valid JSON/) },
      { row: 3, value: { ride_id: 'c' } },
    ]);
  });

  it('turns bare NaN into a row rejection naming the field', async () => {
    const text = '{"ride_id": "a", "ride_dist": NaN, "ride_time": 0.1}\n';
    const rows = await parse(text, 'jsonl');
    expect(rows).toEqual([{ row: 1, value: { ride_id: 'a', ride_dist: 'NaN', ride_time: 0.1 } }]);
    const [checked] = await collect(checkRows(feed(rows)));
    expect(checked?.ok).toBe(false);
    expect(checked?.ok === false && checked.reasons).toEqual([
      expect.stringMatching(/^ride_dist .*"NaN"$/),
    ]);
  });
});

describe('parseRows: CSV', () => {
  const lines = seedCsv.split(/\r?\n/).filter(line => line.trim() !== '');
  const header = lines[0]!.split(',');
  // An independent reading of the fixture, which has no quoted cells.
  const expected = lines.slice(1).map(line => {
    const cells = line.split(',');
    return Object.fromEntries(
      header.map((name, i) => [name, name === 'ride_id' ? cells[i] : Number(cells[i])]),
    );
  });

  it('reads all 400 rides of the seed CSV with numbers as numbers and ride_id as text', async () => {
    expect(header).toEqual(['ride_dist', 'ride_time', 'ride_speed', 'ride_id']);
    expect(expected).toHaveLength(400);
    const rows = await parse(seedCsv, 'csv');
    expect(rows.map(r => r.row)).toEqual(expected.map((_, i) => i + 1));
    const parsed = values(rows) as Record<string, unknown>[];
    expect(parsed).toEqual(expected);
    for (const ride of parsed) {
      expect(typeof ride.ride_dist).toBe('number');
      expect(typeof ride.ride_time).toBe('number');
      expect(typeof ride.ride_speed).toBe('number');
      expect(typeof ride.ride_id).toBe('string');
    }
  });

  it('gives the same rows when the CSV arrives in small byte chunks', async () => {
    expect(values(await parse(byteChunks(seedCsv, 7), 'csv'))).toEqual(expected);
  });

  it('every seed CSV row passes validation', async () => {
    const checked = await collect(checkRows(parseRows(feed([seedCsv]), 'csv')));
    expect(checked.filter(r => !r.ok)).toEqual([]);
    expect(checked).toHaveLength(400);
  });

  it('makes a row with the wrong number of fields a row error and keeps going', async () => {
    const text = 'ride_id,ride_dist,ride_time\na,1,0.1\nb,2\nc,3,0.3,extra\nd,4,0.4\n';
    const rows = await parse(text, 'csv');
    expect(rows).toEqual([
      { row: 1, value: { ride_id: 'a', ride_dist: 1, ride_time: 0.1 } },
      { row: 2, error: 'has 2 fields, the header has 3' },
      { row: 3, error: 'has 4 fields, the header has 3' },
      { row: 4, value: { ride_id: 'd', ride_dist: 4, ride_time: 0.4 } },
    ]);
  });

  it('keeps numeric-looking ride ids and free text as text, and quoted cells whole', async () => {
    const text =
      'ride_id,ride_dist,ride_time,selection_idx,news\n' +
      '007,1.5,0.05,2,"Roadworks, delays and ""queues"" – ü ✓"\n';
    const rows = await parse(textChunks(text, 1), 'csv');
    expect(values(rows)).toEqual([
      {
        ride_id: '007',
        ride_dist: 1.5,
        ride_time: 0.05,
        selection_idx: 2,
        news: 'Roadworks, delays and "queues" – ü ✓',
      },
    ]);
  });

  it('leaves empty cells out and non-numbers as text, for validation to name', async () => {
    const text = 'ride_id,ride_dist,ride_time\na,,0.1\nb,abc,0.2\n';
    const rows = await parse(text, 'csv');
    expect(values(rows)).toEqual([
      { ride_id: 'a', ride_time: 0.1 },
      { ride_id: 'b', ride_dist: 'abc', ride_time: 0.2 },
    ]);
    const checked = await collect(checkRows(feed(rows)));
    expect(checked.map(r => (r.ok ? 'ok' : r.reasons))).toEqual([
      ['ride_dist is missing'],
      [expect.stringMatching(/^ride_dist .*"abc"$/)],
    ]);
  });

  it('skips blank lines, strips a byte order mark and trims cells', async () => {
    const text = '\uFEFFride_id, ride_dist ,ride_time\r\n\r\na, 1 ,0.1\r\n\r\nb,2,0.2\r\n';
    const rows = await parse(text, 'csv');
    expect(rows).toEqual([
      { row: 1, value: { ride_id: 'a', ride_dist: 1, ride_time: 0.1 } },
      { row: 2, value: { ride_id: 'b', ride_dist: 2, ride_time: 0.2 } },
    ]);
  });

  it('throws an InputError for CSV it cannot read', async () => {
    await expect(parse('ride_id,news\na,"unclosed\n', 'csv')).rejects.toThrow(InputError);
  });
});

describe('strictness and resources', () => {
  it.each([
    ['[{"a":1},,{"a":2}]', 'empty element after row 1'],
    ['[,{"a":1}]', 'empty element after row 0'],
    ['[{"a":1},{"a":2},]', 'trailing comma after row 2'],
  ])('refuses the JSON array %s, which strict readers would also refuse', async (text, message) => {
    await expect(parse(text, 'json')).rejects.toThrow(InputError);
    await expect(parse(text, 'json')).rejects.toThrow(message);
  });

  it('closes the source when the reader stops after the first CSV row', async () => {
    let closed = false;
    async function* source() {
      try {
        yield 'ride_id,ride_dist,ride_time\n1,2,0.1\n';
        for (let i = 2; i < 1_000_000; i += 1) yield `${i},2,0.1\n`;
      } finally {
        closed = true;
      }
    }
    for await (const row of parseRows(source(), 'csv')) {
      expect(row.row).toBe(1);
      break;
    }
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(closed).toBe(true);
  });

  it('passes a read error through as it is, not as bad CSV', async () => {
    async function* failing() {
      yield 'ride_id,ride_dist,ride_time\n1,2,0.1\n';
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }
    const read = async () => {
      for await (const _ of parseRows(failing(), 'csv')) {
        // drain
      }
    };
    await expect(read()).rejects.toThrow('EIO');
    await expect(read()).rejects.not.toBeInstanceOf(InputError);
  });

  it('calls an unclosed quote bad CSV', async () => {
    await expect(parse('ride_id,ride_dist\n"1,2\n', 'csv')).rejects.toThrow('not valid CSV');
  });
});
