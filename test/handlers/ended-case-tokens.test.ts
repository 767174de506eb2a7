import { UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordFailure } from '../../lambdas/record-failure/index.js';
import { sendNotice } from '../../lambdas/send-notice/index.js';
import { recordEndedExecution } from '../../lambdas/services/ended-executions.js';
import type { CaseMetric } from '../../lambdas/core/metrics.js';
import { CASE_ID, DIRECTORY, NOW, STATUS_LINKS, caseAfterStepA } from '../unit/fixtures.js';
import { FakeTable, awsMocks, captureLogs, conditionalCheckFailed, readUpdate, serviceError } from './aws.js';

/**
 * Every way a case ends removes the task token from each of its STEP# and INCIDENT# items, whatever their status
 * (a step still pending, an answered step whose token a crash left, a failed step, a retried incident), and a retried ending finishes what a crash left.
 * The end-to-end suites check the same on the local table for each ending (test/e2e, test/faults).
 */
const { ddb, sqs, store, mailer } = awsMocks();
let table: FakeTable;
const count = (_metric: CaseMetric) => undefined;
const EXECUTION_ARN = `arn:aws:states:eu-central-1:123456789012:execution:SupplierChangeProcedure:${CASE_ID}`;

/** Which removal of a token fails (a crash half-way), counting from 1; none when undefined. */
let failingRemoval: number | undefined;

/**
 * UpdateItem applied as DynamoDB would for these writes: SET and REMOVE on an item that exists, and the case item's
 * conditions (the event not applied yet, the status one of those allowed).
 */
function updatesApplied(): void {
  let removals = 0;
  ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
    const u = readUpdate(input);
    const key = `${u.pk}|${u.sk}`;
    const item = table.items.get(key);
    if (!item) throw conditionalCheckFailed();
    if (u.update === 'REMOVE #token' && ++removals === failingRemoval) throw serviceError('ThrottlingException', 400);
    if (u.sk === 'CASE') {
      const applied = (item.appliedEventIds as Set<string> | undefined) ?? new Set<string>();
      const allowed = Object.entries(u.values).filter(([name]) => name.startsWith(':allowed')).map(([, value]) => value);
      if (applied.has(u.values[':eventId'] as string) || (allowed.length && !allowed.includes(item.status))) throw conditionalCheckFailed();
      if (u.values[':eventId']) u.set.appliedEventIds = new Set([...applied, u.values[':eventId'] as string]);
    }
    const next: Record<string, unknown> = { ...item, ...u.set };
    const removed = /REMOVE ([#\w, ]+)/.exec(u.update)?.[1]?.split(',').map((name) => u.names[name.trim()]!) ?? [];
    for (const name of removed) delete next[name];
    table.items.set(key, next);
    return {};
  });
}

const tokensLeft = () => [...table.items.entries()].filter(([key, item]) => key.startsWith(`CASE#${CASE_ID}|`) && 'taskToken' in item).map(([key]) => key.split('|')[1]);

beforeEach(() => {
  failingRemoval = undefined;
  ddb.reset();
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
  table = new FakeTable(ddb)
    .put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ executionId: EXECUTION_ARN }))
    .put(`CASE#${CASE_ID}`, 'STEP#VERIFY_COLLECTIONS.3', { stepKey: 'VERIFY_COLLECTIONS.3', status: 'PENDING', taskToken: 'token-pending' })
    .put(`CASE#${CASE_ID}`, 'STEP#NEW_SD_FEEDING.1', { stepKey: 'NEW_SD_FEEDING.1', status: 'COMPLETED', taskToken: 'token-left-by-a-crash' })
    .put(`CASE#${CASE_ID}`, 'STEP#MZT_DEACTIVATED.1', { stepKey: 'MZT_DEACTIVATED.1', status: 'FAILED', taskToken: 'token-failed' })
    .put(`CASE#${CASE_ID}`, 'STEP#AGREE_VARIANT.1', { stepKey: 'AGREE_VARIANT.1', status: 'COMPLETED' })
    .put(`CASE#${CASE_ID}`, 'INCIDENT#i1', { incidentId: 'i1', status: 'RETRIED', taskToken: 'token-incident' })
    // Another case's token is not this case's to remove.
    .put('CASE#ZSD-2026-00041', 'STEP#AGREE_VARIANT.1', { stepKey: 'AGREE_VARIANT.1', status: 'PENDING', taskToken: 'token-other' });
  for (const { oldCode } of caseAfterStepA().collections) table.put(`COLLECTION#${oldCode}`, 'COLLECTION', { code: oldCode, state: 'ACTIVE', lockedByCase: CASE_ID, lastCaseId: CASE_ID });
  table.putsIfAbsent();
  updatesApplied();
  captureLogs();
});

afterEach(() => vi.restoreAllMocks());

describe('task tokens of an ended case', () => {
  it.each(['NOTIFICATION_UNCONFIRMED', 'NOTIFICATION_REJECTED', 'VERIFICATION_ESCALATED', 'CASE_COMPLETED'] as const)('GIVEN the notice %s (the case ends) THEN no step or incident of the case keeps a task token', async (notice) => {
    await sendNotice({ caseId: CASE_ID, notice }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    expect(tokensLeft()).toEqual([]);
    expect(table.items.get(`CASE#${CASE_ID}|CASE`)).toMatchObject({ endedAt: NOW.toISOString() });
    expect(table.items.get('CASE#ZSD-2026-00041|STEP#AGREE_VARIANT.1')).toHaveProperty('taskToken', 'token-other');
  });

  it('GIVEN the registration notice (the case goes on) THEN the tokens stay', async () => {
    await sendNotice({ caseId: CASE_ID, notice: 'NOTIFICATION_REGISTERED' }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    expect(tokensLeft().sort()).toEqual(['INCIDENT#i1', 'STEP#MZT_DEACTIVATED.1', 'STEP#NEW_SD_FEEDING.1', 'STEP#VERIFY_COLLECTIONS.3']);
  });

  it('GIVEN Record failure THEN no token is left', async () => {
    await recordFailure({ caseId: CASE_ID, step: 'MZT_DEACTIVATED', round: 1, failure: { Error: 'States.TaskFailed' } }, { store, count, now: NOW });
    expect(tokensLeft()).toEqual([]);
  });

  it.each(['TIMED_OUT', 'ABORTED', 'FAILED'] as const)('GIVEN the execution ended %s THEN no token is left, also when the case had already ended', async (status) => {
    const deps = { store, mailer, statusLinks: STATUS_LINKS, operationsEmail: 'dyzur@mrpips.gov.pl', count, now: NOW };
    await recordEndedExecution(deps, { caseId: CASE_ID, executionArn: EXECUTION_ARN, status, stopDate: NOW.getTime() });
    expect(tokensLeft()).toEqual([]);
    // A case already closed (say, completed while a token stayed): left as it was, but its tokens go.
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ status: 'COMPLETED' })).put(`CASE#${CASE_ID}`, 'STEP#VERIFY_COLLECTIONS.3', { status: 'PENDING', taskToken: 'token-again' });
    expect(await recordEndedExecution(deps, { caseId: CASE_ID, executionArn: `${EXECUTION_ARN}-2`, status, stopDate: NOW.getTime() })).toMatchObject({ outcome: 'left as it was' });
    expect(tokensLeft()).toEqual([]);
  });

  it('GIVEN a crash half-way through the removal THEN the ending fails (and is retried), and the retry removes the rest', async () => {
    failingRemoval = 2;
    await expect(sendNotice({ caseId: CASE_ID, notice: 'CASE_COMPLETED' }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW })).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(tokensLeft()).toHaveLength(3);
    // The state machine retries the action.
    await sendNotice({ caseId: CASE_ID, notice: 'CASE_COMPLETED' }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    expect(tokensLeft()).toEqual([]);
  });

  it('GIVEN more items than one page of the Query THEN every page is read and cleared', async () => {
    table.pageSize = 1;
    await recordFailure({ caseId: CASE_ID, step: 'PROCEDURE', round: 0, failure: { Error: 'States.Timeout' } }, { store, count, now: NOW });
    expect(tokensLeft()).toEqual([]);
  });
});
