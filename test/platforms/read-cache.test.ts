import type { Redis } from 'ioredis';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiCallLog, apiCallKind, renderApiCalls, withApiCallLog } from '../../src/platforms/api-calls.js';
import { createGitHubReader } from '../../src/platforms/github/reader.js';
import { createGitlabClient } from '../../src/platforms/gitlab/client.js';
import { GitlabRepoAccess, MAX_DIRECTORY_LISTINGS } from '../../src/platforms/gitlab/repo-access.js';
import { BoundedRepoReader } from '../../src/platforms/bounded-reader.js';
import {
  NO_READ_CACHE,
  createReadCache,
  gitBlobId,
  type CacheLayer,
  type CacheLookup,
  type ReadCache,
} from '../../src/platforms/read-cache.js';
import { readCacheFromEnv, sharedReadCacheFromEnv } from '../../src/platforms/read-cache-env.js';
import { API, OWNER, REPO, REPO_PATH, testOctokit } from './github/harness.js';
import { DB, REDIS_URL, emptyDatabase } from '../redis/redis.js';

const FIRST = 'a'.repeat(40);
const SECOND = 'b'.repeat(40);

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

/** A repository at two commits: `src/b.ts` changes between them, the other files do not. */
const AT: Record<string, Record<string, string>> = {
  [FIRST]: { 'src/a.ts': 'export const a = 1;\n', 'src/b.ts': 'export const b = 1;\n', 'README.md': '# x\n' },
  [SECOND]: {
    'src/a.ts': 'export const a = 1;\n',
    'src/b.ts': 'export const b = 2;\n',
    'README.md': '# x\n',
  },
};
const idOf = (text: string) => gitBlobId(Buffer.from(text), 40);

/** GitHub's Git Data API for both commits, persisting; returns the requests it answered. */
function fakeGitData(): string[] {
  const seen: string[] = [];
  const blobs = new Map(Object.values(AT).flatMap((files) => Object.values(files).map((t) => [idOf(t), t])));
  nock(API)
    .persist()
    .get(new RegExp(`^${REPO_PATH}/git/trees/(\\w+)`))
    .query({ recursive: 'true' })
    .reply((request: Request) => {
      const sha = /trees\/(\w+)/.exec(request.url)![1]!;
      seen.push(`tree ${sha.slice(0, 1)}`);
      const tree = Object.entries(AT[sha]!).map(([path, text]) => ({
        path,
        type: 'blob',
        sha: idOf(text),
        size: text.length,
      }));
      return [200, { truncated: false, tree }];
    })
    .get(new RegExp(`^${REPO_PATH}/git/blobs/(\\w+)$`))
    .reply((request: Request) => {
      const sha = /blobs\/(\w+)/.exec(request.url)![1]!;
      seen.push(`blob ${blobs.get(sha)!.trim()}`);
      return [200, { content: Buffer.from(blobs.get(sha)!).toString('base64'), encoding: 'base64' }];
    });
  return seen;
}

async function reviewAll(cache: ReadCache, sha: string): Promise<{ texts: string[]; calls: ApiCallLog }> {
  const calls = new ApiCallLog('github');
  const texts = await withApiCallLog(calls, async () => {
    const reader = createGitHubReader(testOctokit(), { owner: OWNER, repo: REPO }, undefined, { cache });
    const paths = await reader.list(sha);
    return Promise.all(paths.map(async (path) => (await reader.read(path, sha)) ?? '<none>'));
  });
  return { texts, calls };
}

function observed(): { lookups: string[]; observer: { lookup(l: CacheLayer, r: CacheLookup): void } } {
  const lookups: string[] = [];
  return { lookups, observer: { lookup: (layer, result) => lookups.push(`${layer} ${result}`) } };
}

describe('GitHub reads through the read cache', () => {
  it('a second push lists the new tree and fetches only the blob that changed', async () => {
    const seen = fakeGitData();
    const cache = createReadCache();
    const first = await reviewAll(cache, FIRST);
    expect(first.texts).toEqual(Object.values(AT[FIRST]!));
    expect(first.calls.byKind()).toEqual([
      ['tree', 1],
      ['blob', 3],
    ]);

    const second = await reviewAll(cache, SECOND);
    expect(second.texts).toEqual(Object.values(AT[SECOND]!));
    expect(second.calls.byKind()).toEqual([
      ['tree', 1],
      ['blob', 1],
    ]);
    expect(second.calls.cacheHits).toBe(2);
    expect(seen).toEqual([
      'tree a',
      'blob export const a = 1;',
      'blob export const b = 1;',
      'blob # x',
      'tree b',
      'blob export const b = 2;',
    ]);
    expect(renderApiCalls(second.calls)).toBe(
      '**Cost of this review:** 2 GitHub API calls (1 tree, 1 blob); 2 repository reads served from the cache.',
    );
  });

  it('invalidates by id only: the earlier commit still reads its own blob, from the cache', async () => {
    fakeGitData();
    const cache = createReadCache();
    await reviewAll(cache, FIRST);
    await reviewAll(cache, SECOND);
    const again = await reviewAll(cache, FIRST);
    expect(again.texts).toEqual(Object.values(AT[FIRST]!));
    expect(again.calls.total).toBe(0);
  });

  it('without the cache every review fetches every file', async () => {
    fakeGitData();
    await reviewAll(createReadCache({ settings: { memoryBytes: 1 } }), FIRST);
    const second = await reviewAll(createReadCache({ settings: { memoryBytes: 1 } }), SECOND);
    expect(second.calls.total).toBe(4);
  });
});

describe('GitLab reads through the read cache', () => {
  const GITLAB = 'http://gitlab.example';
  const PROJECT = `/api/v4/projects/7/repository`;

  /** The GitLab repository at both commits: one more directory level, which does not change. */
  const LAB: Record<string, Record<string, string>> = Object.fromEntries(
    Object.entries(AT).map(([sha, files]) => [sha, { ...files, 'src/lib/x.ts': 'export const x = 0;\n' }]),
  );

  /** GitLab's tree endpoint: a directory's entries, or everything below it; a tree's id hashes its files. */
  function treeEntries(files: Record<string, string>, path: string, recursive: boolean) {
    const entries = new Map<string, { id: string; name: string; type: string; path: string; mode: string }>();
    for (const [file, text] of Object.entries(files)) {
      const parts = file.split('/');
      for (let depth = 1; depth <= parts.length; depth += 1) {
        const at = parts.slice(0, depth).join('/');
        const isBlob = depth === parts.length;
        const below = Object.entries(files).filter(([other]) => other.startsWith(`${at}/`));
        const id = isBlob ? idOf(text) : gitBlobId(Buffer.from(JSON.stringify(below)), 40);
        entries.set(at, {
          id,
          name: parts[depth - 1]!,
          type: isBlob ? 'blob' : 'tree',
          path: at,
          mode: '100644',
        });
      }
    }
    const parentOf = (at: string) => at.slice(0, Math.max(0, at.lastIndexOf('/')));
    return [...entries.values()].filter((entry) =>
      recursive ? path === '' || entry.path.startsWith(`${path}/`) : parentOf(entry.path) === path,
    );
  }

  function fakeRepository(): string[] {
    const seen: string[] = [];
    const blobs = new Map(
      Object.values(LAB).flatMap((files) => Object.values(files).map((t) => [idOf(t), t])),
    );
    nock(GITLAB)
      .persist()
      .get(`${PROJECT}/tree`)
      .query(true)
      .reply((request: Request) => {
        const query = new URL(request.url).searchParams;
        const ref = query.get('ref')!;
        const path = query.get('path') ?? '';
        const recursive = query.get('recursive') === 'true';
        seen.push(`tree ${ref.slice(0, 1)} /${path}${recursive ? ' recursive' : ''}`);
        return [200, treeEntries(LAB[ref]!, path, recursive), { 'content-type': 'application/json' }];
      })
      .get(new RegExp(`^${PROJECT}/blobs/(\\w+)/raw$`))
      .reply((request: Request) => {
        const id = /blobs\/(\w+)\/raw/.exec(request.url)![1]!;
        seen.push(`blob ${blobs.get(id)!.trim()}`);
        return [200, blobs.get(id)!, { 'content-type': 'text/plain' }];
      })
      .get(new RegExp(`^${PROJECT}/files/([^/]+)/raw`))
      .query(true)
      .reply((request: Request) => {
        const url = new URL(request.url);
        const path = decodeURIComponent(/files\/([^/]+)\/raw/.exec(url.pathname)![1]!);
        seen.push(`file ${path}`);
        return [200, LAB[url.searchParams.get('ref')!]![path]!, { 'content-type': 'text/plain' }];
      });
    return seen;
  }

  async function review(cache: ReadCache, sha: string, list: boolean): Promise<ApiCallLog> {
    const api = createGitlabClient({ url: GITLAB, token: 'glpat-test', retry: { retries: 0 } });
    const calls = new ApiCallLog('gitlab');
    await withApiCallLog(calls, async () => {
      const reader = new BoundedRepoReader(new GitlabRepoAccess(api, 7, { cache }));
      const paths = list ? await reader.list(sha) : Object.keys(LAB[sha]!);
      for (const path of paths) expect(await reader.read(path, sha)).toBe(LAB[sha]![path]);
    });
    return calls;
  }

  it('lists a new commit through the directories that changed, and fetches each blob once, by id', async () => {
    const seen = fakeRepository();
    const cache = createReadCache();
    expect((await review(cache, FIRST, true)).byKind()).toEqual([
      ['tree', 3],
      ['blob', 4],
    ]);
    // First sight of the project: the walk finds nothing cached below `src/` and lists the whole tree.
    expect(seen.filter((line) => line.startsWith('tree'))).toEqual([
      'tree a /',
      'tree a /src',
      'tree a / recursive',
    ]);
    seen.length = 0;
    expect((await review(cache, SECOND, true)).byKind()).toEqual([
      ['tree', 2],
      ['blob', 1],
    ]);
    // `src/` changed (its file `b.ts` did); `src/lib/` did not and comes from the cache.
    expect(seen).toEqual(['tree b /', 'tree b /src', 'blob export const b = 2;']);
    // A rescan of the same head: the listing is known, so even a review that does not list reads by id.
    expect((await review(cache, SECOND, false)).total).toBe(0);
  });

  it('lists the whole tree again when more directories changed than listing them one by one is worth', async () => {
    const THIRD = 'c'.repeat(40);
    const modules = Array.from({ length: MAX_DIRECTORY_LISTINGS + 2 }, (_, i) => [
      `pkg/m${i}/index.ts`,
      `export const m${i} = ${i};\n`,
    ]);
    LAB[THIRD] = { ...LAB[SECOND]!, ...Object.fromEntries(modules) };
    try {
      const seen = fakeRepository();
      const cache = createReadCache();
      await review(cache, FIRST, true);
      await review(cache, SECOND, true);
      seen.length = 0;
      const calls = await review(cache, THIRD, true);
      expect(seen.filter((line) => line.startsWith('tree'))).toEqual([
        'tree c /',
        'tree c /pkg',
        'tree c / recursive',
      ]);
      expect(calls.byKind()).toEqual([
        ['tree', 3],
        ['blob', modules.length],
      ]);
    } finally {
      delete LAB[THIRD];
    }
  });

  it('lists the whole tree at once without a cache', async () => {
    const seen = fakeRepository();
    expect((await review(NO_READ_CACHE, FIRST, true)).byKind()).toEqual([
      ['tree', 1],
      ['blob', 4],
    ]);
    expect(seen[0]).toBe('tree a / recursive');
  });

  it('reads by path when no listing of the commit is known, rather than listing a whole tree', async () => {
    const seen = fakeRepository();
    const calls = await review(createReadCache(), FIRST, false);
    expect(calls.byKind()).toEqual([['contents', 4]]);
    expect(seen).toEqual(['file src/a.ts', 'file src/b.ts', 'file README.md', 'file src/lib/x.ts']);
  });
});

describe.skipIf(!REDIS_URL)('the Redis layer', () => {
  let redis: Redis;
  let other: Redis;
  beforeEach(async () => {
    redis = await emptyDatabase(DB.readCache);
    other = await emptyDatabase(DB.readCache);
  });
  afterAll(async () => {
    await redis?.quit();
    await other?.quit();
  });

  it('is shared by two readers with caches of their own (two workers)', async () => {
    fakeGitData();
    const one = observed();
    const two = observed();
    await reviewAll(createReadCache({ redis, observer: one.observer }), FIRST);
    const second = await reviewAll(createReadCache({ redis: other, observer: two.observer }), FIRST);
    expect(second.texts).toEqual(Object.values(AT[FIRST]!));
    expect(second.calls.total).toBe(0);
    expect(two.lookups.filter((l) => l === 'redis hit')).toHaveLength(4);
    const ttl = await redis.ttl((await redis.keys('jitterbot:read:v1:*'))[0]!);
    expect(ttl).toBeGreaterThan(0);
  });

  it('treats corrupt and oversized values as a clean miss and fetches again', async () => {
    fakeGitData();
    await reviewAll(createReadCache({ redis }), FIRST);
    const keys = await redis.keys('jitterbot:read:v1:*');
    expect(keys).toHaveLength(4);
    for (const [index, key] of keys.entries()) {
      // Garbage, a truncated value, and one far over the size cap.
      const value = [Buffer.from('{not json'), Buffer.alloc(0), Buffer.alloc(5 * 1024 * 1024, 1)][index % 3]!;
      await redis.set(key, value);
    }
    const { lookups, observer } = observed();
    const again = await reviewAll(createReadCache({ redis: other, observer }), FIRST);
    expect(again.texts).toEqual(Object.values(AT[FIRST]!));
    expect(again.calls.byKind()).toEqual([
      ['tree', 1],
      ['blob', 3],
    ]);
    expect(lookups.filter((l) => l === 'redis invalid')).toHaveLength(4);
  });

  it('is a miss, not a failure, when Redis is gone', async () => {
    fakeGitData();
    const gone = await emptyDatabase(DB.readCache);
    gone.disconnect();
    const { lookups, observer } = observed();
    const result = await reviewAll(createReadCache({ redis: gone, observer }), FIRST);
    expect(result.texts).toEqual(Object.values(AT[FIRST]!));
    expect(lookups).toContain('redis miss');
  });
});

describe('API call kinds', () => {
  it('names GitHub routes and GitLab endpoints alike', () => {
    expect(apiCallKind('GET', '/repos/{owner}/{repo}/git/trees/{tree_sha}')).toBe('tree');
    expect(apiCallKind('GET', 'projects/7/repository/tree')).toBe('tree');
    expect(apiCallKind('GET', '/repos/{owner}/{repo}/git/blobs/{file_sha}')).toBe('blob');
    expect(apiCallKind('GET', 'projects/7/repository/blobs/abc/raw')).toBe('blob');
    expect(apiCallKind('GET', 'projects/7/repository/files/a%2Fb.ts/raw')).toBe('contents');
    expect(apiCallKind('GET', '/repos/{owner}/{repo}/compare/{basehead}')).toBe('compare');
    expect(apiCallKind('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/files')).toBe('pull');
    expect(apiCallKind('GET', 'projects/7/merge_requests/1/discussions')).toBe('comments');
    expect(apiCallKind('POST', '/repos/{owner}/{repo}/check-runs')).toBe('write');
    expect(apiCallKind('POST', '/graphql')).toBe('graphql');
    expect(apiCallKind('GET', '/app')).toBe('other');
  });
});

describe('settings from the environment', () => {
  it('turns the cache off with READ_CACHE=off and refuses a size that is not a whole number', () => {
    expect(readCacheFromEnv({ READ_CACHE: 'off' })).toBe(NO_READ_CACHE);
    expect(readCacheFromEnv({})).not.toBe(NO_READ_CACHE);
    expect(() => readCacheFromEnv({ READ_CACHE_MEMORY_MB: '0.5' })).toThrow(/READ_CACHE_MEMORY_MB/);
  });

  it.skipIf(!REDIS_URL)('shares the cache through REDIS_URL on a connection of its own', async () => {
    fakeGitData();
    const env = { REDIS_URL: `${REDIS_URL}/${DB.readCache}` };
    const one = await sharedReadCacheFromEnv(env);
    const two = await sharedReadCacheFromEnv(env);
    try {
      await reviewAll(one.cache, SECOND);
      expect((await reviewAll(two.cache, SECOND)).calls.total).toBe(0);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
