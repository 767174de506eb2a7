import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { signingKeysSchema, statusLinks, type SigningKeys, type StatusLinks } from '../core/links.js';
import { mailConfig } from './runtime.js';
import { sdkClientOptions } from './sdk-client-options.js';

const CACHE_MS = 5 * 60 * 1000;
let client: SecretsManagerClient | undefined;

/** Where one set of keys comes from: a secret on AWS, an environment variable with the JSON in the local stack. */
interface KeySource {
  what: string;
  secretArnVariable: string;
  localVariable: string;
}

/** Signs and verifies the confirmation links (they act on a step). */
const LINK_KEYS: KeySource = { what: 'Link signing keys', secretArnVariable: 'LINK_KEYS_SECRET_ARN', localVariable: 'LINK_SIGNING_KEYS' };
/** Signs and verifies the read-only status links only: the status page holds no key that could mint an action link. */
const STATUS_KEYS: KeySource = { what: 'Status link keys', secretArnVariable: 'STATUS_KEYS_SECRET_ARN', localVariable: 'STATUS_LINK_KEYS' };

const cache = new Map<KeySource, { keys: SigningKeys; at: number }>();

function parse(raw: string, source: string, what: string): SigningKeys {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`${what} from ${source} are not JSON`);
  }
  const result = signingKeysSchema.safeParse(json);
  if (!result.success) throw new Error(`${what} from ${source} are invalid: ${result.error.issues.map((i) => i.message).join('; ')}`);
  return result.data;
}

/**
 * HMAC keys: from Secrets Manager in AWS, cached for five minutes so a rotation reaches every function quickly;
 * from the JSON in an environment variable in the local stack.
 */
async function loadKeys(source: KeySource, env: Record<string, string | undefined>, now: number): Promise<SigningKeys> {
  const hit = cache.get(source);
  if (hit && now - hit.at < CACHE_MS) return hit.keys;
  let keys: SigningKeys;
  const secretArn = env[source.secretArnVariable];
  const local = env[source.localVariable];
  if (secretArn) {
    client ??= new SecretsManagerClient(sdkClientOptions());
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    keys = parse(out.SecretString ?? '', 'Secrets Manager', source.what);
  } else if (local) {
    keys = parse(local, source.localVariable, source.what);
  } else {
    throw new Error(`Invalid configuration: ${source.secretArnVariable} or ${source.localVariable} must be set`);
  }
  cache.set(source, { keys, at: now });
  return keys;
}

/** The keys of the confirmation links (LINK_KEYS_SECRET_ARN, locally LINK_SIGNING_KEYS). */
export function loadSigningKeys(env: Record<string, string | undefined> = process.env, now = Date.now()): Promise<SigningKeys> {
  return loadKeys(LINK_KEYS, env, now);
}

/** The keys of the status links (STATUS_KEYS_SECRET_ARN, locally STATUS_LINK_KEYS). */
export function loadStatusKeys(env: Record<string, string | undefined> = process.env, now = Date.now()): Promise<SigningKeys> {
  return loadKeys(STATUS_KEYS, env, now);
}

/** Read-only status links for e-mails, signed with the current status key. */
export async function loadStatusLinks(): Promise<StatusLinks> {
  return statusLinks(mailConfig().PUBLIC_BASE_URL, await loadStatusKeys());
}
