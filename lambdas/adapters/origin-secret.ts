import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { sdkClientOptions } from './sdk-client-options.js';

// As the link keys (signing-keys.ts): a new value reaches every sandbox within five minutes of a change.
const CACHE_MS = 5 * 60 * 1000;
let cached: { secret: string; arn: string; at: number } | undefined;
let client: SecretsManagerClient | undefined;

/**
 * The value CloudFront sends in the origin-verification header: from Secrets Manager on AWS
 * (ORIGIN_VERIFICATION_SECRET_ARN, the secret CloudFront's origin header resolves at deploy time), from
 * ORIGIN_VERIFICATION_VALUE in the local stack (local/edge.ts). Neither set is a configuration error, so every
 * request is refused rather than let through unverified.
 */
export async function loadOriginSecret(env: Record<string, string | undefined> = process.env, now = Date.now()): Promise<string> {
  const arn = env.ORIGIN_VERIFICATION_SECRET_ARN;
  if (arn) {
    if (cached && cached.arn === arn && now - cached.at < CACHE_MS) return cached.secret;
    client ??= new SecretsManagerClient(sdkClientOptions());
    const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    if (!out.SecretString) throw new Error('Origin verification secret from Secrets Manager is empty');
    cached = { secret: out.SecretString, arn, at: now };
    return out.SecretString;
  }
  if (env.ORIGIN_VERIFICATION_VALUE) return env.ORIGIN_VERIFICATION_VALUE;
  throw new Error('Invalid configuration: ORIGIN_VERIFICATION_SECRET_ARN or ORIGIN_VERIFICATION_VALUE must be set');
}
