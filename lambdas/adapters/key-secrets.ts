import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { signingKeysSchema, type SigningKeys } from '../core/links.js';
import { sdkClientOptions } from './sdk-client-options.js';

const CACHE_MS = 5 * 60 * 1000;
let client: SecretsManagerClient | undefined;

function parse(raw: string, what: string, source: string): SigningKeys {
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
 * A loader of HMAC keys kept in a secret of the `{"current":"k1","k1":"…"}` format: from Secrets Manager in AWS
 * (the ARN in `secretArnVariable`), cached for five minutes so a rotation reaches every function quickly; from
 * the JSON in `localVariable` in the local stack.
 */
export function keySecret(what: string, secretArnVariable: string, localVariable: string) {
  let cached: { keys: SigningKeys; at: number } | undefined;
  return async (env: Record<string, string | undefined> = process.env, now = Date.now()): Promise<SigningKeys> => {
    if (cached && now - cached.at < CACHE_MS) return cached.keys;
    let keys: SigningKeys;
    if (env[secretArnVariable]) {
      client ??= new SecretsManagerClient(sdkClientOptions());
      const out = await client.send(new GetSecretValueCommand({ SecretId: env[secretArnVariable] }));
      keys = parse(out.SecretString ?? '', what, 'Secrets Manager');
    } else if (env[localVariable]) {
      keys = parse(env[localVariable], what, localVariable);
    } else {
      throw new Error(`Invalid configuration: ${secretArnVariable} or ${localVariable} must be set`);
    }
    cached = { keys, at: now };
    return keys;
  };
}
