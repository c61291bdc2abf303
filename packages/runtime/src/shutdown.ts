import type { Logger } from '@etml/domain';

/**
 * Runs `close` once on SIGTERM or SIGINT, then exits. A second signal, or `close` running past
 * `graceMs`, exits at once: jobs still running then fall back to BullMQ's stalled-job recovery.
 */
export function onShutdown(close: () => Promise<void>, log: Logger, graceMs = 25_000): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) process.exit(130);
    closing = true;
    log.info(`${signal}: closing (up to ${graceMs / 1000}s)`);
    const timer = setTimeout(() => process.exit(1), graceMs);
    timer.unref();
    close().then(
      () => process.exit(0),
      error => {
        log.error('shutdown failed', { error: (error as Error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
