export { createS3Client, type S3Settings } from './client.ts';
export {
  type NdjsonWriteResult,
  type ObjectInfo,
  ObjectStore,
  type WriteResult,
} from './object-store.ts';

import { createS3Client, type S3Settings } from './client.ts';
import { ObjectStore } from './object-store.ts';

export function createObjectStore(settings: S3Settings): ObjectStore {
  return new ObjectStore(createS3Client(settings), settings.bucket, settings.prefix);
}
