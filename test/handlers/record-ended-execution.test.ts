import { UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CaseStatus } from '../../lambdas/core/case.js';
import { ValidationError } from '../../lambdas/core/errors.js';
import { executionEndedEvent } from '../../lambdas/core/events.js';
import type { IncidentRecord } from '../../lambdas/core/incident.js';
import { handler } from '../../lambdas/record-ended-execution/index.js';
import { recordEndedExecution } from '../../lambdas/services/ended-executions.js';
import { CASE_ID, NOW, STATUS_LINKS, caseRecord } from '../unit/fixtures.js';
import { FakeTable, awsMocks, captureLogs, conditionalCheckFailed, readUpdate, queuedEmails, updates } from './aws.js';
import type { CaseMetric } from '../../lambdas/core/metrics.js';

const { ddb, sqs, sfn, store, mailer } = awsMocks();
let table: FakeTable;
const OPERATIONS = 'dyzur.procedura@mrpips.gov.pl';
const EXECUTION_ARN = `arn:aws:states:eu-central-1:123456789012:execution:SupplierChangeProcedure:${CASE_ID}`;
let counted: CaseMetric[] = [];
const deps = () => ({ store, mailer, statusLinks: STATUS_LINKS, operationsEmail: OPERATIONS, count: (metric: CaseMetric) => void counted.push(metric), now: NOW });

/** The event Step Functions sends to EventBridge (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html). */
function statusChange(detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: '315c1398-40ff-a850-213b-158f73e60175',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '123456789012',
    time: '2027-03-10T09:00:00Z',
    region: 'eu-central-1',
    resources: [EXECUTION_ARN],
    detail: {
      executionArn: EXECUTION_ARN,
      stateMachineArn: 'arn:aws:states:eu-central-1:123456789012:stateMachine:SupplierChangeProcedure',
      name: CASE_ID,
      status: 'TIMED_OUT',
      startDate: 1773133200000,
      stopDate: 1804669200000,
      input: '{}',
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      error: null,
      cause: null,
      ...detail,
    },
  };
}
const ended = (detail: Record<string, unknown> = {}) => executionEndedEvent.parse(statusChange(detail));

/**
 * The case item's conditional updates as DynamoDB evaluates them (updateCaseIf: the case exists, the event was
 * not applied, the status is one of the allowed), and any other update applied as it is.
 */
function conditionalUpdates(): void {
  ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
    const update = readUpdate(input);
    const item = table.items.get(`${update.pk}|${update.sk}`);
    if (update.sk === 'CASE') {
      const applied = (item?.appliedEventIds as Set<string> | undefined) ?? new Set<string>();
      const allowed = Object.entries(update.values).filter(([name]) => name.startsWith(':allowed')).map(([, status]) => status);
      const eventId = update.values[':eventId'] as string;
      if (!item || applied.has(eventId) || (allowed.length > 0 && !allowed.includes(item.status))) throw conditionalCheckFailed();
      table.put(update.pk, update.sk, { ...item, ...update.set, appliedEventIds: new Set([...applied, eventId]) });
    } else if (item) {
      table.put(update.pk, update.sk, { ...item, ...update.set });
    }
    return {};
  });
}

function caseIs(status: CaseStatus): void {
  const { caseId: _id, ...record } = caseRecord({ status });
  table.put(`CASE#${CASE_ID}`, 'CASE', { ...record, caseId: CASE_ID });
}

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  sfn.reset();
  table = new FakeTable(ddb).putsIfAbsent();
  conditionalUpdates();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'msg-1' });
  captureLogs();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('record-ended-execution: the event at the edge', () => {
  it.each([
    ['another source', { ...statusChange(), source: 'aws.lambda' }, 'source'],
    ['another detail-type', { ...statusChange(), 'detail-type': 'Step Functions State Machine Status Change' }, 'detail-type'],
    ['a status the rule does not deliver', statusChange({ status: 'SUCCEEDED' }), 'detail.status'],
    ['an execution name that is not a case id', statusChange({ name: 'a1b2c3' }), 'detail.name'],
    ['no execution ARN', statusChange({ executionArn: undefined }), 'detail.executionArn'],
    ['no stop date', statusChange({ stopDate: null }), 'detail.stopDate'],
  ])('GIVEN %s THEN ValidationError naming the field, and nothing is read, written or sent', async (_what, event, field) => {
    const refused = await handler(event).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as Error).message).toContain('Invalid record-ended-execution event');
    expect((refused as Error).message).toContain(`${field}:`);
    expect(ddb.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('GIVEN the detail of a timed-out execution THEN the case id is the execution name and there is no error or cause', () => {
    expect(ended()).toEqual({ caseId: CASE_ID, executionArn: EXECUTION_ARN, status: 'TIMED_OUT', stopDate: 1804669200000 });
  });
});

describe('recordEndedExecution', () => {
  it.each(['IN_PROGRESS', 'STALLED', 'INCIDENT'] as CaseStatus[])('GIVEN a case %s WHEN its execution timed out THEN it is FAILED with the reason and operations are e-mailed in Polish', async (status) => {
    caseIs(status);
    counted = [];
    const result = await recordEndedExecution(deps(), ended());
    expect(counted).toEqual(['CaseFailed']);
    expect(result).toEqual({ outcome: 'marked FAILED', reason: 'the execution ended TIMED_OUT' });
    const [write] = updates(ddb, { pk: `CASE#${CASE_ID}`, sk: 'CASE' });
    expect(write!.set).toMatchObject({ status: 'FAILED', failure: { step: 'PROCEDURE', reason: 'the execution ended TIMED_OUT', at: NOW.toISOString() } });
    expect(write!.condition).toContain('#status IN (:allowed0, :allowed1, :allowed2)');
    const [mail, ...more] = queuedEmails(sqs);
    expect(more).toEqual([]);
    expect(mail!.to).toEqual([OPERATIONS]);
    expect(mail!.subject.startsWith(`[${CASE_ID}] `) && mail!.subject.endsWith(': wykonanie procedury zakończyło się nieprawidłowo'), mail!.subject).toBe(true);
    expect(mail!.text).toContain(`Wykonanie procedury w sprawie ${CASE_ID} przekroczyło roczny limit czasu wykonania (TIMED_OUT)`);
    expect(mail!.text).toContain('Przyczyna: the execution ended TIMED_OUT');
    expect(mail!.text).toContain(EXECUTION_ARN);
  });

  it('GIVEN an execution that failed with an uncatchable error THEN the reason carries its error and cause', async () => {
    caseIs('IN_PROGRESS');
    const result = await recordEndedExecution(deps(), ended({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: 'The state/task returned a result with a size exceeding the maximum number of bytes service limit.' }));
    expect(result).toEqual({ outcome: 'marked FAILED', reason: 'the execution ended FAILED: States.DataLimitExceeded: The state/task returned a result with a size exceeding the maximum number of bytes service limit.' });
    expect(table.items.get(`CASE#${CASE_ID}|CASE`)).toMatchObject({ status: 'FAILED' });
  });

  it('GIVEN the same event twice (at-least-once delivery) THEN the case is marked once, one timeline entry, one e-mail', async () => {
    caseIs('IN_PROGRESS');
    counted = [];
    const event = ended({ status: 'ABORTED', error: 'Console', cause: 'Stopped by hand' });
    const first = await recordEndedExecution(deps(), event);
    const second = await recordEndedExecution({ ...deps(), now: new Date(NOW.getTime() + 60_000) }, event);
    expect(first).toEqual({ outcome: 'marked FAILED', reason: 'the execution ended ABORTED: Console: Stopped by hand' });
    expect(second).toEqual(first);
    expect(queuedEmails(sqs)).toHaveLength(1);
    expect(counted).toEqual(['CaseFailed']);
    const entries = [...table.items.keys()].filter((key) => key.startsWith(`CASE#${CASE_ID}|EVENT#`));
    expect(entries).toEqual([`CASE#${CASE_ID}|EVENT#${[...(table.items.get(`CASE#${CASE_ID}|CASE`)!.appliedEventIds as Set<string>)][0]}`]);
    expect(table.items.get(`CASE#${CASE_ID}|CASE`)).toMatchObject({ failure: { at: NOW.toISOString() } });
  });

  it('GIVEN the case\'s waiting incident THEN it is closed with the reason and its token removed', async () => {
    caseIs('INCIDENT');
    const incident: Omit<IncidentRecord, 'caseId'> = { incidentId: 'i-1', state: '1 Acknowledge notification', error: 'EmailRejected', reason: 'EmailRejected: …', openedAt: NOW.toISOString(), waitsUntil: NOW.toISOString(), executionId: EXECUTION_ARN, status: 'OPEN', taskToken: 'token-1' };
    table.put(`CASE#${CASE_ID}`, 'INCIDENT#i-1', { caseId: CASE_ID, ...incident });
    await recordEndedExecution(deps(), ended());
    // Its token goes with the case's others (every write to it removes the token), and it is closed.
    const writes = updates(ddb, { sk: 'INCIDENT#i-1' });
    expect(writes.find((write) => write.set.status)!.set).toMatchObject({ status: 'CLOSED', closedBecause: 'the execution ended TIMED_OUT' });
    expect(writes.every((write) => write.update.includes('REMOVE #token'))).toBe(true);
  });

  it.each([
    ['CANCELLED (cancel stops the execution itself)', 'CANCELLED', { status: 'ABORTED', error: 'CaseCancelled', cause: 'cancelled by MRPiPS' }],
    ['FAILED through Record failure (the execution fails with CaseFailed)', 'FAILED', { status: 'FAILED', error: 'CaseFailed', cause: 'IncidentLimitReached: …' }],
    ['COMPLETED', 'COMPLETED', { status: 'ABORTED', error: 'Console', cause: '' }],
  ] as [string, CaseStatus, Record<string, unknown>][])('GIVEN a case %s THEN nothing changes and nobody is e-mailed', async (_what, status, detail) => {
    caseIs(status);
    const result = await recordEndedExecution(deps(), ended(detail));
    expect(result).toEqual({ outcome: 'left as it was', status });
    expect(table.items.get(`CASE#${CASE_ID}|CASE`)).toMatchObject({ status });
    expect([...table.items.keys()].filter((key) => /EVENT#|MAIL#/.test(key))).toEqual([]);
    expect(queuedEmails(sqs)).toEqual([]);
  });

  it('GIVEN no case was ever registered THEN operations are told all the same (the notification would be lost)', async () => {
    const result = await recordEndedExecution(deps(), ended({ status: 'FAILED', error: 'States.Runtime', cause: 'An error occurred while executing the state.' }));
    expect(result).toMatchObject({ outcome: 'unregistered' });
    const [mail] = queuedEmails(sqs);
    expect(mail!.text).toContain('Sprawa nie została zarejestrowana');
    expect(updates(ddb, { sk: 'CASE' })).toEqual([]);
  });
});
