import { gitlabWebhookRoute } from '../platforms/gitlab/route.js';
import type { Log } from '../platforms/gitlab/log.js';
import { ReviewQueue } from '../queue.js';
import { join } from 'node:path';
import { loadDotEnv, startServer } from '../server.js';
import { warmUpValidation } from '../suggest/validate.js';

/**
 * `jitterbot serve`: one HTTP server for both platforms, sharing one review queue. The GitLab route is
 * mounted when GITLAB_TOKEN and GITLAB_WEBHOOK_SECRET are set; GitHub follows Probot's environment.
 */
export async function serveCommand(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // Settings kept in .env must be visible to the GitLab route too, which is built before the server.
  if (env === process.env) loadDotEnv(env, join(process.cwd(), '.env'));
  // The server's logger exists only once the server starts; GitLab's route logs through it by reference.
  let log: Log = {
    info: (fields, message) =>
      process.stdout.write(`${JSON.stringify({ level: 30, msg: message, ...fields })}\n`),
    warn: (fields, message) =>
      process.stdout.write(`${JSON.stringify({ level: 40, msg: message, ...fields })}\n`),
    error: (fields, message) =>
      process.stderr.write(`${JSON.stringify({ level: 50, msg: message, ...fields })}\n`),
  };
  const forward: Log = {
    info: (fields, message) => log.info(fields, message),
    warn: (fields, message) => log.warn(fields, message),
    error: (fields, message) => log.error(fields, message),
  };
  const queue = new ReviewQueue({
    onError: (key, error) => forward.error({ key, err: String(error) }, 'review job failed'),
  });
  const gitlab = gitlabWebhookRoute(env, { queue, log: forward });
  if (gitlab.kind === 'invalid') {
    throw new Error(`GitLab is half configured: ${gitlab.problems.join('; ')}`);
  }
  const running = await startServer(env, {
    queue,
    extraRoutes: gitlab.kind === 'ready' ? [gitlab.route] : [],
  });
  log = running.log;
  // The first type-checked patch costs about a second; pay it at start-up, not in the first review.
  warmUpValidation();
  if (gitlab.kind === 'ready')
    log.info({ gitlab: gitlab.url }, 'GitLab webhook route mounted at /gitlab/webhook');
  const stop = async (signal: string) => {
    log.info({ signal }, 'shutting down: no new webhooks, finishing queued reviews');
    await running.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
