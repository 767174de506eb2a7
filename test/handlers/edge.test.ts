import {
  ConditionalCheckFailedException,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { classifyAwsError } from '../../lambdas/adapters/errors.js';
import { handler as applyResponseHandler } from '../../lambdas/apply-response/index.js';
import { handler as caseStatusHandler } from '../../lambdas/case-status/index.js';
import { handler as confirmationLinksHandler } from '../../lambdas/confirmation-links/index.js';
import { ConflictError, TransientError, ValidationError } from '../../lambdas/core/errors.js';
import { hashLinkId, signLink, signingKeysSchema, statusUrl, verifyStatusLink } from '../../lambdas/core/links.js';
import { VOIVODESHIP_CODES } from '../../lambdas/core/voivodeships.js';
import { handler as notificationFormHandler } from '../../lambdas/notification-form/index.js';
import { handler as registerCaseHandler } from '../../lambdas/register-case/index.js';
import { handler as requestConfirmationHandler } from '../../lambdas/request-confirmation/index.js';
import { handler as sendNoticeHandler } from '../../lambdas/send-notice/index.js';
import { CASE_ID, JST_EMAIL, MRPIPS_EMAIL, caseRecord, notification, notificationForm } from '../unit/fixtures.js';
import { FakeTable, awsMocks, captureLogs, queuedEmails, serviceError } from './aws.js';

const { ddb, sqs, sfn } = awsMocks();
const KEYS_JSON = JSON.stringify({ current: 'k1', k1: 'k1-secret-0123456789abcdefghijklmnopqrstuvwxyz' });
const KEYS = signingKeysSchema.parse(JSON.parse(KEYS_JSON));
const STATUS_KEYS_JSON = JSON.stringify({ current: 's1', s1: 's1-secret-0123456789abcdefghijklmnopqrstuvwxyz' });
const STATUS_KEYS = signingKeysSchema.parse(JSON.parse(STATUS_KEYS_JSON));
const PUBLIC_BASE_URL = 'https://zmiana-sd.mrpips.gov.pl';
const ORIGIN_SECRET = 'origin-secret-0123456789abcdefghijklmnopqrstuvwxyz';
/** What CloudFront adds to every request it passes to the API (lib/link-pages-distribution.ts). */
const THROUGH_CLOUDFRONT = { 'x-origin-verification': ORIGIN_SECRET, 'cloudfront-viewer-address': '198.51.100.7:46532' };
let logs: () => string;

beforeAll(() => {
  // The `handler` wrappers read their configuration from the environment (through zod) on first use.
  Object.assign(process.env, {
    TABLE_NAME: 'zmiana-sd-test',
    LINK_SIGNING_KEYS: KEYS_JSON,
    STATUS_LINK_KEYS: STATUS_KEYS_JSON,
    FORM_TOKEN_KEYS: JSON.stringify({ current: 'f1', f1: 'f1-form-key-0123456789abcdefghijklmnopqrstuv' }),
    PROCEDURE_STATE_MACHINE_ARN: 'arn:aws:states:eu-central-1:123456789012:stateMachine:procedure',
    RESPONSE_TIMEOUT_SECONDS: '604800',
    ESCALATE_AFTER_REMINDERS: '2',
    AWS_REGION: 'eu-central-1',
    OUTBOX_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/111111111111/zmiana-sd-outbox',
    MRPIPS_EMAIL,
    VOIVODESHIP_ADMINS: JSON.stringify(Object.fromEntries(VOIVODESHIP_CODES.map((code) => [code, `administrator.mzt.${code}@uw.gov.pl`]))),
    PUBLIC_BASE_URL,
    ORIGIN_VERIFICATION_VALUE: ORIGIN_SECRET,
  });
  delete process.env.LINK_KEYS_SECRET_ARN;
  delete process.env.FORM_KEYS_SECRET_ARN;
  delete process.env.ORIGIN_VERIFICATION_SECRET_ARN;
  delete process.env.STATUS_KEYS_SECRET_ARN;
});

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  sfn.reset();
  new FakeTable(ddb);
  logs = captureLogs();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const noAwsCalls = () => {
  expect(ddb.calls()).toHaveLength(0);
  expect(sqs.calls()).toHaveLength(0);
  expect(sfn.calls()).toHaveLength(0);
};

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('state machine handlers: the zod edge', () => {
  it('GIVEN apply-response gets a payload with a bad case id and an unknown step THEN ValidationError naming both fields, and no AWS call', async () => {
    const error = await rejectionOf(applyResponseHandler({ caseId: '42', step: 'DELETE_CASE', round: 1, confirmation: { response: {}, participant: { email: 'x', role: 'JST' }, confirmedAt: 'now' } }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.name).toBe('ValidationError');
    expect(error.message).toMatch(/^Invalid apply-response event: /);
    expect(error.message).toContain('caseId: case id must look like ZSD-2026-00042');
    expect(error.message).toContain('step: ');
    noAwsCalls();
  });

  it('GIVEN request-confirmation without a task token THEN ValidationError naming taskToken, and no AWS call (nothing stored, nothing e-mailed)', async () => {
    const error = await rejectionOf(requestConfirmationHandler({ caseId: CASE_ID, step: 'AGREE_VARIANT', round: 1, comment: null, remindersSent: 0, responseTimeoutSeconds: 600 }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain('taskToken: ');
    noAwsCalls();
  });

  it('GIVEN a payload that is not an object THEN ValidationError naming the event', async () => {
    const error = await rejectionOf(registerCaseHandler('ZSD-2026-00042'));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/^Invalid register-case event: \(event\): /);
    noAwsCalls();
  });

  it('GIVEN DynamoDB is throttling WHEN register-case runs THEN it fails with TransientError (which the state machine retries)', async () => {
    ddb.on(PutItemCommand).rejects(new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: { httpStatusCode: 400 } }));
    const error = await rejectionOf(registerCaseHandler({ caseId: CASE_ID, notification: notification() }));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.name).toBe('TransientError');
    expect(error.message).toContain('ProvisionedThroughputExceededException');
    expect(logs()).toContain('"action":"register-case"');
  });
});

/** The hidden fields of a rendering of the form (its submission id and token), as a browser posts them back. */
async function freshForm(): Promise<Record<string, string>> {
  const page = await notificationFormHandler(httpEvent('GET', '/zgloszenie'));
  return Object.fromEntries([...String(page.body).matchAll(/<input type="hidden" name="(submissionId|formToken)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
}

function httpEvent(method: string, path: string, rawQueryString = '', body?: string, isBase64Encoded = false): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...THROUGH_CLOUDFRONT },
    // CloudFront's edge server, as API Gateway sees it: never the participant's address.
    requestContext: { http: { method, path, protocol: 'HTTP/1.1', sourceIp: '130.176.0.1', userAgent: 'test-agent' } },
    body,
    isBase64Encoded,
  } as unknown as APIGatewayProxyEventV2;
}

describe('HTTP handlers: the page edge', () => {
  const query = () =>
    signLink({ caseId: CASE_ID, step: 'AGREE_VARIANT.1', role: 'MRPIPS', recipient: MRPIPS_EMAIL, expiresAt: Math.floor(Date.now() / 1000) + 3600, linkId: 'abcdefghijklmnopqrstuvwx' }, KEYS);
  const pendingAgreeVariant = () =>
    new FakeTable(ddb)
      .put(`CASE#${CASE_ID}`, 'CASE', caseRecord())
      .put(`CASE#${CASE_ID}`, 'STEP#AGREE_VARIANT.1', {
        caseId: CASE_ID, stepKey: 'AGREE_VARIANT.1', step: 'AGREE_VARIANT', round: 1, role: 'MRPIPS', recipient: MRPIPS_EMAIL, status: 'PENDING',
        taskToken: 'token', linkIdHash: hashLinkId('abcdefghijklmnopqrstuvwx'), deadline: '2026-03-17T09:00:00.000Z', comment: null,
      });

  it('GIVEN a tampered link WHEN posted through the handler THEN a 403 page with security headers, and no AWS call', async () => {
    const tampered = query().replace('r=MRPIPS', 'r=JST');
    const result = await confirmationLinksHandler(httpEvent('POST', '/potwierdzenie', tampered, 'decision=WITH_MIGRATION'));
    expect(result.statusCode).toBe(403);
    expect(result.headers!['x-frame-options']).toBe('DENY');
    expect(result.body).toContain('Nieprawidłowy link');
    noAwsCalls();
  });

  it('GIVEN a HEAD request (a mail scanner) for a valid link THEN 200 with no body and nothing is written', async () => {
    pendingAgreeVariant();
    const result = await confirmationLinksHandler(httpEvent('HEAD', '/potwierdzenie', query()));
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe('');
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('GIVEN a valid link posted through the handler without the page token THEN 403 "Formularz nieważny" and nothing is written or handed on', async () => {
    pendingAgreeVariant();
    const result = await confirmationLinksHandler(httpEvent('POST', '/potwierdzenie', query(), 'decision=WITH_MIGRATION'));
    expect(result.statusCode).toBe(403);
    expect(result.body).toContain('Formularz nieważny');
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('GIVEN the status page handler WHEN posted to THEN 405 with Allow: GET, HEAD and no AWS call', async () => {
    const result = await caseStatusHandler(httpEvent('POST', '/sprawa', new URL(statusUrl(PUBLIC_BASE_URL, { caseId: CASE_ID }, STATUS_KEYS)).search.slice(1)));
    expect(result.statusCode).toBe(405);
    expect(result.headers!.allow).toBe('GET, HEAD');
    noAwsCalls();
  });

  it('GIVEN a tampered status link through the handler THEN 403 with security headers and no AWS call', async () => {
    const query = new URLSearchParams(new URL(statusUrl(PUBLIC_BASE_URL, { caseId: CASE_ID }, STATUS_KEYS)).search);
    query.set('c', 'ZSD-2026-00041');
    const result = await caseStatusHandler(httpEvent('GET', '/sprawa', query.toString()));
    expect(result.statusCode).toBe(403);
    expect(result.headers!['content-security-policy']).toContain("default-src 'none'");
    noAwsCalls();
  });

  it('GIVEN a status link signed with the keys of the confirmation links THEN the status page refuses it (403): it verifies with the status keys only', async () => {
    new FakeTable(ddb).put(`CASE#${CASE_ID}`, 'CASE', caseRecord());
    const result = await caseStatusHandler(httpEvent('GET', '/sprawa', new URL(statusUrl(PUBLIC_BASE_URL, { caseId: CASE_ID }, KEYS)).search.slice(1)));
    expect(result.statusCode).toBe(403);
    expect(result.body).toContain('Nieprawidłowy link');
    expect(result.body).not.toContain('Stan sprawy');
    noAwsCalls();
  });

  it('GIVEN a HEAD request for a valid status link through the handler THEN 200 with no body', async () => {
    new FakeTable(ddb).put(`CASE#${CASE_ID}`, 'CASE', caseRecord());
    const result = await caseStatusHandler(httpEvent('HEAD', '/sprawa', new URL(statusUrl(PUBLIC_BASE_URL, { caseId: CASE_ID }, STATUS_KEYS)).search.slice(1)));
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe('');
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it('GIVEN a form body over 32 KB THEN 413 with a Polish message and no AWS call', async () => {
    const result = await notificationFormHandler(httpEvent('POST', '/zgloszenie', '', `officeName=${'a'.repeat(40 * 1024)}`));
    expect(result.statusCode).toBe(413);
    expect(result.body).toContain('Formularz jest za duży.');
    noAwsCalls();
  });

  it('GIVEN a base64-encoded invalid form THEN it is decoded and answered with inline errors, and no AWS call', async () => {
    const body = Buffer.from(new URLSearchParams({ ...notificationForm({ teryt: '3465011' }), ...(await freshForm()) }).toString()).toString('base64');
    const result = await notificationFormHandler(httpEvent('POST', '/zgloszenie', '', body, true));
    expect(result.statusCode).toBe(400);
    expect(result.body).toContain('id="f-teryt-error"');
    noAwsCalls();
  });

  it('GIVEN DynamoDB fails unexpectedly THEN a Polish 503 page that says nothing was saved, without the raw error', async () => {
    ddb.on(GetItemCommand).rejects(serviceError('InternalServerError', 500, 'secret internal detail'));
    const result = await notificationFormHandler(httpEvent('POST', '/zgloszenie', '', new URLSearchParams({ ...notificationForm({ plannedChangeDate: '2099-01-01' }), ...(await freshForm()) }).toString()));
    expect(result.statusCode).toBe(503);
    expect(result.body).toContain('Nic nie zostało zapisane');
    expect(result.body).not.toContain('secret internal detail');
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('status links from the runtime', () => {
  it('GIVEN send-notice run through its handler THEN the e-mail links the status page under PUBLIC_BASE_URL, signed with the current key', async () => {
    new FakeTable(ddb).put(`CASE#${CASE_ID}`, 'CASE', caseRecord());
    sqs.on(SendMessageCommand).resolves({ MessageId: 'msg-1' });
    await sendNoticeHandler({ caseId: CASE_ID, notice: 'NOTIFICATION_REGISTERED' });
    const [mail] = queuedEmails(sqs);
    expect(mail!.to).toEqual([JST_EMAIL]);
    const status = new URL(/Przebieg i stan sprawy \(tylko do odczytu\): (\S+)/.exec(mail!.text)![1]!);
    expect(status.origin + status.pathname).toBe(`${PUBLIC_BASE_URL}/sprawa`);
    expect(status.searchParams.get('k')).toBe('s1');
    expect(verifyStatusLink(Object.fromEntries(status.searchParams), STATUS_KEYS)).toEqual({ ok: true, caseId: CASE_ID, generation: 0 });
  });
});

describe('classifyAwsError', () => {
  it.each([
    ['ThrottlingException', 400],
    ['ProvisionedThroughputExceededException', 400],
    ['RequestLimitExceeded', 400],
    ['RequestThrottled', 403],
    ['TooManyRequestsException', 429],
    ['SomethingNew', 429],
    ['InternalServerError', 500],
    ['ServiceUnavailable', 503],
    ['UnknownServerFault', 502],
  ])('GIVEN %s (HTTP %i) THEN it becomes a TransientError keeping the original as cause', (name, status) => {
    const original = serviceError(name, status, 'details');
    const classified = classifyAwsError(original);
    expect(classified).toBeInstanceOf(TransientError);
    expect((classified as Error).name).toBe('TransientError');
    expect((classified as Error).message).toBe(`${name}: details`);
    expect((classified as Error).cause).toBe(original);
  });

  it('GIVEN an error the SDK marks retryable THEN TransientError', () => {
    expect(classifyAwsError(Object.assign(new Error('x'), { name: 'Odd', $retryable: {}, $metadata: { httpStatusCode: 400 } }))).toBeInstanceOf(TransientError);
  });

  it.each(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED'])('GIVEN a network error %s THEN TransientError', (code) => {
    expect(classifyAwsError(Object.assign(new Error('socket'), { code }))).toBeInstanceOf(TransientError);
  });

  it('GIVEN ConditionalCheckFailedException THEN it is returned untouched (a lost race is not retried blindly)', () => {
    const original = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
    expect(classifyAwsError(original)).toBe(original);
  });

  it.each([
    ['ValidationError', () => new ValidationError('bad payload')],
    ['ConflictError', () => new ConflictError('held')],
    ['AccessDeniedException (400)', () => serviceError('AccessDeniedException', 400)],
    ['ResourceNotFoundException (400)', () => serviceError('ResourceNotFoundException', 400)],
  ])('GIVEN %s THEN it is returned untouched', (_name, make) => {
    const original = make();
    expect(classifyAwsError(original)).toBe(original);
  });

  it('GIVEN something that is not an Error THEN it is returned as it is', () => {
    expect(classifyAwsError('boom')).toBe('boom');
  });
});
