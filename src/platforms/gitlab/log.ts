/**
 * The structured logger the GitLab adapter writes to: a pino logger (Probot's) fits as is. One event per
 * call, fields first; fields carry delivery id, project and merge request, never tokens or file contents.
 */
export interface Log {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const silentLog: Log = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
