import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError, NUMERIC_RIDE_FIELDS, parseDecimal, type RawFormat } from '@etml/domain';
import { parse as parseCsv } from 'csv-parse';

/**
 * One record of a raw file: its 1-based position among the file's records, and its value. JSON
 * records keep their source text, so a writer can pass them on byte for byte.
 */
export type ParsedRow =
  | { row: number; value: unknown; text?: string }
  | { row: number; error: string };

type Chunks = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

/**
 * The format from the first non-blank character: `[` is a JSON array, `{` is NDJSON, anything
 * else is CSV with a header row. Extensions lie (NDJSON saved as .json is common); content does not.
 */
export function detectFormat(head: string): RawFormat {
  const text = head.trimStart();
  const first = text[0];
  if (first === undefined) throw new InputError('the file is empty');
  if (head.startsWith('\u001f\u008b') || head.startsWith('\u001f\ufffd')) {
    throw new InputError('unknown format: the file is gzip-compressed; decompress it first');
  }
  if (first === '[') return 'json';
  if (first === '{') return 'jsonl';
  // A ride CSV's header names at least ride_id, ride_dist and ride_time.
  const header = text.split(/\r?\n/, 1)[0] ?? '';
  if (header.includes(',') && !text.includes('\u0000')) return 'csv';
  throw new InputError('unknown format: expected a JSON array, NDJSON, or CSV with a header row');
}

// pandas and Python's json module write NaN and Infinity as bare tokens, which JSON.parse refuses.
// Quoting them lets the ride schema say "ride_dist must be a finite number, got "NaN"" instead of
// rejecting the whole row as unreadable.
const NON_FINITE = /([:[,]\s*)(-?(?:NaN|Infinity))(?=\s*[,}\]])/g;

function parseJsonValue(text: string, row: number): ParsedRow {
  try {
    return { row, value: JSON.parse(text), text };
  } catch (error) {
    try {
      return { row, value: JSON.parse(text.replace(NON_FINITE, '$1"$2"')) };
    } catch {
      return { row, error: `not valid JSON (${(error as Error).message})` };
    }
  }
}

async function* decode(chunks: Chunks): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of chunks) {
    yield typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

async function* parseNdjson(chunks: Chunks, record: MakeRow): AsyncGenerator<ParsedRow> {
  let rest = '';
  let row = 0;
  for await (const text of decode(chunks)) {
    const buffer = rest + text;
    let start = 0;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(start, newline).trim();
      if (line) yield record(line, ++row);
      start = newline + 1;
      newline = buffer.indexOf('\n', start);
    }
    rest = buffer.slice(start);
  }
  if (rest.trim()) yield record(rest.trim(), ++row);
}

/**
 * Streams the elements of a top-level JSON array, one JSON.parse per element, so a day far
 * larger than the longest JS string still parses, and one broken element costs only its row.
 */
async function* parseJsonArray(chunks: Chunks, record: MakeRow): AsyncGenerator<ParsedRow> {
  let opened = false;
  let closed = false;
  let afterComma = false;
  let inElement = false;
  let element = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let row = 0;
  for await (const text of decode(chunks)) {
    let start = 0;
    for (let i = 0; i < text.length; i += 1) {
      const c = text[i] as string;
      if (inElement) {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === '\\') escaped = true;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{' || c === '[') depth += 1;
        else if (depth > 0 && (c === '}' || c === ']')) depth -= 1;
        else if (depth === 0 && (c === ',' || c === ']')) {
          element += text.slice(start, i);
          yield record(element.trim(), ++row);
          element = '';
          inElement = false;
          afterComma = c === ',';
          closed = c === ']';
        }
        continue;
      }
      if (/\s/.test(c)) continue;
      if (closed)
        throw new InputError(`unexpected ${JSON.stringify(c)} after the end of the JSON array`);
      if (!opened) {
        if (c !== '[')
          throw new InputError(`not a JSON array: expected "[", found ${JSON.stringify(c)}`);
        opened = true;
      } else if (c === ']') {
        if (afterComma)
          throw new InputError(`the JSON array has a trailing comma after row ${row}`);
        closed = true;
      } else if (c === ',') {
        throw new InputError(`the JSON array has an empty element after row ${row}`);
      } else {
        // The element starts here; reread this character in element mode.
        inElement = true;
        start = i;
        i -= 1;
      }
    }
    if (inElement) element += text.slice(start);
  }
  if (!closed) throw new InputError('the JSON array is not closed: the file is truncated');
}

const NUMERIC = new Set<string>(NUMERIC_RIDE_FIELDS);

/** CSV text to the seed's types: numeric columns become numbers, empty cells are absent. */
function csvRecord(header: string[], cells: string[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  header.forEach((name, i) => {
    const cell = cells[i] ?? '';
    if (cell === '') return;
    record[name] = NUMERIC.has(name) ? (parseDecimal(cell) ?? cell) : cell;
  });
  return record;
}

async function* parseCsvRows(chunks: Chunks): AsyncGenerator<ParsedRow> {
  const parser = parseCsv({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
  });
  // pipeline closes the source when the reader stops early or the parser fails.
  const flowing = pipeline(Readable.from(decode(chunks)), parser).catch(() => {});
  let header: string[] | undefined;
  let row = 0;
  try {
    for await (const cells of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = cells;
        continue;
      }
      row += 1;
      yield cells.length === header.length
        ? { row, value: csvRecord(header, cells) }
        : { row, error: `has ${cells.length} fields, the header has ${header.length}` };
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('CSV_')) {
      throw new InputError(`not valid CSV: ${(error as Error).message}`);
    }
    throw error;
  } finally {
    parser.destroy();
    await flowing;
  }
}

type MakeRow = (text: string, row: number) => ParsedRow;

export interface ParseOptions {
  /**
   * false: JSON records come with their text only, `value` left undefined, for a reader that
   * has validated them already and passes the text on (parsing is most of the cost).
   */
  values?: boolean;
}

export function parseRows(
  chunks: Chunks,
  format: RawFormat,
  options: ParseOptions = {},
): AsyncGenerator<ParsedRow> {
  // A record with bare NaN or Infinity tokens has no valid JSON text to pass on: it is parsed
  // (and repaired) even when only text was asked for.
  const record: MakeRow =
    options.values === false
      ? (text, row) =>
          /NaN|Infinity/.test(text) ? parseJsonValue(text, row) : { row, value: undefined, text }
      : parseJsonValue;
  switch (format) {
    case 'json':
      return parseJsonArray(chunks, record);
    case 'jsonl':
      return parseNdjson(chunks, record);
    case 'csv':
      return parseCsvRows(chunks);
  }
}
