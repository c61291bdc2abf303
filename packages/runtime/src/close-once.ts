/**
 * Makes `close` safe to call twice or concurrently, as BullMQ's Worker.close is: the first call
 * starts the one closing, and every later call gets that same promise, so a signal handler, a
 * test's cleanup and a caller can all await it without closing anything twice. Arguments of
 * later calls are ignored.
 */
export function closeOnce<A extends unknown[]>(
  close: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  let closing: Promise<void> | undefined;
  return (...args) => {
    closing ??= close(...args);
    return closing;
  };
}
