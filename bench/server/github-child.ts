/**
 * The stand-in GitHub of `npm run bench:server`: the REST and GraphQL endpoints one pull request review
 * touches, over HTTP on 127.0.0.1 (GitHub Enterprise paths, `/api/v3`), with no rate limits. Every pull
 * request is open in a repository holding fixtures/example-service and adds three of its TypeScript
 * files (which three depends on its number), so each review is a real analysis of real-shaped code.
 * Pull requests numbered from {@link CLOSED_FROM} are closed: their reviews stop at the first call.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLOSED_FROM, send, type ParentMessage } from './protocol.js';

const FILES_PER_PULL = 3;
const CHECK_RUN_ID = 4242;

const ROOT = fileURLToPath(new URL('../../fixtures/example-service/', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function blobSha(content: string): string {
  return createHash('sha1')
    .update(`blob ${Buffer.byteLength(content)}\0${content}`)
    .digest('hex');
}

const files = new Map(filesUnder(ROOT).map((path) => [relative(ROOT, path), readFileSync(path, 'utf8')]));
const blobs = new Map([...files.values()].map((content) => [blobSha(content), content]));
const tree = [...files].map(([path, content]) => ({
  path,
  type: 'blob',
  mode: '100644',
  sha: blobSha(content),
  size: Buffer.byteLength(content),
}));
const sources = [...files.keys()].filter((path) => path.endsWith('.ts')).sort();

function changedFiles(pull: number): Record<string, unknown>[] {
  return Array.from({ length: FILES_PER_PULL }, (_, index) => {
    const filename = sources[(pull * FILES_PER_PULL + index) % sources.length]!;
    const lines = files.get(filename)!.replace(/\n$/, '').split('\n');
    const patch = [`@@ -0,0 +1,${lines.length} @@`, ...lines.map((line) => `+${line}`)].join('\n');
    return { filename, status: 'added', additions: lines.length, deletions: 0, changes: lines.length, patch };
  });
}

let posted = 0;

type Reply = [number, unknown];

function route(method: string, path: string): Reply {
  let match: RegExpExecArray | null;
  if (method === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(path))
    return [201, { token: 'ghs_bench', expires_at: new Date(Date.now() + 3_600_000).toISOString() }];
  if (method === 'GET' && path === '/app') return [200, { id: 1, slug: 'jitterbot', name: 'jitterbot' }];
  if ((match = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)$/.exec(path)) && method === 'GET') {
    const pull = Number(match[1]);
    return [
      200,
      {
        number: pull,
        state: pull >= CLOSED_FROM ? 'closed' : 'open',
        draft: false,
        head: { sha: 'a'.repeat(40), ref: 'changes' },
        base: { sha: 'b'.repeat(40), ref: 'main' },
        changed_files: FILES_PER_PULL,
      },
    ];
  }
  if ((match = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)\/files$/.exec(path)))
    return [200, changedFiles(Number(match[1]))];
  if (/^\/repos\/[^/]+\/[^/]+\/pulls\/\d+\/comments$/.test(path)) return [200, []];
  if (/^\/repos\/[^/]+\/[^/]+\/git\/trees\/\w+$/.test(path)) return [200, { truncated: false, tree }];
  if ((match = /^\/repos\/[^/]+\/[^/]+\/git\/blobs\/(\w+)$/.exec(path))) {
    const content = blobs.get(match[1]!);
    return content === undefined
      ? [404, { message: 'Not Found' }]
      : [200, { sha: match[1], encoding: 'base64', content: Buffer.from(content).toString('base64') }];
  }
  if (/^\/repos\/[^/]+\/[^/]+\/check-runs(\/\d+)?$/.test(path)) return [200, { id: CHECK_RUN_ID }];
  if (method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/pulls\/\d+\/reviews$/.test(path)) {
    posted += 1;
    return [200, { id: posted }];
  }
  if (path === '/graphql')
    return [
      200,
      {
        data: {
          repository: {
            pullRequest: { reviewThreads: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] } },
          },
        },
      },
    ];
  // The repository configuration, and anything else: absent.
  return [404, { message: 'Not Found' }];
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  // Bodies are not needed, only drained.
  req.resume();
  req.once('end', () => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/^\/api\/v3/, '').replace(/^\/api\/graphql$/, '/graphql');
    const [status, body] = route(req.method ?? 'GET', path);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  send({ kind: 'ready', url: `127.0.0.1:${(server.address() as AddressInfo).port}` });
});

process.on('message', (message: ParentMessage) => {
  if (message.kind === 'stats')
    send({ kind: 'stats', depth: 0, active: 0, peakRssMb: 0, maxLoopDelayMs: 0, posted });
  if (message.kind === 'stop') server.close(() => process.exit(0));
});
