import type { Finding } from '../analysis/finding.js';

/**
 * GitLab's Code Quality report (the `codequality` artifact of a job): one issue per finding, which the
 * merge request widget shows as new or resolved against the target branch's report, matched by
 * `fingerprint`. Fields as GitLab documents them (a subset of the Code Climate issue format).
 */
export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: 'info' | 'minor' | 'major' | 'critical' | 'blocker';
  location: { path: string; lines: { begin: number } };
}

/** A fixed delay is the outage-maker; an unjittered backoff is milder. */
const SEVERITY: Record<Finding['level'], CodeQualityIssue['severity']> = {
  warning: 'major',
  note: 'minor',
};

export function toCodeQuality(findings: readonly Finding[]): CodeQualityIssue[] {
  return findings.map((finding) => ({
    description: finding.message,
    check_name: finding.rule,
    fingerprint: finding.fingerprint,
    severity: SEVERITY[finding.level],
    location: { path: finding.path, lines: { begin: finding.range.startLine } },
  }));
}
