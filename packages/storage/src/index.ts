export { createS3Client, type S3Settings } from './client.ts';
export {
  type NdjsonWriteResult,
  ndjsonChunks,
  type ObjectInfo,
  ObjectStore,
  type ReadHandle,
  type WriteResult,
} from './object-store.ts';
export { findRawInputs, type RawInput, rawInputPattern } from './raw-input.ts';

import { createS3Client, type S3Settings } from './client.ts';
import { ObjectStore } from './object-store.ts';

/** The endpoint as failure reasons name it: its origin, never credentials written into it. */
function endpointName(endpoint: string): string {
  try {
    return new URL(endpoint).origin;
  } catch {
    return endpoint;
  }
}

export function createObjectStore(settings: S3Settings): ObjectStore {
  const where = settings.endpoint
    ? endpointName(settings.endpoint)
    : `AWS S3${settings.region ? ` (${settings.region})` : ''}`;
  return new ObjectStore(createS3Client(settings), settings.bucket, settings.prefix, where);
}
