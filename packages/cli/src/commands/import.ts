import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  rmSync,
  type WriteStream,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, keys, type RideDate } from '@etml/domain';
import {
  openTlcFile,
  TLC_REQUIRED,
  type TlcFile,
  type TlcRow,
  tlcRides,
  ZoneClock,
} from '@etml/ingest';
import { connectStore } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import cliProgress from 'cli-progress';
import { parseFlags, requireFlag } from '../args.ts';
import type { Command } from '../command.ts';
import { inFile, readableFile } from '../input-file.ts';
import { putRawRides } from '../raw.ts';
import { rawInputArrived } from '../raw-arrived.ts';

export const DEFAULT_TLC_ZONE = 'America/New_York';

/** How many rejected rows are shown per day; all of them are counted. */
const EXAMPLES = 3;

interface Day {
  date: RideDate;
  rides: number;
  rejected: number;
  examples: string[];
  spool?: { path: string; out: WriteStream };
}

export interface ImportReport {
  /** The days that were (or, in a dry run, would be) uploaded, oldest first. */
  days: Day[];
  /** The days of other months: their rides are counted, not uploaded; their bad rows reported. */
  otherMonths: Day[];
  /** Rows whose pickup could not be read, so they belong to no day. */
  undated: { count: number; examples: string[] };
  rows: number;
  month: string;
}

async function write(out: WriteStream, text: string): Promise<void> {
  if (!out.write(text)) await new Promise<void>(resolve => out.once('drain', () => resolve()));
}

async function closeAll(days: Iterable<Day>): Promise<void> {
  const open = [...days].flatMap(day => (day.spool ? [day.spool.out] : []));
  await Promise.all(open.map(out => new Promise<void>(resolve => out.end(() => resolve()))));
}

const example = (row: TlcRow & { ok: false }) => `row ${row.row}: ${row.reasons.join('; ')}`;

/**
 * Reads the whole file once, spooling each pickup date's rides to a file of its own in `dir`,
 * so memory does not grow with the file. The file's month is the month most of its rides are
 * in; the stray rides of other months (the TLC files hold a few) are counted, not kept, since
 * uploading them would replace those days' real inputs with a handful of rides.
 */
async function spoolByDate(
  file: TlcFile,
  clock: ZoneClock,
  dir: string,
  onRow: () => void,
): Promise<ImportReport> {
  const days = new Map<RideDate, Day>();
  const undated = { count: 0, examples: [] as string[] };
  let rows = 0;
  const dayOf = (date: RideDate) => {
    let day = days.get(date);
    if (!day) {
      day = { date, rides: 0, rejected: 0, examples: [] };
      days.set(date, day);
    }
    return day;
  };
  try {
    for await (const row of tlcRides(file, clock)) {
      rows += 1;
      onRow();
      if (!row.ok) {
        const target = row.date ? dayOf(row.date) : undefined;
        if (target) {
          target.rejected += 1;
          if (target.examples.length < EXAMPLES) target.examples.push(example(row));
        } else {
          undated.count += 1;
          if (undated.examples.length < EXAMPLES) undated.examples.push(example(row));
        }
        continue;
      }
      const day = dayOf(row.date);
      day.rides += 1;
      day.spool ??= (() => {
        const path = join(dir, `${row.date}.jsonl`);
        return { path, out: createWriteStream(path) };
      })();
      await write(day.spool.out, `${JSON.stringify(row.ride)}\n`);
    }
  } finally {
    await closeAll(days.values());
  }
  const byMonth = new Map<string, number>();
  for (const day of days.values()) {
    const month = day.date.slice(0, 7);
    byMonth.set(month, (byMonth.get(month) ?? 0) + day.rides);
  }
  // The month with most rides; on a tie, the earlier.
  const [month] = [...byMonth].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))[0] ?? [''];
  const otherMonths: Day[] = [];
  const kept: Day[] = [];
  for (const day of [...days.values()].sort((a, b) => (a.date < b.date ? -1 : 1))) {
    (day.date.startsWith(month) ? kept : otherMonths).push(day);
  }
  return { days: kept, otherMonths, undated, rows, month };
}

/**
 * Imports a TLC file into raw/date=D/rides.jsonl, one object per pickup date of the file's
 * month, each replacing that date's raw input. Nothing is uploaded until the whole file has been
 * read, so a file that turns out corrupt half-way uploads nothing.
 */
export async function importTlcFile(
  path: string,
  options: { clock: ZoneClock; store?: ObjectStore | undefined; progress?: boolean },
): Promise<ImportReport & { file: TlcFile }> {
  const size = await readableFile('import', 'file', path);
  const { clock } = options;
  const file = await openTlcFile(path, size).catch(inFile('import', path));
  if (!file) {
    throw new InputError(
      `import: ${path} is not a TLC trip-record file: it needs the columns ${TLC_REQUIRED}` +
        ' (a file in the seed format goes in with etml upload)',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'etml-import-'));
  const bar = options.progress
    ? new cliProgress.SingleBar(
        { format: 'import [{bar}] {percentage}% {rows} rows', stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  try {
    bar?.start(100, 0, { rows: 0 });
    let seen = 0;
    const onRow = () => {
      seen += 1;
      if (seen % 10_000 === 0) bar?.update(Math.floor(file.readFraction() * 100), { rows: seen });
    };
    const report = await spoolByDate(file, clock, dir, onRow).catch(inFile('import', path));
    bar?.update(100, { rows: seen });
    bar?.stop();
    if (report.days.every(day => day.rides === 0)) {
      const first = report.undated.examples[0] ?? report.days.find(d => d.examples[0])?.examples[0];
      throw new InputError(
        `import: ${path} has no rows that are rides (${report.rows} rows${first ? `; ${first}` : ''})`,
      );
    }
    if (options.store) {
      for (const day of report.days) {
        if (day.spool) {
          await putRawRides(options.store, day.date, 'jsonl', createReadStream(day.spool.path));
        }
      }
    }
    return { ...report, file };
  } finally {
    bar?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** etml import: a TLC month file in, one raw day per pickup date out. */
export const importCommand: Command = async (args, getEnv) => {
  const flags = parseFlags('import', args, {
    file: { type: 'string' },
    tz: { type: 'string' },
    'dry-run': { type: 'boolean' },
  });
  const path = requireFlag('import', 'file', flags.file);
  const tz = flags.tz ?? DEFAULT_TLC_ZONE;
  const clock = new ZoneClock(tz);
  const dryRun = flags['dry-run'] ?? false;
  const store = dryRun ? undefined : (await connectStore(getEnv())).value;
  const started = Date.now();
  const report = await importTlcFile(path, { clock, store, progress: process.stderr.isTTY });
  const { layout, kind } = report.file;
  const lines: string[] = [];
  let rides = 0;
  let rejected = report.undated.count;
  for (const day of report.days) {
    rides += day.rides;
    rejected += day.rejected;
    const where =
      day.rides === 0
        ? 'nothing to upload'
        : dryRun
          ? 'not uploaded (dry run)'
          : `-> ${store?.uri(keys.raw(day.date, 'jsonl'))}`;
    lines.push(
      `${day.date}: ${day.rides} rides${day.rejected ? `, ${day.rejected} rejected` : ''} ${where}`,
      ...day.examples.map(e => `    ${e}`),
    );
  }
  if (report.undated.count > 0) {
    lines.push(
      `rows without a readable pickup time: ${report.undated.count} rejected`,
      ...report.undated.examples.map(e => `    ${e}`),
    );
  }
  const other = report.otherMonths.filter(day => day.rides > 0);
  for (const day of report.otherMonths.filter(d => d.rejected > 0)) {
    rejected += day.rejected;
    lines.push(
      `${day.date} (another month): ${day.rejected} rejected`,
      ...day.examples.map(e => `    ${e}`),
    );
  }
  if (other.length > 0) {
    const count = other.reduce((sum, day) => sum + day.rides, 0);
    const shown = other
      .slice(0, 5)
      .map(day => `${day.date}: ${day.rides}`)
      .join(', ');
    lines.push(
      `rides outside the file's month ${report.month}: ${count} not imported (${shown}${other.length > 5 ? ', …' : ''}); import their own month's file`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stderr.write(
    `${dryRun ? 'dry run: would import' : 'imported'} ${rides} rides into ${report.days.filter(d => d.rides > 0).length} days of ${report.month} ` +
      `from ${report.rows} rows (${rejected} rejected) of a ${layout.colour} taxi ${kind.toUpperCase()} file ` +
      `(${layout.places === 'none' ? 'no places' : layout.places}; times in ${tz}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  if (!dryRun) {
    await rawInputArrived(
      getEnv(),
      report.days.filter(day => day.rides > 0).map(day => day.date),
    );
  }
};
