import { registerJobKind, unique, type JobKind } from '../../queue/job.js';
import type { ProjectRef, RescanCommand } from './events.js';

/**
 * Everything queued for one merge request. Deliveries that arrive while a job waits are merged into it
 * (the queue coalesces by merge request), so nothing a later delivery asked for is lost.
 */
export interface GitlabReviewRequest {
  deliveryIds: string[];
  project: ProjectRef;
  mrIid: number;
  /** Automatic triggers: open, reopen, push, ready. Empty when only commands asked for the run. */
  reasons: string[];
  rescans: RescanCommand[];
}

/** A GitLab review on the queue. */
export interface GitlabReviewJob {
  platform: 'gitlab';
  request: GitlabReviewRequest;
  /** Head commit named by the webhook, when it names one. */
  headSha?: string;
  enqueuedAt: number;
}

declare module '../../queue/job.js' {
  interface JobKinds {
    gitlab: GitlabReviewJob;
  }
}

/** The review target of a merge request: `gitlab:<project id>!<iid>`. */
export function gitlabTargetKey(projectId: number, mrIid: number): string {
  return `gitlab:${projectId}!${mrIid}`;
}

/** Reasons and rescan commands are unioned; the newer project and merge request win. */
export function combineRequests(
  waiting: GitlabReviewRequest,
  next: GitlabReviewRequest,
): GitlabReviewRequest {
  return {
    deliveryIds: unique([...waiting.deliveryIds, ...next.deliveryIds]),
    project: next.project,
    mrIid: next.mrIid,
    reasons: [...new Set([...waiting.reasons, ...next.reasons])],
    rescans: [...waiting.rescans, ...next.rescans],
  };
}

export const gitlabJobKind: JobKind<GitlabReviewJob> = {
  platform: 'gitlab',
  key: (job) => gitlabTargetKey(job.request.project.id, job.request.mrIid),
  deliveryIds: (job) => job.request.deliveryIds,
  merge: (older, newer) => ({ ...newer, request: combineRequests(older.request, newer.request) }),
  logFields: (job) => ({
    deliveryIds: job.request.deliveryIds,
    project: job.request.project.path,
    projectId: job.request.project.id,
    mr: job.request.mrIid,
  }),
  parse: (job) => {
    const request = job.request as Partial<GitlabReviewRequest> | undefined;
    const ok =
      typeof request === 'object' &&
      Array.isArray(request.deliveryIds) &&
      typeof request.mrIid === 'number' &&
      typeof request.project?.id === 'number' &&
      Array.isArray(request.reasons) &&
      Array.isArray(request.rescans);
    return ok ? (job as unknown as GitlabReviewJob) : null;
  },
};

registerJobKind(gitlabJobKind);
