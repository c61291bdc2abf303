/**
 * Spans without a tracing dependency: storage, summarization and queues wrap their I/O in
 * `withSpan`, which runs the function as it is until a service that traces (OTEL_EXPORTER_OTLP_ENDPOINT)
 * installs a runner. So these packages never load OpenTelemetry, and cost nothing when it is off.
 */

/** Undefined values are left out. Never a secret: attributes leave the process. */
export type SpanAttributes = Record<string, string | number | boolean | undefined>;

export interface SpanHandle {
  /** Adds attributes known only once the work is done (an outcome, a size). */
  set(attributes: SpanAttributes): void;
}

export interface SpanRunner {
  /**
   * Runs `fn` in a span. Not `root`: a child of the active span, or no span at all when none is
   * active (so periodic checks outside a job make no one-span traces). `root`: a new trace.
   */
  run<T>(
    name: string,
    attributes: SpanAttributes,
    fn: (span: SpanHandle) => Promise<T>,
    root: boolean,
  ): Promise<T>;
  /** Adds attributes to the active span, if any. */
  annotate(attributes: SpanAttributes): void;
}

const NO_SPAN: SpanHandle = { set() {} };
let runner: SpanRunner | undefined;

/** Set by the runtime once tracing starts; undefined again when it stops. */
export function installSpanRunner(next: SpanRunner | undefined): void {
  runner = next;
}

/** `fn` in a span, child of the active one (see SpanRunner.run). */
export function withSpan<T>(
  name: string,
  attributes: SpanAttributes,
  fn: (span: SpanHandle) => Promise<T>,
): Promise<T> {
  return runner ? runner.run(name, attributes, fn, false) : fn(NO_SPAN);
}

/** `fn` in the first span of a new trace, whatever span is active. */
export function withNewTrace<T>(
  name: string,
  attributes: SpanAttributes,
  fn: (span: SpanHandle) => Promise<T>,
): Promise<T> {
  return runner ? runner.run(name, attributes, fn, true) : fn(NO_SPAN);
}

/** Adds attributes to the active span (a job's, say), if tracing is on and one is active. */
export function annotateSpan(attributes: SpanAttributes): void {
  runner?.annotate(attributes);
}
