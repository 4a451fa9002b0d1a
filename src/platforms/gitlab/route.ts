import type { Route } from '../../server.js';
import type { GitlabApi } from './client.js';
import { GITLAB_WEBHOOK_PATH, gitlabFromEnv, type GitlabEnvOptions } from './env.js';
import { createGitlabWebhookHandler, type GitlabWebhookDeps } from './webhook.js';

export type GitlabRouteSetup =
  | { kind: 'disabled' }
  | { kind: 'invalid'; problems: string[] }
  | {
      kind: 'ready';
      route: Route;
      url: string;
      /** The API client for a project of the configured instance (for the reconciler). */
      clientFor(projectUrl?: string): GitlabApi | null;
    };

/**
 * The GitLab route for `jitterbot serve`, from the environment (see env.ts): off when GitLab is not
 * configured, the problems when it is half configured, the route otherwise. The queue is the server's
 * shared review queue.
 */
export function gitlabWebhookRoute(
  env: Record<string, string | undefined>,
  deps: Pick<GitlabWebhookDeps, 'queue' | 'log' | 'job' | 'deliveries' | 'records'> &
    Pick<GitlabEnvOptions, 'retry'>,
): GitlabRouteSetup {
  const gitlab = gitlabFromEnv(env, { log: deps.log, ...(deps.retry ? { retry: deps.retry } : {}) });
  if (gitlab.kind !== 'ready') return gitlab;
  const handler = createGitlabWebhookHandler({
    secret: gitlab.secret,
    queue: deps.queue,
    clientFor: (projectUrl) => gitlab.clientFor(projectUrl),
    log: deps.log,
    ...(gitlab.botUsername ? { botUsername: gitlab.botUsername } : {}),
    ...(deps.job ? { job: deps.job } : {}),
    ...(deps.deliveries ? { deliveries: deps.deliveries } : {}),
    ...(deps.records ? { records: deps.records } : {}),
  });
  return {
    kind: 'ready',
    url: gitlab.url,
    route: { method: 'POST', path: GITLAB_WEBHOOK_PATH, handler },
    clientFor: (projectUrl) => gitlab.clientFor(projectUrl),
  };
}
