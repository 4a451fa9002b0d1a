/**
 * Hidden HTML comments that let the bot recognise its own notes on later runs. The fingerprint marker is
 * written by the renderer into every inline comment body; the summary marker is this adapter's.
 */

/** Identifies the bot's one summary note on a merge request. */
export const SUMMARY_MARKER = '<!-- jitterbot:summary -->';

const FINGERPRINT_MARKER = /<!-- jitterbot:fingerprint=([0-9a-f]{16}) -->/;
const ANY_FINGERPRINT_MARKER = /<!-- jitterbot:fingerprint=[0-9a-f]{16} -->\n?/g;

export function fingerprintIn(body: string): string | undefined {
  return FINGERPRINT_MARKER.exec(body)?.[1];
}

/** A finding's body without its marker, for the summary: only inline discussions carry fingerprints. */
export function withoutFingerprintMarker(body: string): string {
  return body.replace(ANY_FINGERPRINT_MARKER, '');
}
