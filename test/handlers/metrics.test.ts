import { PutItemCommand, UpdateItemCommand, type PutItemCommandInput, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as escalateStepHandler } from '../../lambdas/escalate-step/index.js';
import { handler as recordFailureHandler } from '../../lambdas/record-failure/index.js';
import { handler as registerCaseHandler } from '../../lambdas/register-case/index.js';
import { handler as sendNoticeHandler } from '../../lambdas/send-notice/index.js';
import { VOIVODESHIP_CODES } from '../../lambdas/core/voivodeships.js';
import { CASE_ID, MRPIPS_EMAIL, adminOf, caseAfterStepA, caseRecord, notification } from '../unit/fixtures.js';
import { FakeTable, awsMocks, captureLogs, conditionalCheckFailed, readUpdate, serviceError } from './aws.js';

/**
 * The business metrics as CloudWatch receives them: the embedded-metric-format (EMF) line each handler writes to
 * stdout (lambdas/adapters/metrics.ts, Powertools Metrics), read back and parsed here. Every action is invoked
 * twice with the same event, as Lambda's at-least-once delivery and the state machines' retries do: the fact is
 * counted by the first invocation only. vitest.config.ts turns the metrics off everywhere else.
 */
const SERVICE = 'SupplierChangeStack';
const { ddb, sqs, sfn } = awsMocks();
let table: FakeTable;

beforeAll(() => {
  Object.assign(process.env, {
    POWERTOOLS_METRICS_DISABLED: 'false',
    POWERTOOLS_METRICS_NAMESPACE: 'ZmianaSD',
    POWERTOOLS_SERVICE_NAME: SERVICE,
    TABLE_NAME: 'zmiana-sd-test',
    LINK_SIGNING_KEYS: JSON.stringify({ current: 'k1', k1: 'k1-secret-0123456789abcdefghijklmnopqrstuvwxyz' }),
    STATUS_LINK_KEYS: JSON.stringify({ current: 's1', s1: 's1-secret-0123456789abcdefghijklmnopqrstuvwxyz' }),
    AWS_REGION: 'eu-central-1',
    OUTBOX_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/111111111111/zmiana-sd-outbox',
    MRPIPS_EMAIL,
    VOIVODESHIP_ADMINS: JSON.stringify(Object.fromEntries(VOIVODESHIP_CODES.map((code) => [code, adminOf(code)]))),
    PUBLIC_BASE_URL: 'https://zmiana-sd.mrpips.gov.pl',
  });
  delete process.env.LINK_KEYS_SECRET_ARN;
});

let stdout: () => string[];

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  sfn.reset();
  table = new FakeTable(ddb);
  keepConditionalWrites(table);
  sqs.on(SendMessageCommand).resolves({ MessageId: 'msg-1' });
  captureLogs();
  stdout = captureStdout();
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Lines written to stdout (where Lambda's runtime takes log lines from), not passed on. */
function captureStdout(): () => string[] {
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  return () => written.join('').split('\n').filter((line) => line.trim() !== '');
}

interface EmfLine {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** Every stdout line, parsed: each must be an EMF object (nothing else is written to stdout by these handlers). */
function emfLines(): EmfLine[] {
  return stdout().map((line) => {
    const parsed = JSON.parse(line) as EmfLine;
    expect(parsed._aws, line).toBeDefined();
    return parsed;
  });
}

/** metric name = value of each line, checking the namespace, the one dimension and the unit. */
function counted(): string[] {
  return emfLines().map((line) => {
    const [directive, ...more] = line._aws.CloudWatchMetrics;
    expect(more).toEqual([]);
    expect(directive!.Namespace).toBe('ZmianaSD');
    expect(directive!.Dimensions).toEqual([['service']]);
    expect(line.service).toBe(SERVICE);
    expect(directive!.Metrics).toHaveLength(1);
    const { Name, Unit } = directive!.Metrics[0]!;
    expect(Unit).toBe('Count');
    return `${Name}=${String(line[Name])}`;
  });
}

/**
 * DynamoDB's conditions that make a repeated action find its work done: a conditional put (`attribute_not_exists(pk)`:
 * the case, e-mail markers) fails when the item exists, and a case update carrying a timeline event id fails when
 * that event is already on the case.
 */
function keepConditionalWrites(fake: FakeTable): void {
  ddb.on(PutItemCommand).callsFake((input: PutItemCommandInput) => {
    const { pk, sk, ...item } = unmarshall(input.Item!) as { pk: string; sk: string };
    if (input.ConditionExpression === 'attribute_not_exists(pk)' && fake.items.has(`${pk}|${sk}`)) throw conditionalCheckFailed();
    fake.put(pk, sk, item);
    return {};
  });
  ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
    const update = readUpdate(input);
    const eventId = update.values[':eventId'] as string | undefined;
    if (update.sk !== 'CASE' || eventId === undefined) return {};
    const current = fake.items.get(`${update.pk}|CASE`) as { timelineIds?: Set<string>; status?: string } | undefined;
    if (!current || current.timelineIds?.has(eventId)) throw conditionalCheckFailed();
    fake.put(update.pk, 'CASE', { ...current, ...update.set, timelineIds: new Set([...(current.timelineIds ?? []), eventId]) });
    return {};
  });
}

describe('business metrics: one EMF line per fact, none on a repeated invocation', () => {
  it('GIVEN a notification WHEN register-case runs twice THEN CaseStarted=1 is written once, by the invocation that created the case', async () => {
    const event = { caseId: CASE_ID, notification: notification(), executionId: 'arn:exec' };
    // WHEN
    await registerCaseHandler(event);
    // THEN
    expect(counted()).toEqual(['CaseStarted=1']);
    // WHEN delivered again
    await registerCaseHandler(event);
    // THEN
    expect(counted()).toEqual(['CaseStarted=1']);
  });

  it('GIVEN register-case created the case and its answer was lost WHEN the state machine retries THEN CaseStarted is counted once, by the invocation that created it', async () => {
    const event = { caseId: CASE_ID, notification: notification() };
    // WHEN
    await expect(registerCaseHandler(event)).resolves.toEqual({ caseId: CASE_ID });
    // THEN
    expect(counted()).toEqual(['CaseStarted=1']);
    // WHEN the state machine retries
    await expect(registerCaseHandler(event)).resolves.toEqual({ caseId: CASE_ID });
    // THEN
    expect(counted()).toEqual(['CaseStarted=1']);
  });

  it('GIVEN a case at its end WHEN send-notice CASE_COMPLETED runs twice THEN CaseCompleted=1 once; other notices count nothing', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA());
    // WHEN
    await sendNoticeHandler({ caseId: CASE_ID, notice: 'NOTIFICATION_REGISTERED' });
    await sendNoticeHandler({ caseId: CASE_ID, notice: 'CASE_COMPLETED' });
    await sendNoticeHandler({ caseId: CASE_ID, notice: 'CASE_COMPLETED' });
    // THEN
    expect(counted()).toEqual(['CaseCompleted=1']);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(2);
  });

  it('GIVEN a step past its final deadline WHEN escalate-step (stalled) runs twice THEN CaseStalled=1 once; an ordinary escalation counts nothing', async () => {
    table
      .put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA())
      .put(`CASE#${CASE_ID}`, 'STEP#MZT_DEACTIVATED.1', { step: 'MZT_DEACTIVATED', status: 'PENDING', recipient: adminOf('14'), requestedAt: '2026-03-01T08:00:00.000Z' });
    // WHEN
    await escalateStepHandler({ caseId: CASE_ID, step: 'MZT_DEACTIVATED', round: 1, remindersSent: 2, stalled: false });
    await escalateStepHandler({ caseId: CASE_ID, step: 'MZT_DEACTIVATED', round: 1, remindersSent: 4, stalled: true });
    await escalateStepHandler({ caseId: CASE_ID, step: 'MZT_DEACTIVATED', round: 1, remindersSent: 4, stalled: true });
    // THEN
    expect(counted()).toEqual(['CaseStalled=1']);
  });

  it('GIVEN a failed action WHEN record-failure runs twice THEN CaseFailed=1 once', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseRecord());
    const event = { caseId: CASE_ID, step: 'PROCEDURE', round: 0, failure: { Error: 'States.TaskFailed', Cause: 'boom' } };
    // WHEN
    await recordFailureHandler(event);
    await recordFailureHandler(event);
    // THEN
    expect(counted()).toEqual(['CaseFailed=1']);
  });

  it('GIVEN a failure of a case that was never registered THEN nothing is counted', async () => {
    // WHEN
    await recordFailureHandler({ caseId: CASE_ID, step: 'PROCEDURE', round: 0, failure: { Error: 'ValidationError', Cause: 'teryt' } });
    // THEN
    expect(stdout()).toEqual([]);
  });
});
