/**
 * One cold run of the clustering core in a fresh process, for bench/cluster.ts:
 *   node bench/core-child.ts COLUMNS_FILE EPS MIN_SAMPLES [default|explicit]
 * Loads the columns, then times what clusterRides does, stage by stage, each for the first time
 * in this process: standardize, the fast DBSCAN engine, and the anomaly decision. Prints one
 * JSON line with the times (seconds) and memory (bytes).
 */
import { dbscan, explainAnomalies, standardize, standardizeWinsorized } from '@etml/clustering';
import { readColumns } from './lib.ts';

const [file, epsText, minSamplesText, scaling] = process.argv.slice(2);
if (file === undefined || epsText === undefined || minSamplesText === undefined) {
  process.stderr.write('usage: node bench/core-child.ts COLUMNS_FILE EPS MIN_SAMPLES\n');
  process.exit(2);
}
const { distance, time } = readColumns(file);
const params = { eps: Number(epsText), minSamples: Number(minSamplesText) };

const rssBefore = process.memoryUsage.rss();
const t0 = performance.now();
// The volume-aware default scales with clipped tails, as clusterRides does; explicit parameters
// use plain StandardScaler.
const scaled =
  scaling === 'default' ? standardizeWinsorized(distance, time) : standardize(distance, time);
const t1 = performance.now();
const { labels } = dbscan(scaled.x, scaled.y, params, 'fast');
const t2 = performance.now();
const peakAfterDbscan = process.resourceUsage().maxRSS * 1024;
explainAnomalies(distance, time);
void labels;
const t3 = performance.now();
const peakEnd = process.resourceUsage().maxRSS * 1024;

process.stdout.write(
  `${JSON.stringify({
    standardize: (t1 - t0) / 1000,
    dbscan: (t2 - t1) / 1000,
    explain: (t3 - t2) / 1000,
    core: (t3 - t0) / 1000,
    rssBefore,
    peakAfterDbscan,
    peakEnd,
  })}\n`,
);
