import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseStore } from '../../lambdas/adapters/case-store.js';
import { itemsWithTaskToken, notificationFields, notifyAndConfirmContact, waitForExecution } from '../e2e/participants.js';
import { sqsAccessDenied } from '../../local/faults.js';
import { executionArn, outboxQueueName, queuedMessageTo, readCase, readTimeline, startFaultWorld, JST, type FaultWorld } from './play.js';

/**
 * An incident waits for the operator only so long (INCIDENT_WAIT_SECONDS; every wait is bounded): then the case
 * is marked FAILED with the reason and the execution fails, visibly. (A stack of its own: the local stack's
 * endpoints are process-wide, so each file runs one.)
 */
let late: FaultWorld;

beforeAll(async () => {
  late = await startFaultWorld({ INCIDENT_WAIT_SECONDS: 2 });
});

afterAll(async () => {
  await late?.stack.close();
});

describe('an incident nobody resolves in time', () => {

  it('ends the case FAILED with the reason once the incident wait runs out; the incident no longer holds a token', async () => {
    // GIVEN send-notice may not put the JST's acknowledgement on the outbox, for good
    late.faults.add({ service: 'sqs', operation: 'SendMessage', match: queuedMessageTo(JST, 'przyjęto zgłoszenie'), fault: sqsAccessDenied(outboxQueueName(late.stack), 'send-notice'), times: Infinity, label: 'denied' });
    const caseId = await notifyAndConfirmContact(late.stack.urls.form, late.inbox, notificationFields());
    // WHEN nobody retries within the incident wait
    const execution = await waitForExecution(late.sfn, executionArn(late, caseId), 20_000);
    // THEN the execution fails visibly and the case says why
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('CaseFailed');
    const record = await readCase(late, caseId);
    expect(record.status).toBe('FAILED');
    expect(record.failure?.reason).toContain('AccessDenied: ');
    expect(record.failure?.reason).toContain('is not authorized to perform: sqs:sendmessage');
    expect((await readTimeline(late, caseId)).map((e) => e.action)).toEqual(expect.arrayContaining(['INCIDENT_OPENED', 'CASE_FAILED']));
    const incidents = await new CaseStore(late.db, late.stack.config.TABLE_NAME).listIncidents(caseId);
    expect(incidents).toMatchObject([{ state: '1 Acknowledge notification', status: 'CLOSED', closedBecause: 'the case was marked FAILED' }]);
    expect(await itemsWithTaskToken(late.db, late.stack.config.TABLE_NAME, caseId)).toEqual([]);
  });
});
