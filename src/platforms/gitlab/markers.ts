import { parseFingerprintMarker, SUMMARY_MARKER } from '../../review/render.js';

/**
 * Hidden HTML comments that let the bot recognise its own notes on later runs. Both come from the
 * renderer: the fingerprint marker in every inline comment body, the summary marker at the top of the
 * summary (added here when a summary lacks it).
 */
export { SUMMARY_MARKER };

/** The renderer's marker, wherever it is in a body, with the line break after it. */
const ANY_FINGERPRINT_MARKER = /<!-- jitterbot:fingerprint=[A-Za-z0-9_-]+ -->\n?/g;

export function fingerprintIn(body: string): string | undefined {
  return parseFingerprintMarker(body) ?? undefined;
}

/** A finding's body without its marker, for the summary: only inline discussions carry fingerprints. */
export function withoutFingerprintMarker(body: string): string {
  return body.replace(ANY_FINGERPRINT_MARKER, '');
}
