import type { RideDate } from '@etml/domain';
import { simulateRides } from '@etml/simulate';

/**
 * A simulated day as the load step writes output/date=D/rides.jsonl, without running the
 * pipeline: the simulator's injected anomalies are the anomalies, each with a summary. For tests
 * and benchmarks of what is built from that file (Parquet, report) at sizes the LLM path would
 * make slow.
 */
export function* simulatedOutputDay(options: { date: RideDate; rides: number; seed: number }) {
  for (const ride of simulateRides(options)) {
    const reason = ride.injected_anomaly;
    const anomaly = typeof reason === 'string';
    yield {
      ...ride,
      label: anomaly ? -1 : 0,
      anomaly,
      anomaly_reasons: anomaly ? [reason] : [],
      // The simulator's truth stands in for a score: anomalies at 1 and over, in a fixed order.
      anomaly_score: anomaly ? 1 + (ride.ride_dist % 1) : 0,
      summary: anomaly ? `Likely ${reason}: ${ride.traffic}` : null,
      summary_source: anomaly ? 'extractive' : null,
      likely_cause: anomaly ? 'traffic_incident' : null,
      summary_error: null,
    };
  }
}

/** The report context for a simulated output day: no clustering ran, so its figures are nominal. */
export function simulatedDayContext(date: RideDate) {
  return {
    date,
    rejected: 0,
    clusters: 1,
    dbscan: { eps: 0.3, minSamples: 8 },
    model: 'extractive-v1',
    promptVersion: 'ride-context-v1',
  };
}
