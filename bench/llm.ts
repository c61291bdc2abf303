/**
 * `pnpm bench:llm`: LLM throughput under the provider's limit (llm/throughput.ts), and the
 * orchestration's overhead against BullMQ alone (llm/overhead.ts). BENCHMARKS.md has the results.
 */
import { rmSync } from 'node:fs';
import { readOptions } from './llm/options.ts';
import { overhead } from './llm/overhead.ts';
import { problems } from './llm/problems.ts';
import { throughput } from './llm/throughput.ts';
import { cleanUp, scratchDir } from './services.ts';

async function main(): Promise<void> {
  const options = readOptions();
  const tmp = scratchDir('etml-bench-llm-');
  const started = performance.now();
  try {
    console.log(`# pnpm bench:llm ${process.argv.slice(2).join(' ')}`.trimEnd());
    if (options.parts.has('throughput')) await throughput(options, tmp);
    if (options.parts.has('overhead')) {
      for (const kind of options.overheadDays) await overhead(options, tmp, kind);
    }
  } finally {
    await cleanUp();
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(
    problems.length === 0
      ? '\nNo ERROR lines in any service’s logs, no failed summaries, every service exited 0.'
      : `\nProblems seen:\n\n\`\`\`\n${problems.join('\n')}\n\`\`\``,
  );
  process.stderr.write(`\ndone in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}

await main().catch(async (error: Error) => {
  process.stderr.write(`bench:llm: ${error.message}\n`);
  await cleanUp();
  process.exit(1);
});
