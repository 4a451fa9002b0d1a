import type { ReviewRecords } from '../../review-records.js';
import type { GitlabApi } from './client.js';
import type { ProjectRef } from './events.js';

/** The remembered set of projects whose webhooks reached the bot. */
const SERVED_PROJECTS = 'gitlab-projects';

/**
 * Remembers a project a webhook came from, for the reconciler; in the background, as the webhook's
 * answer must not wait for it (a project forgotten now is remembered at its next webhook).
 */
export function rememberProject(records: ReviewRecords, project: ProjectRef): void {
  const { id, path, webUrl } = project;
  records.remember(SERVED_PROJECTS, JSON.stringify({ id, path, webUrl })).catch(() => undefined);
}

/** Remembered projects, most recent first; entries that do not read back as a project are dropped. */
export async function rememberedProjects(records: ReviewRecords, limit: number): Promise<ProjectRef[]> {
  const members = await records.members(SERVED_PROJECTS, limit);
  return members.flatMap((member) => {
    try {
      const value = JSON.parse(member) as Partial<ProjectRef>;
      return typeof value.id === 'number' &&
        typeof value.path === 'string' &&
        typeof value.webUrl === 'string'
        ? [{ id: value.id, path: value.path, webUrl: value.webUrl }]
        : [];
    } catch {
      return [];
    }
  });
}

/** A configured project (`GITLAB_RECONCILE_PROJECTS`: ids or `group/project` paths) as the API names it. */
export async function projectRef(api: GitlabApi, idOrPath: string): Promise<ProjectRef> {
  const project = await api.Projects.show(/^\d+$/.test(idOrPath) ? Number(idOrPath) : idOrPath);
  return { id: project.id, path: project.path_with_namespace, webUrl: project.web_url };
}
