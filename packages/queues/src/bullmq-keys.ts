import type { RedisClient } from '@etml/runtime';

/**
 * Reads of BullMQ's own Redis keys, for what its API offers only one job at a time. Written
 * against this BullMQ version; bullmq-keys.test.ts builds a real parent with children in every
 * state and fails when a BullMQ release keeps them elsewhere.
 *
 * Beside a parent job's hash, `<queueQualifiedName>:<id>`, BullMQ keeps:
 * - `:dependencies`, a set of the keys of the children still pending;
 * - `:processed`, a hash from the keys of completed children to their results;
 * - `:failed`, a hash from the keys of children that failed with ignoreDependencyOnFailure to
 *   their reasons.
 * A child's key is `<its queueQualifiedName>:<its id>`.
 */
export const BULLMQ_LAYOUT_VERSION = '6.7.0';

export interface ParentRef {
  id: string;
  queueQualifiedName: string;
}

export interface ChildState {
  /** Attached to this parent already: pending, completed or failed. */
  own: boolean;
  /** A job with this key exists, whoever its parent. */
  exists: boolean;
}

/** A child job's key, as the parent's sets and hashes name it. */
export const childKey = (queueQualifiedName: string, jobId: string) =>
  `${queueQualifiedName}:${jobId}`;

/** Where each of these children stands towards `parent`, in one round trip. */
export async function childStates(
  redis: RedisClient,
  parent: ParentRef,
  childKeys: readonly string[],
): Promise<ChildState[]> {
  const parentKey = `${parent.queueQualifiedName}:${parent.id}`;
  const query = redis.pipeline();
  for (const child of childKeys) {
    query.sismember(`${parentKey}:dependencies`, child);
    query.hexists(`${parentKey}:processed`, child);
    query.hexists(`${parentKey}:failed`, child);
    query.exists(child);
  }
  const replies = ((await query.exec()) ?? []).map(([error, value]) => {
    if (error) throw error;
    return value === 1;
  });
  return childKeys.map((_, i) => ({
    own: replies[4 * i] === true || replies[4 * i + 1] === true || replies[4 * i + 2] === true,
    exists: replies[4 * i + 3] === true,
  }));
}
