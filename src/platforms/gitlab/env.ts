import { createGitlabClient, type GitlabApi, type GitlabRetryPolicy } from './client.js';
import type { Log } from './log.js';

export const DEFAULT_GITLAB_URL = 'https://gitlab.com';

/** The route `jitterbot serve` mounts the GitLab webhook on. */
export const GITLAB_WEBHOOK_PATH = '/gitlab/webhook';

/** GitLab settings of one deployment: one instance, any number of its projects. */
export type GitlabFromEnv =
  | { kind: 'disabled' }
  | { kind: 'invalid'; problems: string[] }
  | {
      kind: 'ready';
      /** Instance root without a trailing slash. */
      url: string;
      secret: string;
      botUsername?: string;
      /**
       * The API client for a project of this instance. `projectUrl` (the payload's `project.web_url`)
       * must belong to the configured instance: the token is never sent to a host a payload names.
       * Returns null for a project of another instance.
       */
      clientFor(projectUrl?: string): GitlabApi | null;
    };

export interface GitlabEnvOptions {
  log?: Log;
  retry?: Partial<GitlabRetryPolicy>;
}

/**
 * Reads `GITLAB_URL` (default https://gitlab.com), `GITLAB_TOKEN`, `GITLAB_WEBHOOK_SECRET` and the
 * optional `GITLAB_BOT_USERNAME`. GitLab support is off when neither token nor secret is set; with only
 * one of them set, or an unusable URL, the problems are returned for the caller to report.
 */
export function gitlabFromEnv(
  env: Record<string, string | undefined>,
  options: GitlabEnvOptions = {},
): GitlabFromEnv {
  const token = env.GITLAB_TOKEN?.trim() ?? '';
  const secret = env.GITLAB_WEBHOOK_SECRET ?? '';
  if (token === '' && secret === '') return { kind: 'disabled' };
  const problems: string[] = [];
  if (token === '')
    problems.push('GITLAB_TOKEN is not set (a project, group or bot-user token with the `api` scope)');
  if (secret === '') problems.push('GITLAB_WEBHOOK_SECRET is not set (the webhook\'s "Secret token")');
  const url = normaliseInstanceUrl(env.GITLAB_URL?.trim() || DEFAULT_GITLAB_URL);
  if (url === null) problems.push(`GITLAB_URL is not an http(s) URL: ${env.GITLAB_URL}`);
  if (problems.length > 0 || url === null) return { kind: 'invalid', problems };

  let client: GitlabApi | undefined;
  const botUsername = env.GITLAB_BOT_USERNAME?.trim().replace(/^@/, '');
  return {
    kind: 'ready',
    url,
    secret,
    ...(botUsername ? { botUsername } : {}),
    clientFor(projectUrl?: string): GitlabApi | null {
      if (projectUrl !== undefined && !belongsToInstance(projectUrl, url)) return null;
      client ??= createGitlabClient({
        url,
        token,
        ...(options.log ? { log: options.log } : {}),
        ...(options.retry ? { retry: options.retry } : {}),
      });
      return client;
    },
  };
}

/** `https://git.example.com/gitlab/api/v4/` → `https://git.example.com/gitlab`; null when not http(s). */
export function normaliseInstanceUrl(raw: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  // People often paste the API root; gitbeaker appends /api/v4 itself.
  const path = parsed.pathname.replace(/\/+$/, '').replace(/\/api\/v4$/, '');
  return `${parsed.origin}${path}`;
}

/** Whether a project web URL lives under the instance root (same origin, same relative URL root). */
export function belongsToInstance(projectUrl: string, instanceUrl: string): boolean {
  let project: URL;
  let instance: URL;
  try {
    project = new URL(projectUrl);
    instance = new URL(instanceUrl);
  } catch {
    return false;
  }
  if (project.origin !== instance.origin) return false;
  const root = instance.pathname.replace(/\/+$/, '');
  return root === '' || project.pathname === root || project.pathname.startsWith(`${root}/`);
}
