import type { z } from 'zod';

/** One validation problem as a user reads it: where (a dotted path) and what is wrong there. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  return `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`;
}

/** The first problem of a failed validation, for a one-line answer or log. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? describeIssue(issue) : 'invalid';
}
