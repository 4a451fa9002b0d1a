import { posix } from 'node:path';
import type { ProbotOctokit } from 'probot';
import { CONFIG_PATHS, DEFAULT_CONFIG, validateConfig, type LoadedConfig } from '../../config.js';

/** Where the GitHub App reads its configuration: `.github/jitterbot.yml` on the default branch. */
export const GITHUB_CONFIG_PATH = CONFIG_PATHS.github[0];
/** `context.config()` takes the name inside `.github/`. */
export const GITHUB_CONFIG_NAME = posix.basename(GITHUB_CONFIG_PATH);

/**
 * Loads and validates the repository's configuration. `read` is Probot's `context.config(name)`, which
 * fetches `.github/<name>` from the default branch (falling back to the owner's `.github` repository and
 * following `_extends`) and returns the parsed YAML, or null when there is none. Probot does not
 * validate it, so the object goes through the same schema as every other platform's config.
 *
 * Never throws: a missing file gives the defaults, a broken one gives the defaults plus messages that
 * the check run shows, so a typo never silences the review.
 */
export async function loadGitHubConfig(read: (name: string) => Promise<unknown>): Promise<LoadedConfig> {
  let raw: unknown;
  try {
    raw = await read(GITHUB_CONFIG_NAME);
  } catch (error) {
    return { config: DEFAULT_CONFIG, errors: [`${GITHUB_CONFIG_PATH}: ${describeReadError(error)}`] };
  }
  return validateConfig(raw, GITHUB_CONFIG_PATH);
}

function describeReadError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // The config plugin prefixes its messages with its package name; users need only the reason.
  return message.replace(/^\[@probot\/octokit-plugin-config\]\s*/, '');
}

/** What Probot's `context.config(name)` does, without a webhook context: `.github/<name>`, or null. */
export async function readRepoConfig(
  octokit: ProbotOctokit,
  owner: string,
  repo: string,
  name: string,
): Promise<unknown> {
  const { config, files } = await octokit.config.get({ owner, repo, path: `.github/${name}` });
  return files.some((file) => file.config !== null) ? config : null;
}
