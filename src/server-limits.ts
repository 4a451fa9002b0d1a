import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http';
import { positiveInt } from './queue/create.js';

/**
 * What one client may hold of the web server. Node's defaults let a client that sends its body a byte
 * at a time keep a connection for 300 s, and any number of them; webhook senders send a whole request
 * in well under a second.
 */
export interface ServerLimits {
  /** Time to receive a request's headers (`HTTP_HEADERS_TIMEOUT_MS`). */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included (`HTTP_REQUEST_TIMEOUT_MS`); answered 408. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open (`HTTP_KEEP_ALIVE_TIMEOUT_MS`). */
  keepAliveTimeoutMs: number;
  /** Open connections at once; more are closed as they arrive (`HTTP_MAX_CONNECTIONS`). */
  maxConnections: number;
  /** Requests in flight from one address; more are answered 429 (`HTTP_MAX_IN_FLIGHT_PER_SOURCE`). */
  maxInFlightPerSource: number;
  /** How often the timeouts above are checked (Node checks every 30 s by default). */
  timeoutCheckIntervalMs: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1_000,
  maxInFlightPerSource: 128,
  timeoutCheckIntervalMs: 1_000,
};

/** The limits from the environment; throws with a readable message on a bad value. */
export function serverLimitsFromEnv(env: Record<string, string | undefined>): ServerLimits {
  const d = DEFAULT_SERVER_LIMITS;
  const limits: ServerLimits = {
    headersTimeoutMs: positiveInt(env, 'HTTP_HEADERS_TIMEOUT_MS', d.headersTimeoutMs),
    requestTimeoutMs: positiveInt(env, 'HTTP_REQUEST_TIMEOUT_MS', d.requestTimeoutMs),
    keepAliveTimeoutMs: positiveInt(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', d.keepAliveTimeoutMs),
    maxConnections: positiveInt(env, 'HTTP_MAX_CONNECTIONS', d.maxConnections),
    maxInFlightPerSource: positiveInt(env, 'HTTP_MAX_IN_FLIGHT_PER_SOURCE', d.maxInFlightPerSource),
    timeoutCheckIntervalMs: d.timeoutCheckIntervalMs,
  };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    throw new Error('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  return limits;
}

/** The limits Node's HTTP server enforces itself, as `createServer` options. */
export function httpServerOptions(limits: ServerLimits): ServerOptions {
  return {
    headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
  };
}

/**
 * Counts requests in flight per remote address; `admit` answers 429 (and closes the connection) when
 * the address is at its cap, otherwise counts the request until its response is done.
 */
export function inFlightPerSource(max: number): (req: IncomingMessage, res: ServerResponse) => boolean {
  const inFlight = new Map<string, number>();
  return (req, res) => {
    const source = req.socket.remoteAddress ?? 'unknown';
    const count = inFlight.get(source) ?? 0;
    if (count >= max) {
      res
        .writeHead(429, { 'content-type': 'text/plain', 'retry-after': '1', connection: 'close' })
        .end('Too many requests in flight from this address\n');
      return false;
    }
    inFlight.set(source, count + 1);
    res.once('close', () => {
      const left = (inFlight.get(source) ?? 1) - 1;
      if (left > 0) inFlight.set(source, left);
      else inFlight.delete(source);
    });
    return true;
  };
}
