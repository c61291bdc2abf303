/**
 * The baseline side of `pnpm bench:llm` part 2: a BullMQ worker with a no-op processor, nothing
 * else. Says "raw-worker ready" on standard error once it is connected; SIGTERM stops it.
 *
 *   node bench/raw-worker.ts <redis-url> <queue> <concurrency>
 */
import { queueOptions, workerConnection } from '@etml/queues';
import { Worker } from 'bullmq';

const [url, queue, concurrency] = process.argv.slice(2);
if (!url || !queue || !(Number(concurrency) >= 1)) {
  process.stderr.write('usage: node bench/raw-worker.ts <redis-url> <queue> <concurrency>\n');
  process.exit(2);
}

const connection = workerConnection(url);
const worker = new Worker(queue, async () => {}, {
  ...queueOptions(connection),
  concurrency: Number(concurrency),
});
worker.on('error', error => process.stderr.write(`ERROR raw-worker ${error.message}\n`));
worker.on('failed', (job, error) =>
  process.stderr.write(`ERROR raw-worker job ${job?.id} failed: ${error.message}\n`),
);
await worker.waitUntilReady();
process.stderr.write(`raw-worker ready (pid ${process.pid})\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await worker.close();
  connection.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
