/**
 * The Redis side of the job queue (BullMQ on Redis): the `--queue` URL, the
 * connection options both ends use, and the names of what they share in Redis.
 *
 * A queue URL is `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]` (port 6379 and
 * database 0 by default). It is checked before anything connects, and every
 * error quotes it (with the password hidden).
 *
 * Connections retry a lost Redis with short delays (100 ms, 200 ms, ... up to
 * 1 s apart) for `reconnectMs`, then give up: the coordinator and the worker
 * then stop with an error that names the URL, instead of waiting forever
 * (ioredis's default) or failing on the first refused connection.
 */
import type { RedisOptions } from 'bullmq';

/** The BullMQ queue that holds the runs (one study per Redis database at a time). */
export const QUEUE_NAME = 'normkit-runs';

/** Redis key holding the claim of the coordinator that owns the queue (see coordinator.ts). */
export const STUDY_KEY = 'normkit:study';

/** Environment variable overriding how long a lost Redis is retried before giving up (ms). */
export const RECONNECT_ENV = 'NORMKIT_QUEUE_RECONNECT_MS';

/** A parsed, checked queue URL. */
export interface QueueTarget {
  /** The URL as shown in messages: `redis://HOST:PORT/DB`, password replaced by `***`. */
  display: string;
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
}

const EXPECTED = 'expected redis://HOST:PORT[/DB]';

/** Parse `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`; throws an error quoting the bad value. */
export function parseQueueUrl(raw: string): QueueTarget {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new Error(`queue URL "${raw}" is not a URL; ${EXPECTED}`);
  }
  const shown = raw.replace(/:([^:@/]*)@/, ':***@');
  if (u.protocol !== 'redis:') {
    const hint = u.protocol === 'rediss:' ? ' (TLS is not supported: reach Redis over a private network or a tunnel)' : '';
    throw new Error(`queue URL "${shown}" has scheme "${u.protocol}"${hint}; ${EXPECTED}`);
  }
  // IPv6 literals come bracketed ([::1]); ioredis wants them bare.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new Error(`queue URL "${shown}" names no host; ${EXPECTED}`);
  if (u.search !== '' || u.hash !== '') throw new Error(`queue URL "${shown}" has a query or fragment ("${u.search}${u.hash}"), which normkit does not use; ${EXPECTED}`);
  const port = u.port === '' ? 6379 : Number(u.port);
  if (port === 0) throw new Error(`queue URL "${shown}" has port 0; ${EXPECTED}`);
  const path = u.pathname;
  let db = 0;
  if (path !== '' && path !== '/') {
    if (!/^\/\d{1,9}$/.test(path)) throw new Error(`queue URL "${shown}": the database must be a number, got "${path.slice(1)}"; ${EXPECTED}`);
    db = Number(path.slice(1));
  }
  const username = u.username === '' ? undefined : decodeURIComponent(u.username);
  const password = u.password === '' ? undefined : decodeURIComponent(u.password);
  const auth = password !== undefined ? `${username ?? ''}:***@` : username !== undefined ? `${username}@` : '';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return { display: `redis://${auth}${hostPart}:${port}/${db}`, host, port, db, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

/**
 * How long to keep retrying a lost Redis (ms): `NORMKIT_QUEUE_RECONNECT_MS`
 * when set (a non-negative integer, else an error quoting it), else `fallback`.
 */
export function reconnectMs(fallback: number): number {
  const v = process.env[RECONNECT_ENV];
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v.trim())) throw new Error(`${RECONNECT_ENV} must be a number of milliseconds, got "${v}"`);
  return Number(v);
}

/** Total wait before attempt `times` under the retry schedule 100 ms, 200 ms, ... capped at 1 s. */
function waitedBefore(times: number): number {
  let sum = 0;
  for (let k = 1; k <= times; k++) sum += Math.min(100 * k, 1000);
  return sum;
}

/**
 * BullMQ connection options for `t`: retries a lost connection for
 * `retryMs`, then gives up (the client ends, pending commands fail) after
 * calling `onGiveUp`. Every client BullMQ opens from these options (a queue
 * has one, a worker two) applies the rule on its own.
 */
export function connectionOptions(t: QueueTarget, retryMs: number, onGiveUp: () => void = () => {}): RedisOptions {
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    ...(t.username !== undefined ? { username: t.username } : {}),
    ...(t.password !== undefined ? { password: t.password } : {}),
    // A host that drops packets would otherwise hold each attempt for ioredis's 10 s default.
    connectTimeout: Math.min(10_000, Math.max(1000, retryMs)),
    retryStrategy: (times: number) => {
      if (waitedBefore(times) > retryMs) {
        onGiveUp();
        return null;
      }
      return Math.min(100 * times, 1000);
    },
  };
}

/** The error both ends raise when Redis cannot be reached (at start) or is lost for good (later). */
export class QueueUnreachableError extends Error {
  constructor(
    readonly target: QueueTarget,
    readonly phase: 'connect' | 'lost',
    retryMs: number,
    cause: string | undefined,
  ) {
    const why = cause ? ` (last error: ${cause})` : '';
    super(
      phase === 'connect'
        ? `cannot reach Redis at ${target.display}${why}; tried for ${(retryMs / 1000).toFixed(1)} s. Is redis-server running there (docs/SCALE.md)?`
        : `lost the connection to Redis at ${target.display}${why} and could not reconnect within ${(retryMs / 1000).toFixed(1)} s`,
    );
    this.name = 'QueueUnreachableError';
  }
}
