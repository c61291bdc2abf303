import { rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderDayReport } from '@etml/outputs';
import { connectStore } from '@etml/runtime';
import { dateFlag, parseFlags } from '../args.ts';
import type { Command } from '../command.ts';
import { checkNotFuture } from '../today.ts';

/**
 * etml report: a complete day's report.html, rendered from its rides.jsonl and the manifests of
 * the week before, to a local file for viewing (or to stdout with --out -).
 */
export const reportCommand: Command = async (args, getEnv) => {
  const flags = parseFlags('report', args, { date: { type: 'string' }, out: { type: 'string' } });
  const env = getEnv();
  // A day to come has no report, and the message for a missing one would suggest etml run.
  const date = checkNotFuture(dateFlag('report', 'date', flags.date), env.scheduleTz);
  const store = (await connectStore(env)).value;
  const html = await renderDayReport(store, date);
  if (flags.out === '-') {
    process.stdout.write(html);
    return;
  }
  const file = resolve(flags.out ?? `report-${date}.html`);
  // Written beside, then renamed: a browser open on the old file never sees half a page.
  await writeFile(`${file}.partial`, html);
  await rename(`${file}.partial`, file);
  process.stderr.write(`report for ${date} written; open it in a browser:\n`);
  process.stdout.write(`${pathToFileURL(file).href}\n`);
};
