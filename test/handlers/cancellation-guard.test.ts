import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { CASE_ID, NOW, caseRecord } from '../unit/fixtures.js';
import { awsMocks } from './aws.js';

const { ddb, store } = awsMocks();
const event = { id: 'notice:CASE_COMPLETED', at: NOW.toISOString(), actor: { role: 'SYSTEM' as const }, action: 'CASE_COMPLETED', summary: 'x' };

beforeEach(() => ddb.reset());

describe('a cancellation is final', () => {
  it('GIVEN an action sets a status THEN its write is conditional on the case not being CANCELLED', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await store.updateCase(CASE_ID, event, { status: 'COMPLETED' });
    const input = ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toContain('#status <> :cancelled');
    expect(input.ExpressionAttributeNames!['#status']).toBe('status');
  });

  it('GIVEN the case was cancelled meanwhile WHEN an action still running sets COMPLETED THEN nothing is overwritten (the write is refused, the action sees a duplicate)', async () => {
    ddb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'refused', $metadata: {} }));
    ddb.on(GetItemCommand).resolves({ Item: marshall({ pk: `CASE#${CASE_ID}`, sk: 'CASE', ...caseRecord(), status: 'CANCELLED' }, { removeUndefinedValues: true }) });
    await expect(store.updateCase(CASE_ID, event, { status: 'COMPLETED' })).resolves.toBe('duplicate');
  });

  it('GIVEN a timeline event without a status change THEN the write is not tied to the status', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await store.updateCase(CASE_ID, event);
    expect(ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input.ConditionExpression).not.toContain(':cancelled');
  });
});
