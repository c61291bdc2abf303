export { type ClusterWorkerEnv, loadEnv } from './env.ts';
export { start } from './main.ts';
export { type ClusterProcessorDeps, clusterProcessor } from './processor.ts';
export { type ClusterWorkerOptions, createClusterWorker } from './worker.ts';
