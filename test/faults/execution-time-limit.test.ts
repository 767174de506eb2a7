import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseStore } from '../../lambdas/adapters/case-store.js';
import { itemsWithTaskToken, linkIn, notificationFields, notifyAndConfirmContact, waitForExecution } from '../e2e/participants.js';
import { sqsAccessDenied } from '../../local/faults.js';
import { childExecutionArn, executionArn, JST, MRPIPS, outboxQueueName, queuedMessageTo, readCase, readTimeline, startFaultWorld, type FaultWorld } from './play.js';

/**
 * A Standard execution ends TIMED_OUT after a year, whatever its case is waiting for. The local service does the
 * same after MAX_EXECUTION_SECONDS (here 6 s): the case is marked FAILED with the reason, its incident no longer
 * waits, and operations are e-mailed once, by record-ended-execution as the EventBridge rule delivers it.
 */
let world: FaultWorld;

beforeAll(async () => {
  world = await startFaultWorld({ MAX_EXECUTION_SECONDS: 6 });
});

afterAll(async () => {
  await world?.stack.close();
});

const OPERATIONS = () => world.stack.config.OPERATIONS_EMAIL;

describe('an execution past its time limit', () => {
  it('GIVEN a case waiting for MRPiPS WHEN its execution times out THEN the case is FAILED with the reason, operations are told once, and the link no longer takes an answer', async () => {
    const caseId = await notifyAndConfirmContact(world.stack.urls.form, world.inbox);
    const request = await world.inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']);

    const ended = await waitForExecution(world.sfn, executionArn(world, caseId), 20_000);
    expect(ended.status).toBe('TIMED_OUT');
    const mail = await world.inbox.take(OPERATIONS(), [caseId, 'wykonanie procedury zakończyło się nieprawidłowo']);
    expect(mail.body.text).toContain('przekroczyło roczny limit czasu wykonania (TIMED_OUT)');
    // Everything EventBridge delivered has run, and what it queued has been sent: a second e-mail would be in the inbox.
    await world.stack.eventRules.settled();
    await world.stack.outbox.settled();

    const record = await readCase(world, caseId);
    expect(record.status).toBe('FAILED');
    expect(record.failure).toMatchObject({ step: 'PROCEDURE', reason: 'the execution ended TIMED_OUT' });
    expect((await readTimeline(world, caseId)).filter((e) => e.action === 'CASE_FAILED')).toHaveLength(1);
    expect(await world.inbox.to(OPERATIONS(), caseId)).toHaveLength(1);
    // The step that waited keeps no task token: the case has ended.
    expect(await itemsWithTaskToken(world.db, world.stack.config.TABLE_NAME, caseId)).toEqual([]);
    // The step's child was stopped with its parent; an answer now changes nothing.
    expect((await waitForExecution(world.sfn, childExecutionArn(world, caseId, 'AGREE_VARIANT'))).status).toBe('ABORTED');
    const page = await fetch(linkIn(request));
    expect(page.status).toBe(409);
    expect((await readCase(world, caseId)).status).toBe('FAILED');
  });

  it('GIVEN a case held by an incident WHEN its execution times out THEN the case is FAILED and the incident no longer waits (its token gone)', async () => {
    // send-notice may not put the JST's acknowledgement on the outbox: the case is held for the operator, who does nothing.
    world.faults.add({ service: 'sqs', operation: 'SendMessage', match: queuedMessageTo(JST, 'przyjęto zgłoszenie'), fault: sqsAccessDenied(outboxQueueName(world.stack), 'send-notice'), times: Infinity, label: 'denied' });
    const caseId = await notifyAndConfirmContact(world.stack.urls.form, world.inbox, notificationFields());
    await world.inbox.take(OPERATIONS(), [caseId, 'incydent techniczny']);

    expect((await waitForExecution(world.sfn, executionArn(world, caseId), 20_000)).status).toBe('TIMED_OUT');
    await world.inbox.take(OPERATIONS(), [caseId, 'wykonanie procedury zakończyło się nieprawidłowo']);
    await world.stack.eventRules.settled();

    expect(await readCase(world, caseId)).toMatchObject({ status: 'FAILED', failure: { reason: 'the execution ended TIMED_OUT' } });
    const incidents = await new CaseStore(world.db, world.stack.config.TABLE_NAME).listIncidents(caseId);
    expect(incidents).toMatchObject([{ status: 'CLOSED', closedBecause: 'the execution ended TIMED_OUT' }]);
    expect(await itemsWithTaskToken(world.db, world.stack.config.TABLE_NAME, caseId)).toEqual([]);
  });
});
