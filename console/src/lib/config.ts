/** Where the console finds its API and how it signs in: `config.json` beside `index.html`.
 * The build ships the local configuration; a deployment writes the Cognito one
 * (`scripts/deploy-console` from the stack's outputs). */
export interface CognitoConfig {
  /** The hosted UI's base URL, e.g. `https://oms.auth.eu-west-1.amazoncognito.com`. */
  domain: string;
  client_id: string;
  redirect_uri: string;
  logout_uri: string;
  scopes: string[];
}

export interface ConsoleConfig {
  auth: 'local' | 'cognito';
  /** The API's base URL without a trailing slash; empty for the same origin. */
  api_base: string;
  cognito?: CognitoConfig;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/config.json', { cache: 'no-cache', headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const config = (await response.json()) as ConsoleConfig;
  if (config.auth !== 'local' && config.auth !== 'cognito') throw new Error('config.json: auth must be local or cognito');
  if (config.auth === 'cognito' && !config.cognito) throw new Error('config.json: cognito settings missing');
  config.api_base = (config.api_base ?? '').replace(/\/+$/, '');
  return config;
}
