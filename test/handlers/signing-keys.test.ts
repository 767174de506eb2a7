import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The deployed path of the link keys: the local stack gives them in LINK_SIGNING_KEYS, so only this test reads the
// secret as the functions do on AWS (GetSecretValue, the five-minute cache a rotation relies on).
const SECRET_ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:LinkSigningKeys-AbCdEf';
const K1 = 'a'.repeat(64);
const K2 = 'b'.repeat(64);
const env = { LINK_KEYS_SECRET_ARN: SECRET_ARN, AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' };
const secretsManager = mockClient(SecretsManagerClient);

// The cache is module state, as in a Lambda sandbox: every test starts a new sandbox.
const freshSandbox = async () => {
  vi.resetModules();
  return import('../../lambdas/adapters/signing-keys.js');
};
const secret = (value: object | string) => ({ SecretString: typeof value === 'string' ? value : JSON.stringify(value) });

describe('link signing keys from Secrets Manager', () => {
  beforeEach(() => {
    secretsManager.reset();
    Object.assign(process.env, env);
  });
  afterEach(() => {
    delete process.env.LINK_KEYS_SECRET_ARN;
  });

  it('GIVEN the secret ARN WHEN keys are loaded THEN they come from that secret, with its current key', async () => {
    secretsManager.on(GetSecretValueCommand).resolves(secret({ current: 'k1', k1: K1 }));
    const { loadSigningKeys } = await freshSandbox();
    const keys = await loadSigningKeys(env, 0);
    expect(secretsManager.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([{ SecretId: SECRET_ARN }]);
    expect(keys.current).toBe('k1');
    expect(keys.keys.k1?.toString('utf8')).toBe(K1);
  });

  it('GIVEN a rotation WHEN five minutes have passed THEN the new current key is used, and not before', async () => {
    secretsManager.on(GetSecretValueCommand).resolvesOnce(secret({ current: 'k1', k1: K1 })).resolves(secret({ current: 'k2', k1: K1, k2: K2 }));
    const { loadSigningKeys } = await freshSandbox();
    expect((await loadSigningKeys(env, 0)).current).toBe('k1');
    expect((await loadSigningKeys(env, 5 * 60_000 - 1)).current).toBe('k1');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    const rotated = await loadSigningKeys(env, 5 * 60_000);
    expect(rotated.current).toBe('k2');
    expect(Object.keys(rotated.keys).sort()).toEqual(['k1', 'k2']);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it.each([
    ['not JSON', 'k1=aaaa', 'Link signing keys from Secrets Manager are not JSON'],
    ['a current key that is missing', { current: 'k2', k1: K1 }, '"current" must name one of the keys'],
    ['a key too short to sign with', { current: 'k1', k1: 'short' }, 'signing key "k1" must have an id of 1-16 [A-Za-z0-9_-] and at least 32 characters'],
  ])('GIVEN a secret with %s WHEN keys are loaded THEN it is refused with a message saying so, and read again next time', async (_what, value, message) => {
    secretsManager.on(GetSecretValueCommand).resolvesOnce(secret(value)).resolves(secret({ current: 'k1', k1: K1 }));
    const { loadSigningKeys } = await freshSandbox();
    await expect(loadSigningKeys(env, 0)).rejects.toThrow(message);
    expect((await loadSigningKeys(env, 1)).current).toBe('k1');
  });

  it('GIVEN Secrets Manager refuses the read WHEN keys are loaded THEN the error reaches the caller (the function fails visibly)', async () => {
    secretsManager.on(GetSecretValueCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const { loadSigningKeys } = await freshSandbox();
    await expect(loadSigningKeys(env, 0)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('status link keys from Secrets Manager', () => {
  const STATUS_SECRET_ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:StatusLinkKeys-GhIjKl';
  const both = { ...env, STATUS_KEYS_SECRET_ARN: STATUS_SECRET_ARN };
  beforeEach(() => secretsManager.reset());

  it('GIVEN both secrets WHEN the status keys are loaded THEN only the status secret is read, and each set of keys is cached on its own', async () => {
    secretsManager.on(GetSecretValueCommand, { SecretId: STATUS_SECRET_ARN }).resolves(secret({ current: 's1', s1: K2 }));
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves(secret({ current: 'k1', k1: K1 }));
    const { loadSigningKeys, loadStatusKeys } = await freshSandbox();
    const status = await loadStatusKeys(both, 0);
    expect(secretsManager.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([{ SecretId: STATUS_SECRET_ARN }]);
    expect(status.current).toBe('s1');
    expect(status.keys.s1?.toString('utf8')).toBe(K2);
    // The link keys are another secret, not the cached status keys.
    expect((await loadSigningKeys(both, 1)).current).toBe('k1');
    expect((await loadStatusKeys(both, 2)).current).toBe('s1');
    expect(secretsManager.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input.SecretId)).toEqual([STATUS_SECRET_ARN, SECRET_ARN]);
  });

  it('GIVEN no status secret nor STATUS_LINK_KEYS THEN the status keys are a configuration error naming both', async () => {
    const { loadStatusKeys } = await freshSandbox();
    await expect(loadStatusKeys(env, 0)).rejects.toThrow('Invalid configuration: STATUS_KEYS_SECRET_ARN or STATUS_LINK_KEYS must be set');
    expect(secretsManager.calls()).toHaveLength(0);
  });

  it('GIVEN a status secret that is not JSON THEN the message names the status link keys', async () => {
    secretsManager.on(GetSecretValueCommand).resolves(secret('s1=aaaa'));
    const { loadStatusKeys } = await freshSandbox();
    await expect(loadStatusKeys(both, 0)).rejects.toThrow('Status link keys from Secrets Manager are not JSON');
  });
});
