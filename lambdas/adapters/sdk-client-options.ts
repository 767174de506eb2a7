import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Options of every SDK client the functions build. Lambda puts the execution role's credentials in the
 * environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and so does the local stack: the
 * clients read them there instead of walking the default provider chain (profiles, SSO, web identity,
 * container and instance metadata), which would be bundled and loaded with STS and SSO clients of its own.
 */
export const sdkClientOptions = () => ({ credentials: fromEnv() });

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the bundles (BUNDLE_ALIASES in
 * lib/procedure-function.ts): the clients' runtime config imports that package's default chain even though
 * `credentials` is always given, so without the alias the whole chain would be bundled without ever running.
 */
export const defaultProvider = fromEnv;
