/**
 * Runs `close` once on SIGTERM or SIGINT, then exits. A second signal, or `close` running past
 * `graceMs`, exits at once: jobs still running then fall back to BullMQ's stalled-job recovery.
 */
export function onShutdown(close: () => Promise<void>, graceMs = 25_000): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) process.exit(130);
    closing = true;
    process.stderr.write(`${signal}: closing (up to ${graceMs / 1000}s)\n`);
    const timer = setTimeout(() => process.exit(1), graceMs);
    timer.unref();
    close().then(
      () => process.exit(0),
      error => {
        process.stderr.write(`shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
