// Runs s3rver as its own process: node s3-server-main.ts <port> <directory> [bucket...]
// A separate process keeps the S3 server's work off the event loop of the code under test and
// lets the embedded server outlive the command that started it.
import S3rver from 's3rver';

const [portText, directory, ...buckets] = process.argv.slice(2);
if (!portText || !directory) {
  process.stderr.write('usage: s3-server-main.ts <port> <directory> [bucket...]\n');
  process.exit(2);
}
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(portText),
  directory,
  silent: true,
  configureBuckets: buckets.map(name => ({ name })),
});
await server.run();
process.stdout.write(`s3rver listening on 127.0.0.1:${portText}, data in ${directory}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close().finally(() => process.exit(0));
  });
}
