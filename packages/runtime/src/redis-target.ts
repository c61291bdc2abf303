import { ConfigError, DEFAULT_REDIS_PREFIX, DependencyError, redisKeys } from '@etml/domain';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/**
 * Where the queue Redis is, as one string every service and the CLI pass around (the `redisUrl`
 * of their options): a `redis://` or `rediss://` URL, `redis-sentinel://h:p,h:p/<master name>`,
 * or `redis-cluster://h:p,h:p`, then `#<key prefix>` when REDIS_PREFIX is set (a `#` in a URL
 * starts its fragment, so it cannot be part of a password). Sentinel and Cluster targets carry
 * the data nodes' credentials as URL userinfo (`redis-cluster://user:pass@h:p,…`) and the
 * sentinels' password as `?sentinel-password=…`, all percent-encoded, so that no `#`, `@` or
 * `,` in a password can be mistaken for the target's own punctuation. It is made from the
 * environment in one place (`redisTargetFrom`, `withKeyPrefix`) and turned into a client in one
 * place (`createRedisClient`), which remembers the prefix for `keyPrefixOf`.
 */
export type RedisTarget = string;

/** A client for any kind of target: a Cluster is not a Redis, but speaks the same commands. */
export type RedisClient = Redis | Cluster;

interface HostPort {
  host: string;
  port: number;
}

/** The data nodes' AUTH (REDIS_USERNAME, REDIS_PASSWORD); both unset without a password. */
interface Credentials {
  username?: string;
  password?: string;
}

type ParsedTarget =
  | { kind: 'url'; url: string }
  | {
      kind: 'sentinel';
      sentinels: HostPort[];
      name: string;
      auth: Credentials;
      sentinelPassword?: string;
    }
  | { kind: 'cluster'; nodes: HostPort[]; auth: Credentials };

const SENTINEL = 'redis-sentinel://';
const CLUSTER = 'redis-cluster://';
const SENTINEL_PASSWORD = '?sentinel-password=';

function userinfo({ username, password }: Credentials): string {
  if (password === undefined) return '';
  return `${encodeURIComponent(username ?? '')}:${encodeURIComponent(password)}@`;
}

/** The credentials before `@` in `rest`, and what follows them. */
function splitUserinfo(rest: string): [Credentials, string] {
  const at = rest.indexOf('@');
  if (at < 0) return [{}, rest];
  const info = rest.slice(0, at);
  const colon = info.indexOf(':');
  const username = decodeURIComponent(info.slice(0, colon));
  return [
    { ...(username ? { username } : {}), password: decodeURIComponent(info.slice(colon + 1)) },
    rest.slice(at + 1),
  ];
}

function hostPorts(list: string): HostPort[] {
  return list.split(',').map(item => {
    const at = item.trim().lastIndexOf(':');
    return { host: item.trim().slice(0, at), port: Number(item.trim().slice(at + 1)) };
  });
}

function joined(list: readonly HostPort[]): string {
  return list.map(({ host, port }) => `${host}:${port}`).join(',');
}

/**
 * The target the environment names. REDIS_SENTINELS and REDIS_CLUSTER_NODES each win over
 * REDIS_URL; each list is already checked to be host:port pairs. Undefined: the embedded server.
 */
export function redisTargetFrom(env: {
  REDIS_URL?: string;
  REDIS_SENTINELS?: string;
  REDIS_SENTINEL_NAME?: string;
  REDIS_CLUSTER_NODES?: string;
  REDIS_USERNAME?: string;
  REDIS_PASSWORD?: string;
  REDIS_SENTINEL_PASSWORD?: string;
}): RedisTarget | undefined {
  const { REDIS_SENTINELS: sentinels, REDIS_SENTINEL_NAME: name } = env;
  const nodes = env.REDIS_CLUSTER_NODES;
  checkCredentials(env);
  if (sentinels && nodes) {
    throw new ConfigError([
      `REDIS_SENTINELS and REDIS_CLUSTER_NODES are both set (${JSON.stringify(sentinels)} and ${JSON.stringify(nodes)}): set one of them`,
    ]);
  }
  if (sentinels && !name) {
    throw new ConfigError([
      `REDIS_SENTINEL_NAME is required with REDIS_SENTINELS=${JSON.stringify(sentinels)}: the master name the sentinels monitor`,
    ]);
  }
  if (name && !sentinels) {
    throw new ConfigError([
      `REDIS_SENTINEL_NAME=${JSON.stringify(name)} needs REDIS_SENTINELS, the sentinels' host:port list`,
    ]);
  }
  const auth = userinfo({ username: env.REDIS_USERNAME, password: env.REDIS_PASSWORD });
  if (sentinels) {
    const sentinelPassword = env.REDIS_SENTINEL_PASSWORD;
    const query =
      sentinelPassword === undefined
        ? ''
        : `${SENTINEL_PASSWORD}${encodeURIComponent(sentinelPassword)}`;
    return `${SENTINEL}${auth}${joined(hostPorts(sentinels))}/${name}${query}`;
  }
  if (nodes) return `${CLUSTER}${auth}${joined(hostPorts(nodes))}`;
  return env.REDIS_URL;
}

/** The password variables name no value in their errors: a password is never printed. */
function checkCredentials(env: {
  REDIS_SENTINELS?: string;
  REDIS_CLUSTER_NODES?: string;
  REDIS_USERNAME?: string;
  REDIS_PASSWORD?: string;
  REDIS_SENTINEL_PASSWORD?: string;
}): void {
  const sentinelOrCluster = Boolean(env.REDIS_SENTINELS || env.REDIS_CLUSTER_NODES);
  if (env.REDIS_PASSWORD !== undefined && !sentinelOrCluster) {
    throw new ConfigError([
      'REDIS_PASSWORD is set without REDIS_SENTINELS or REDIS_CLUSTER_NODES: for one server, put the password in REDIS_URL (redis://user:password@host:6379)',
    ]);
  }
  if (env.REDIS_USERNAME !== undefined && env.REDIS_PASSWORD === undefined) {
    throw new ConfigError([
      `REDIS_USERNAME=${JSON.stringify(env.REDIS_USERNAME)} needs REDIS_PASSWORD, the ACL user's password`,
    ]);
  }
  if (env.REDIS_SENTINEL_PASSWORD !== undefined && !env.REDIS_SENTINELS) {
    throw new ConfigError([
      "REDIS_SENTINEL_PASSWORD is set without REDIS_SENTINELS: it is the sentinels' own password",
    ]);
  }
}

/** `target` with its keys under `prefix` (unset: DEFAULT_REDIS_PREFIX). */
export function withKeyPrefix(target: RedisTarget, prefix: string | undefined): RedisTarget {
  return prefix === undefined ? target : `${target}#${prefix}`;
}

function splitPrefix(target: RedisTarget): [RedisTarget, string] {
  const hash = target.indexOf('#');
  return hash < 0
    ? [target, DEFAULT_REDIS_PREFIX]
    : [target.slice(0, hash), target.slice(hash + 1)];
}

const prefixes = new WeakMap<RedisClient, string>();

/**
 * The key prefix of the target `client` was made for by createRedisClient; DEFAULT_REDIS_PREFIX
 * for any other client. BullMQ's `prefix` option and the pipeline's own keys both use it.
 */
export function keyPrefixOf(client: RedisClient): string {
  return prefixes.get(client) ?? DEFAULT_REDIS_PREFIX;
}

/** The pipeline's own keys (metrics, locks, limiter, marks) on `client`'s target. */
export function ownKeys(client: RedisClient) {
  return redisKeys(keyPrefixOf(client));
}

function parse(withPrefix: RedisTarget): ParsedTarget {
  const [target] = splitPrefix(withPrefix);
  if (target.startsWith(SENTINEL)) {
    const [auth, rest] = splitUserinfo(target.slice(SENTINEL.length));
    const slash = rest.indexOf('/');
    const query = rest.indexOf(SENTINEL_PASSWORD);
    const name = query < 0 ? rest.slice(slash + 1) : rest.slice(slash + 1, query);
    return {
      kind: 'sentinel',
      sentinels: hostPorts(rest.slice(0, slash)),
      name,
      auth,
      ...(query < 0
        ? {}
        : {
            sentinelPassword: decodeURIComponent(rest.slice(query + SENTINEL_PASSWORD.length)),
          }),
    };
  }
  if (target.startsWith(CLUSTER)) {
    const [auth, rest] = splitUserinfo(target.slice(CLUSTER.length));
    return { kind: 'cluster', nodes: hostPorts(rest), auth };
  }
  return { kind: 'url', url: target };
}

/** A URL fit to print: any user name and password are masked. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = parsed.username ? '***' : '';
      parsed.password = parsed.password ? '***' : '';
    }
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable URL)';
  }
}

/** ` as user "u"` or ` with a password`: whether AUTH is used, never the password. */
function authNote({ username, password }: Credentials): string {
  if (password === undefined) return '';
  return username ? ` as user ${JSON.stringify(username)}` : ' with a password';
}

/** The target for people, with no password in it. */
export function describeRedisTarget(target: RedisTarget): string {
  const parsed = parse(target);
  const [, prefix] = splitPrefix(target);
  const keys = prefix === DEFAULT_REDIS_PREFIX ? '' : ` (keys under ${prefix})`;
  if (parsed.kind === 'sentinel') {
    const sentinelAuth =
      parsed.sentinelPassword === undefined ? '' : ' (sentinels with a password)';
    return `Redis Sentinel master "${parsed.name}"${authNote(parsed.auth)} via ${joined(parsed.sentinels)}${sentinelAuth}${keys}`;
  }
  if (parsed.kind === 'cluster') {
    return `Redis Cluster${authNote(parsed.auth)} via ${joined(parsed.nodes)}${keys}`;
  }
  return `${redactUrl(parsed.url)}${keys}`;
}

/**
 * The client for `target`, with `options` for each connection to a Redis server. With Sentinel,
 * ioredis asks the sentinels for the master on every (re)connect, so a failover is followed; a
 * Cluster client follows its slots the same way. A `retryStrategy` (a producer's, that gives up)
 * also bounds how often the sentinels, or the cluster as a whole, are tried.
 */
export function createRedisClient(
  target: RedisTarget,
  options: RedisOptions & { enableOfflineQueue?: boolean } = {},
): RedisClient {
  const client = newClient(parse(target), options);
  prefixes.set(client, splitPrefix(target)[1]);
  return client;
}

function newClient(
  parsed: ParsedTarget,
  options: RedisOptions & { enableOfflineQueue?: boolean },
): RedisClient {
  if (parsed.kind === 'url') return new Redis(parsed.url, options);
  if (parsed.kind === 'sentinel') {
    return new Redis({
      ...options,
      ...parsed.auth,
      sentinels: parsed.sentinels,
      name: parsed.name,
      ...(parsed.sentinelPassword === undefined
        ? {}
        : { sentinelPassword: parsed.sentinelPassword }),
      ...(options.retryStrategy ? { sentinelRetryStrategy: options.retryStrategy } : {}),
    });
  }
  const { retryStrategy, enableOfflineQueue, lazyConnect, ...redisOptions } = options;
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...redisOptions, ...parsed.auth },
    lazyConnect,
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
  };
  return new Cluster(parsed.nodes, clusterOptions);
}

/** A connection made by `connect()`, for one question: it never retries or queues. */
export const ONE_ATTEMPT = {
  lazyConnect: true,
  maxRetriesPerRequest: 0,
  enableOfflineQueue: false,
  connectTimeout: 5_000,
  retryStrategy: () => null,
} as const satisfies RedisOptions;

/** One RESP command to one server. */
async function ask(
  address: HostPort,
  password: string | undefined,
  command: string[],
): Promise<unknown> {
  const client = new Redis({ ...address, ...ONE_ATTEMPT, ...(password ? { password } : {}) });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(command[0] as string, ...command.slice(1));
  } finally {
    client.disconnect();
  }
}

/**
 * Checks that the sentinels know the master name, since ioredis would retry an unknown name
 * forever. A sentinel that answers "no such master" is a configuration error; sentinels that do
 * not answer are a DependencyError, worth retrying. Other kinds of target pass as they are.
 */
export async function checkRedisTarget(target: RedisTarget): Promise<void> {
  const parsed = parse(target);
  if (parsed.kind !== 'sentinel') return;
  let lastError: Error | undefined;
  for (const sentinel of parsed.sentinels) {
    try {
      const master = await ask(sentinel, parsed.sentinelPassword, [
        'SENTINEL',
        'get-master-addr-by-name',
        parsed.name,
      ]);
      if (master) return;
      throw new ConfigError([
        `REDIS_SENTINEL_NAME=${JSON.stringify(parsed.name)} is not a master the sentinel at ${sentinel.host}:${sentinel.port} monitors`,
      ]);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      lastError = error as Error;
    }
  }
  throw new DependencyError(
    `no sentinel answered at ${joined(parsed.sentinels)}: ${lastError?.message ?? 'unknown error'}`,
  );
}
