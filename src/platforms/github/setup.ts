import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { parse as parseYaml } from 'yaml';

/**
 * Registering the GitHub App from app.yml in the browser (GitHub's "app manifest" flow), served when
 * jitterbot starts without GitHub credentials. The same routes as Probot's setup mode (`/probot`,
 * `/probot/setup`), but hosted by jitterbot's own server so `/healthz` and the GitLab webhook keep
 * working while GitHub is unconfigured, and with a `state` check Probot's version lacks.
 *
 * 1. GET /probot shows a button that POSTs the manifest to GitHub's "new app" page.
 * 2. GitHub redirects to /probot/setup?code=…&state=…; the code is exchanged for the app's id, private
 *    key and webhook secret (`POST /app-manifests/{code}/conversions`), which are saved to `.env`.
 * 3. The browser goes on to install the app; jitterbot must be restarted to use the new credentials.
 */
export interface SetupOptions {
  /** Reads GHE_HOST, GHE_PROTOCOL, GH_ORG and WEBHOOK_PROXY_URL. */
  env: NodeJS.ProcessEnv;
  /** Directory holding app.yml and receiving `.env`. */
  cwd: string;
  webhookPath: string;
  log: { info(fields: object, message: string): void; error(fields: object, message: string): void };
  /** Where credentials go; default: merged into `<cwd>/.env`, readable by the owner only. */
  saveCredentials?: (values: Record<string, string>) => Promise<void>;
}

export type SetupHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

interface Conversion {
  id: number;
  slug?: string;
  html_url: string;
  pem: string;
  webhook_secret: string | null;
  client_id: string;
  client_secret: string;
}

const STATE_BYTES = 16;

export function createSetupHandler(options: SetupOptions): SetupHandler {
  const { env, log } = options;
  // Ties GitHub's redirect to a page this server rendered, so a crafted /probot/setup link cannot plant
  // someone else's app credentials in .env.
  const state = randomBytes(STATE_BYTES).toString('hex');
  const protocol = env.GHE_PROTOCOL || 'https';
  const webHost = `${protocol}://${env.GHE_HOST || 'github.com'}`;
  const apiBase = env.GHE_HOST ? `${webHost}/api/v3` : 'https://api.github.com';
  const newAppUrl = `${webHost}${env.GH_ORG ? `/organizations/${encodeURIComponent(env.GH_ORG)}` : ''}/settings/apps/new`;
  const save = options.saveCredentials ?? ((values) => saveToDotEnv(join(options.cwd, '.env'), values));

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://setup.invalid');
    if (req.method !== 'GET') return false;
    if (url.pathname === '/') {
      res.writeHead(302, { location: '/probot' }).end();
      return true;
    }
    if (url.pathname === '/probot') {
      const manifest = await buildManifest(options, baseUrlOf(req));
      const action = `${newAppUrl}?state=${state}`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(setupPage(action, manifest));
      return true;
    }
    if (url.pathname === '/probot/setup') {
      const code = url.searchParams.get('code');
      if (!code || !/^[\w-]+$/.test(code) || url.searchParams.get('state') !== state) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('Missing or invalid code or state.\n');
        return true;
      }
      const response = await fetch(`${apiBase}/app-manifests/${code}/conversions`, {
        method: 'POST',
        headers: { accept: 'application/vnd.github+json', 'user-agent': 'jitterbot-setup' },
      });
      if (!response.ok) {
        log.error({ status: response.status }, 'GitHub refused the app manifest code');
        res.writeHead(502, { 'content-type': 'text/plain' }).end('GitHub refused the registration code.\n');
        return true;
      }
      const app = (await response.json()) as Conversion;
      await save({
        APP_ID: String(app.id),
        PRIVATE_KEY: app.pem,
        WEBHOOK_SECRET: app.webhook_secret ?? '',
        GITHUB_CLIENT_ID: app.client_id,
        GITHUB_CLIENT_SECRET: app.client_secret,
      });
      log.info(
        { appId: app.id, slug: app.slug },
        'GitHub App registered and saved to .env; restart jitterbot',
      );
      res.writeHead(302, { location: `${app.html_url}/installations/new` }).end();
      return true;
    }
    return false;
  };
}

async function buildManifest(options: SetupOptions, baseUrl: string): Promise<string> {
  const manifest = parseYaml(await readFile(join(options.cwd, 'app.yml'), 'utf8')) as Record<string, unknown>;
  return JSON.stringify({
    ...manifest,
    // GitHub cannot reach localhost; a WEBHOOK_PROXY_URL (e.g. a smee.io channel) relays to it.
    hook_attributes: { url: options.env.WEBHOOK_PROXY_URL || `${baseUrl}${options.webhookPath}` },
    redirect_url: `${baseUrl}/probot/setup`,
  });
}

function baseUrlOf(req: IncomingMessage): string {
  const forwardedProto = String(req.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]
    ?.trim();
  const protocol = forwardedProto || ('encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http');
  const host = String(req.headers['x-forwarded-host'] ?? req.headers.host ?? 'localhost');
  return `${protocol}://${host}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function setupPage(action: string, manifest: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Set up jitterbot</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;line-height:1.5}</style></head>
<body>
<h1>Set up jitterbot</h1>
<p>jitterbot has no GitHub App credentials yet. Register a GitHub App from this server's <code>app.yml</code>:
GitHub shows the permissions it asks for, you pick a name, and the credentials come back here and are
saved to <code>.env</code>.</p>
<form action="${escapeHtml(action)}" method="post">
<input type="hidden" name="manifest" value="${escapeHtml(manifest)}">
<button type="submit">Register GitHub App</button>
</form>
<p>Then install the app on your repositories and restart jitterbot.</p>
</body>
</html>
`;
}

/** Merges values into a dotenv file Node can read (`process.loadEnvFile`, `util.parseEnv`). */
export async function saveToDotEnv(path: string, values: Record<string, string>): Promise<void> {
  let existing: Record<string, string> = {};
  try {
    existing = parseEnv(await readFile(path, 'utf8')) as Record<string, string>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const merged = { ...existing, ...values };
  const text = Object.entries(merged)
    .map(([key, value]) => `${key}=${quoteEnvValue(value)}`)
    .join('\n');
  await writeFile(path, `${text}\n`, { mode: 0o600 });
}

/**
 * Plain values are written unquoted, so `docker run --env-file .env` (which passes everything after `=`
 * literally, quotes included) reads the same values as Node's dotenv parser. A private key's newlines
 * are written as `\n`, which both pass through and Probot turns back into newlines. Only a value that
 * would not survive unquoted (a quote, a `#`, edge spaces — never a key or secret GitHub issues) is
 * quoted.
 */
function quoteEnvValue(value: string): string {
  const oneLine = value.replace(/\r?\n/g, '\\n');
  if (/^[^\s"'`#]([^"'`#]*[^\s"'`#])?$/.test(oneLine) || oneLine === '') return oneLine;
  if (!oneLine.includes('"')) return `"${oneLine}"`;
  if (!value.includes("'") && !/\n/.test(value)) return `'${value}'`;
  return `\`${oneLine}\``;
}
