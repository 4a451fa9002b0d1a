import { queued, type ReconcileRun, type ReconcileSource } from '../../reconcile/reconciler.js';
import { reviewedKey, type ReviewRecords } from '../../review-records.js';
import type { GitlabApi } from './client.js';
import type { ProjectRef } from './events.js';
import { gitlabTargetKey, type GitlabReviewJob } from './job-kind.js';
import { projectRef, rememberedProjects } from './served-projects.js';
import { COMMIT_STATUS_NAME } from './target.js';

export interface GitlabReconcileDeps {
  /** The client for a project of the configured instance (no URL: the instance's client). */
  clientFor(projectUrl?: string): GitlabApi | null;
  records: ReviewRecords;
  /** Projects to look through besides those webhooks came from (`GITLAB_RECONCILE_PROJECTS`). */
  configured?: readonly string[];
}

/** One page of the newest open merge requests per project and run; older ones wait for a later run. */
const MERGE_REQUESTS_PER_PROJECT = 100;

/** The fields of `GET /projects/:id/merge_requests` read here. */
interface OpenMergeRequest {
  iid: number;
  /** The head commit. */
  sha: string;
  draft?: boolean;
  updated_at: string;
}

/**
 * GitLab's side of the reconciler. GitLab keeps no delivery log an API can page through, so it looks
 * at the state instead: the open merge requests updated within the window, of every project a webhook
 * came from (remembered in the review records) and of the configured ones. A merge request whose head
 * commit has no completed review — not recorded, and no `jitterbot` commit status on it (set when a
 * review is published, so it outlives a process that kept its records in memory) — is queued for
 * review. Drafts are left to their `ready` event.
 */
export function gitlabReconcileSource(deps: GitlabReconcileDeps): ReconcileSource {
  const resolved = new Map<string, ProjectRef>();
  return {
    platform: 'gitlab',
    async reconcile(run) {
      const projects = new Map<number, ProjectRef>();
      for (const idOrPath of deps.configured ?? []) {
        let project = resolved.get(idOrPath);
        if (!project) {
          const api = deps.clientFor();
          if (!api || !run.call()) return;
          project = await projectRef(api, idOrPath);
          resolved.set(idOrPath, project);
        }
        projects.set(project.id, project);
      }
      // One call per project at least: more projects than calls could never be looked through.
      for (const project of await rememberedProjects(deps.records, run.callsLeft()))
        if (!projects.has(project.id)) projects.set(project.id, project);
      for (const project of projects.values()) {
        if (!(await reconcileProject(deps, run, project))) return;
      }
    },
  };
}

/** False when the run must stop: out of budget, or the queue takes no more. */
async function reconcileProject(
  deps: GitlabReconcileDeps,
  run: ReconcileRun,
  project: ProjectRef,
): Promise<boolean> {
  const api = deps.clientFor(project.webUrl);
  if (!api) return true;
  if (!run.call()) return false;
  const open = (await api.MergeRequests.all({
    projectId: project.id,
    state: 'opened',
    updatedAfter: new Date(run.since).toISOString(),
    orderBy: 'updated_at',
    sort: 'desc',
    perPage: MERGE_REQUESTS_PER_PROJECT,
    maxPages: 1,
  })) as unknown as OpenMergeRequest[];
  for (const mr of open) {
    if (mr.draft || Date.parse(mr.updated_at) > run.until) continue;
    const reviewed = reviewedKey(gitlabTargetKey(project.id, mr.iid), mr.sha);
    if (run.queuedBefore(reviewed) || (await deps.records.has(reviewed))) continue;
    if (!run.call()) return false;
    const statuses = await api.Commits.allStatuses(project.id, mr.sha, { name: COMMIT_STATUS_NAME });
    if (statuses.length > 0) {
      await deps.records.add([reviewed]);
      continue;
    }
    const job: GitlabReviewJob = {
      platform: 'gitlab',
      request: { deliveryIds: [], project, mrIid: mr.iid, reasons: ['reconcile'], rescans: [] },
      headSha: mr.sha,
      enqueuedAt: Date.now(),
    };
    if (!queued(await run.enqueue(job, 'no completed review of the head commit', reviewed))) return false;
  }
  return true;
}
