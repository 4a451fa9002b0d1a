import type { Suggestion } from '../suggest/types.js';

/**
 * Whether a finding's patch is offered, decided once from its validated suggestion so that every
 * output agrees: the text report's diff, the JSON `patch`, the SARIF `fixes` and the GitHub and GitLab
 * suggestion blocks all exist exactly when the patch is offered, and each says the same reason when
 * it is not.
 */
export type PatchVerdict =
  | { offered: true; suggestion: Extract<Suggestion, { valid: true }> }
  | { offered: false; reason: string; description: string };

export function patchVerdict(suggestion: Suggestion): PatchVerdict {
  return suggestion.valid
    ? { offered: true, suggestion }
    : { offered: false, reason: suggestion.invalidReason, description: suggestion.description };
}

/** The sentence every output shows for a finding whose patch is not offered. */
export function notOfferedLine(reason: string): string {
  return `described, not offered as a patch: ${reason}`;
}
