/** Exit codes: 0 nothing at or above the threshold, 1 findings, 2 usage or internal error. */
export const EXIT = { clean: 0, findings: 1, error: 2 } as const;
