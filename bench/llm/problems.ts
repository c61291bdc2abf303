/** What went wrong in `pnpm bench:llm`, for the summary at its end. */
import { type Infra, logLevel, logLines, type Proc } from '../services.ts';

/** Every ERROR line the services wrote, with its process. */
function errorLines(procs: readonly Proc[]): string[] {
  return procs.flatMap(p =>
    logLines(p)
      .filter(line => logLevel(line) === 'error')
      .map(line => `[${p.label}] ${line}`),
  );
}

export const problems: string[] = [];

export function reportErrors(part: string, infra: Infra): void {
  const lines = errorLines(infra.procs);
  if (lines.length > 0) {
    problems.push(`${part}: ${lines.length} ERROR lines in worker stderr`, ...lines.slice(0, 20));
    process.stderr.write(
      `${part}: ${lines.length} ERROR lines:\n${lines.slice(0, 20).join('\n')}\n`,
    );
  }
}
