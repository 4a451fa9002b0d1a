/**
 * The web server's own limits, on a real socket: a client that sends its body slowly is cut off at the
 * request timeout (Node's default would hold the connection for 300 s), one address cannot hold more
 * requests in flight than its cap, and the limits come from the environment.
 */
import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_LIMITS, serverLimitsFromEnv, type ServerLimits } from '../src/server-limits.js';
import { createServer, type Route } from '../src/server.js';

const silent = { info() {}, warn() {}, error() {} };
let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function listen(limits: Partial<ServerLimits>, extraRoutes: Route[] = []): Promise<number> {
  server = await createServer({
    log: silent,
    extraRoutes,
    limits: { ...DEFAULT_SERVER_LIMITS, ...limits },
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A raw connection that sends the headers of a 1 KB POST and then only `sent` bytes of its body. */
function slowPost(port: number, path: string, sent = 'x'): Promise<{ socket: Socket; received: string[] }> {
  return new Promise((resolve, reject) => {
    const received: string[] = [];
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1024\r\n\r\n${sent}`,
      );
      resolve({ socket, received });
    });
    socket.on('data', (data) => received.push(data.toString()));
    socket.once('error', reject);
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

describe('server limits', () => {
  it('closes a connection whose body is still arriving at the request timeout', async () => {
    const reading: Route = {
      method: 'POST',
      path: '/webhook',
      handler: async (req, res) => {
        for await (const _chunk of req);
        res.writeHead(202).end();
      },
    };
    const port = await listen({ headersTimeoutMs: 200, requestTimeoutMs: 300, timeoutCheckIntervalMs: 50 }, [
      reading,
    ]);
    const { socket, received } = await slowPost(port, '/webhook');
    const started = Date.now();
    await closed(socket);
    const elapsed = Date.now() - started;
    expect(received.join('')).toMatch(/^HTTP\/1\.1 408 /);
    // Closed by the configured timeout (plus the check interval), not Node's 300 s default.
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(5_000);
  });

  it('answers 429 to an address already holding its cap of requests in flight', async () => {
    const held: (() => void)[] = [];
    const route: Route = {
      method: 'POST',
      path: '/slow',
      handler: (_req, res) =>
        new Promise<void>((resolve) =>
          held.push(() => {
            res.writeHead(202).end();
            resolve();
          }),
        ),
    };
    const port = await listen({ maxInFlightPerSource: 2 }, [route]);
    const post = () => fetch(`http://127.0.0.1:${port}/slow`, { method: 'POST', body: '{}' });
    const first = post();
    const second = post();
    while (held.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    const third = await post();
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('1');
    for (const release of held) release();
    expect((await first).status).toBe(202);
    expect((await second).status).toBe(202);
    // Once they are answered, the address may send again.
    const again = post();
    while (held.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    held[2]!();
    expect((await again).status).toBe(202);
  });

  it('sets the connection cap and timeouts on the server', async () => {
    await listen({ maxConnections: 7, keepAliveTimeoutMs: 1_234 });
    expect(server!.maxConnections).toBe(7);
    expect(server!.keepAliveTimeout).toBe(1_234);
    expect(server!.requestTimeout).toBe(DEFAULT_SERVER_LIMITS.requestTimeoutMs);
    expect(server!.headersTimeout).toBe(DEFAULT_SERVER_LIMITS.headersTimeoutMs);
  });

  it('reads the limits from the environment, with documented defaults', () => {
    expect(serverLimitsFromEnv({})).toEqual(DEFAULT_SERVER_LIMITS);
    expect(
      serverLimitsFromEnv({
        HTTP_HEADERS_TIMEOUT_MS: '5000',
        HTTP_REQUEST_TIMEOUT_MS: '20000',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
        HTTP_MAX_CONNECTIONS: '50',
        HTTP_MAX_IN_FLIGHT_PER_SOURCE: '10',
      }),
    ).toMatchObject({
      headersTimeoutMs: 5_000,
      requestTimeoutMs: 20_000,
      keepAliveTimeoutMs: 1_000,
      maxConnections: 50,
      maxInFlightPerSource: 10,
    });
    expect(() => serverLimitsFromEnv({ HTTP_MAX_CONNECTIONS: '0' })).toThrow(/HTTP_MAX_CONNECTIONS/);
    expect(() =>
      serverLimitsFromEnv({ HTTP_HEADERS_TIMEOUT_MS: '60000', HTTP_REQUEST_TIMEOUT_MS: '30000' }),
    ).toThrow(/must not exceed/);
  });
});
