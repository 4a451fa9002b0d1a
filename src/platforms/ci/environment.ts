import { readFileSync } from 'node:fs';

/**
 * Which pull or merge request `jitterbot review` reviews, read from the variables GitHub Actions and
 * GitLab CI set for a job, each overridable by a flag. Pure apart from reading the event file, so every
 * combination is testable without a CI runner.
 */

export interface GitHubCiTarget {
  platform: 'github';
  /** REST root: `https://api.github.com`, or `https://HOST/api/v3` on GitHub Enterprise Server. */
  apiUrl: string;
  owner: string;
  repo: string;
  pullNumber: number;
  token?: string;
  /** Where the workflow checked the repository out. */
  checkout?: string;
}

export interface GitLabCiTarget {
  platform: 'gitlab';
  /** Instance root without `/api/v4`, e.g. `https://gitlab.com` or `https://git.example.com/gitlab`. */
  url: string;
  projectId: number;
  /** `group/project`, for logs and messages. */
  projectPath: string;
  projectUrl: string;
  mergeRequestIid: number;
  token?: string;
  checkout?: string;
}

export type CiTarget = GitHubCiTarget | GitLabCiTarget;

/** Flags of `jitterbot review`; each one wins over the variable it stands for. */
export interface CiFlags {
  platform?: 'github' | 'gitlab';
  apiUrl?: string;
  /** GitHub `owner/name`, or a GitLab project id. */
  repository?: string;
  /** Pull request number or merge request iid. */
  number?: number;
  eventPath?: string;
  token?: string;
  checkout?: string;
}

/** A CI job that lacks what a review needs: the message says which variable or flag to set. */
export class CiSetupError extends Error {
  override readonly name = 'CiSetupError';
}

const GITHUB_API = 'https://api.github.com';
const GITLAB_API_SUFFIX = /\/api\/v4\/?$/;

export function ciTargetFrom(
  env: NodeJS.ProcessEnv,
  flags: CiFlags = {},
  readEvent: (path: string) => unknown = readJson,
): CiTarget {
  const platform = flags.platform ?? detectPlatform(env);
  if (platform === 'github') return gitHubTarget(env, flags, readEvent);
  if (platform === 'gitlab') return gitLabTarget(env, flags);
  throw new CiSetupError(
    'not running in GitHub Actions (GITHUB_ACTIONS) or GitLab CI (GITLAB_CI); pass --platform github|gitlab and the flags that identify the change',
  );
}

function detectPlatform(env: NodeJS.ProcessEnv): 'github' | 'gitlab' | undefined {
  if (env.GITHUB_ACTIONS === 'true') return 'github';
  if (env.GITLAB_CI === 'true') return 'gitlab';
  return undefined;
}

function gitHubTarget(
  env: NodeJS.ProcessEnv,
  flags: CiFlags,
  readEvent: (path: string) => unknown,
): GitHubCiTarget {
  const repository = flags.repository ?? env.GITHUB_REPOSITORY;
  const [owner, repo, ...rest] = (repository ?? '').split('/');
  if (!owner || !repo || rest.length > 0) {
    throw new CiSetupError('which repository? set GITHUB_REPOSITORY or pass --repository owner/name');
  }
  const pullNumber = flags.number ?? pullFromEvent(flags.eventPath ?? env.GITHUB_EVENT_PATH, readEvent);
  const token = flags.token ?? nonEmpty(env.GITHUB_TOKEN);
  const checkout = flags.checkout ?? nonEmpty(env.GITHUB_WORKSPACE);
  return {
    platform: 'github',
    apiUrl: trimSlash(flags.apiUrl ?? nonEmpty(env.GITHUB_API_URL) ?? GITHUB_API),
    owner,
    repo,
    pullNumber,
    ...(token ? { token } : {}),
    ...(checkout ? { checkout } : {}),
  };
}

/**
 * The pull request of a `pull_request`/`pull_request_target` event (or an `issue_comment` on a pull
 * request). Other events (`push`, `schedule`) have none, and say so.
 */
function pullFromEvent(path: string | undefined, readEvent: (path: string) => unknown): number {
  if (!path) {
    throw new CiSetupError('which pull request? set GITHUB_EVENT_PATH or pass --number');
  }
  let event: unknown;
  try {
    event = readEvent(path);
  } catch (error) {
    throw new CiSetupError(`could not read the event payload ${path}: ${(error as Error).message}`);
  }
  const payload = (event ?? {}) as {
    pull_request?: { number?: unknown };
    issue?: { number?: unknown; pull_request?: unknown };
  };
  const number =
    payload.pull_request?.number ?? (payload.issue?.pull_request ? payload.issue.number : undefined);
  if (typeof number === 'number' && Number.isInteger(number) && number > 0) return number;
  throw new CiSetupError(
    'the workflow event is not about a pull request; run the job on `pull_request` (or pass --number)',
  );
}

function gitLabTarget(env: NodeJS.ProcessEnv, flags: CiFlags): GitLabCiTarget {
  const apiUrl = flags.apiUrl ?? nonEmpty(env.CI_API_V4_URL);
  if (!apiUrl) throw new CiSetupError('which GitLab? set CI_API_V4_URL or pass --api-url');
  const projectId = wholeNumber(flags.repository ?? env.CI_PROJECT_ID);
  if (projectId === undefined) {
    throw new CiSetupError('which project? set CI_PROJECT_ID or pass --repository <project id>');
  }
  const mergeRequestIid = flags.number ?? wholeNumber(env.CI_MERGE_REQUEST_IID);
  if (mergeRequestIid === undefined) {
    throw new CiSetupError(
      'no merge request: CI_MERGE_REQUEST_IID is only set in merge request pipelines (rules: if: $CI_PIPELINE_SOURCE == "merge_request_event"), or pass --number',
    );
  }
  const url = trimSlash(apiUrl).replace(GITLAB_API_SUFFIX, '');
  const token = flags.token ?? nonEmpty(env.GITLAB_TOKEN);
  const checkout = flags.checkout ?? nonEmpty(env.CI_PROJECT_DIR);
  return {
    platform: 'gitlab',
    url,
    projectId,
    projectPath: nonEmpty(env.CI_PROJECT_PATH) ?? String(projectId),
    projectUrl: nonEmpty(env.CI_PROJECT_URL) ?? `${url}/projects/${projectId}`,
    mergeRequestIid,
    ...(token ? { token } : {}),
    ...(checkout ? { checkout } : {}),
  };
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function wholeNumber(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = typeof value === 'number' ? value : Number(value.trim());
  return Number.isInteger(parsed) && parsed > 0 ? parsed : undefined;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
