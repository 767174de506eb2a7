import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { signingKeysSchema, statusLinks, type SigningKeys, type StatusLinks } from '../core/links.js';
import { mailConfig } from './runtime.js';
import { sdkClientOptions } from './sdk-client-options.js';

const CACHE_MS = 5 * 60 * 1000;
let cached: { keys: SigningKeys; at: number } | undefined;
let client: SecretsManagerClient | undefined;

function parse(raw: string, source: string): SigningKeys {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`Link signing keys from ${source} are not JSON`);
  }
  const result = signingKeysSchema.safeParse(json);
  if (!result.success) throw new Error(`Link signing keys from ${source} are invalid: ${result.error.issues.map((i) => i.message).join('; ')}`);
  return result.data;
}

/**
 * The HMAC keys for links: from Secrets Manager in AWS (LINK_KEYS_SECRET_ARN), cached for five minutes so a
 * rotation reaches every function quickly; from LINK_SIGNING_KEYS in the local stack.
 */
export async function loadSigningKeys(env: Record<string, string | undefined> = process.env, now = Date.now()): Promise<SigningKeys> {
  if (cached && now - cached.at < CACHE_MS) return cached.keys;
  let keys: SigningKeys;
  if (env.LINK_KEYS_SECRET_ARN) {
    client ??= new SecretsManagerClient(sdkClientOptions());
    const out = await client.send(new GetSecretValueCommand({ SecretId: env.LINK_KEYS_SECRET_ARN }));
    keys = parse(out.SecretString ?? '', 'Secrets Manager');
  } else if (env.LINK_SIGNING_KEYS) {
    keys = parse(env.LINK_SIGNING_KEYS, 'LINK_SIGNING_KEYS');
  } else {
    throw new Error('Invalid configuration: LINK_KEYS_SECRET_ARN or LINK_SIGNING_KEYS must be set');
  }
  cached = { keys, at: now };
  return keys;
}

/** Read-only status links for e-mails, signed with the current link key. */
export async function statusLinksNow(): Promise<StatusLinks> {
  return statusLinks(mailConfig().PUBLIC_BASE_URL, await loadSigningKeys(), Math.floor(Date.now() / 1000));
}
