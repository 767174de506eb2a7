import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pageHandler } from '../../lambdas/adapters/http.js';
import { isOriginSecret, STRICT_TRANSPORT_SECURITY, viewerAddressSchema } from '../../lambdas/core/edge.js';
import { messagePage } from '../../lambdas/core/pages.js';

// Every page function answers only what CloudFront passes on: the origin-verification header with the secret's value,
// and the viewer's address CloudFront sets (lib/link-pages-distribution.ts). The API's own endpoint gets a 403 page.
const SECRET = 'Zq8pV3nT0wXy6LmR2bKc9dFh4jGs7aQe1uIo5yPlNm0vBx3CzRtWq8EeUu2Ss6Dd';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:OriginVerification-AbCdEf';
const secretsManager = mockClient(SecretsManagerClient);

function event(headers: Record<string, string>, method = 'GET', rawQueryString = ''): APIGatewayProxyEventV2 {
  return {
    rawPath: '/zgloszenie',
    rawQueryString,
    headers,
    isBase64Encoded: false,
    // What API Gateway sees behind CloudFront: an edge server's address.
    requestContext: { http: { method, sourceIp: '130.176.0.1', userAgent: 'test' } },
  } as unknown as APIGatewayProxyEventV2;
}

/** A page that shows the address the handler was given, and records that it ran. */
function echoingHandler() {
  const seen: string[] = [];
  const handler = pageHandler('test', async (request) => {
    seen.push(request.ip);
    return messagePage(200, 'Adres', request.ip);
  });
  return { handler, seen };
}

describe('origin verification: only requests through CloudFront reach a page handler', () => {
  beforeEach(() => {
    process.env.ORIGIN_VERIFICATION_VALUE = SECRET;
    delete process.env.ORIGIN_VERIFICATION_SECRET_ARN;
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each([
    ['no origin-verification header (a request to the API\'s own endpoint)', { 'cloudfront-viewer-address': '198.51.100.7:443' }],
    ['a guessed value', { 'x-origin-verification': 'guess', 'cloudfront-viewer-address': '198.51.100.7:443' }],
    ['the value with one character changed', { 'x-origin-verification': `${SECRET.slice(0, -1)}1`, 'cloudfront-viewer-address': '198.51.100.7:443' }],
    ['the value but no viewer address', { 'x-origin-verification': SECRET }],
    ['the value with a viewer address that is not one', { 'x-origin-verification': SECRET, 'cloudfront-viewer-address': 'localhost' }],
  ])('GIVEN %s WHEN the page is asked for THEN a 403 page with HSTS, and the handler never runs', async (_, headers) => {
    const { handler, seen } = echoingHandler();
    const result = await handler(event(headers));
    expect(result.statusCode).toBe(403);
    expect(result.headers!['strict-transport-security']).toBe(STRICT_TRANSPORT_SECURITY);
    expect(result.body).toContain('<h1>Dostęp zabroniony</h1>');
    expect(result.body).toContain('Nic nie zostało zapisane.');
    expect(seen).toEqual([]);
  });

  it('GIVEN a refused request in English or by HEAD THEN the 403 page is English, and HEAD has no body', async () => {
    const { handler } = echoingHandler();
    expect((await handler(event({}, 'GET', 'lang=en'))).body).toContain('<h1>Access denied</h1>');
    const head = await handler(event({}, 'HEAD'));
    expect([head.statusCode, head.body]).toEqual([403, '']);
  });

  it.each([
    ['198.51.100.7:46532', '198.51.100.7'],
    ['2001:db8::7:46532', '2001:db8::7'],
    ['[2001:DB8::7]:443', '2001:db8::7'],
  ])('GIVEN CloudFront-Viewer-Address %s THEN the handler gets the viewer\'s IP %s, not API Gateway\'s source address', async (address, ip) => {
    const { handler, seen } = echoingHandler();
    const result = await handler(event({ 'x-origin-verification': SECRET, 'cloudfront-viewer-address': address }));
    expect(result.statusCode).toBe(200);
    expect(seen).toEqual([ip]);
  });

  it('GIVEN no origin-verification value configured THEN every request is refused (503, fail closed), none reaches the handler', async () => {
    delete process.env.ORIGIN_VERIFICATION_VALUE;
    const { handler, seen } = echoingHandler();
    const result = await handler(event({ 'x-origin-verification': 'anything', 'cloudfront-viewer-address': '198.51.100.7:443' }));
    expect(result.statusCode).toBe(503);
    expect(seen).toEqual([]);
  });
});

describe('the origin-verification value from Secrets Manager', () => {
  const env = { ORIGIN_VERIFICATION_SECRET_ARN: SECRET_ARN, AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' };
  // The cache is module state, as in a Lambda sandbox: every test starts a new sandbox.
  const freshSandbox = async () => {
    vi.resetModules();
    return import('../../lambdas/adapters/origin-secret.js');
  };
  beforeEach(() => {
    secretsManager.reset();
    Object.assign(process.env, env);
  });
  afterEach(() => {
    delete process.env.ORIGIN_VERIFICATION_SECRET_ARN;
  });

  it('GIVEN the secret ARN THEN the value is read from that secret, once per five minutes, and a changed value is used after that', async () => {
    secretsManager.on(GetSecretValueCommand).resolvesOnce({ SecretString: SECRET }).resolves({ SecretString: 'new-value' });
    const { loadOriginSecret } = await freshSandbox();
    expect(await loadOriginSecret(env, 0)).toBe(SECRET);
    expect(await loadOriginSecret(env, 5 * 60 * 1000 - 1)).toBe(SECRET);
    expect(secretsManager.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([{ SecretId: SECRET_ARN }]);
    expect(await loadOriginSecret(env, 5 * 60 * 1000)).toBe('new-value');
  });

  it('GIVEN an empty secret THEN loading fails (nothing is let through unverified)', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({});
    const { loadOriginSecret } = await freshSandbox();
    await expect(loadOriginSecret(env, 0)).rejects.toThrow('empty');
  });
});

describe('the edge headers, for any input', () => {
  const port = fc.integer({ min: 0, max: 65535 });

  it('GIVEN any IPv4 or IPv6 viewer address with its port, as CloudFront writes it THEN the IP is what remains', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), port, fc.boolean(), (ip, p, bracketed) => {
        const value = bracketed && ip.includes(':') ? `[${ip}]:${p}` : `${ip}:${p}`;
        expect(viewerAddressSchema.parse(value)).toBe(ip.toLowerCase());
      }),
    );
  });

  it('GIVEN any string that is not an address and a port THEN it is refused, never taken as an address', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (value) => {
        const parsed = viewerAddressSchema.safeParse(value);
        if (parsed.success) expect(value.trim()).toMatch(/^(\[[^\]]+\]|[0-9a-fA-F:.]+):\d{1,5}$/);
      }),
    );
  });

  it('GIVEN any value other than the secret THEN it does not verify; the secret itself does', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (given) => {
        expect(isOriginSecret(given, SECRET)).toBe(given === SECRET);
      }),
    );
    expect(isOriginSecret(SECRET, SECRET)).toBe(true);
    expect(isOriginSecret('', '')).toBe(false);
  });
});
