import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseStore } from '../../lambdas/adapters/case-store.js';
import { bodyIncludes, sqsAccessDenied } from '../../local/faults.js';
import { writeRuntimeFile } from '../../local/runtime-file.js';
import { operatorAt } from './operator.js';
import { expectCompletedCase, outboxQueueName, outcomeOf, playCase, queuedMessageTo, readTimeline, startFaultWorld, MRPIPS, type FaultWorld } from './play.js';

/**
 * An action that fails for good (an error no Retry lists) holds the case as an incident: the failed state, the
 * error, one e-mail to operations. Once the cause is gone, the operator's `npm run cases -- retry` runs the failed state again
 * and the case goes on exactly where it stopped: every participant gets what an undisturbed case gives them,
 * once, and the other branch of b+c keeps its confirmation.
 */
let world: FaultWorld;
let store: CaseStore;
let dir: string;
let operator: ReturnType<typeof operatorAt>;

beforeAll(async () => {
  world = await startFaultWorld();
  store = new CaseStore(world.db, world.stack.config.TABLE_NAME);
  dir = mkdtempSync(join(tmpdir(), 'zmiana-sd-incidents-'));
  operator = operatorAt(world, await writeRuntimeFile(world.stack, join(dir, 'runtime.json')));
});

afterAll(async () => {
  await world?.stack.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an action that fails for good becomes an incident; the operator retries it and the case completes as if undisturbed', () => {
  it('the outbox refuses the request of a step (inside the confirmation child): retried after the refusal is lifted, MRPiPS is asked once', async () => {
    // GIVEN request-confirmation may not put the request to MRPiPS for step 2 on the outbox (AccessDenied is not retried: an operator must act)
    world.faults.add({ service: 'sqs', operation: 'SendMessage', match: queuedMessageTo(MRPIPS, 'Uzgodnienie trybu'), fault: sqsAccessDenied(outboxQueueName(world.stack), 'request-confirmation'), times: Infinity, label: 'denied' });
    // WHEN the case is played while the operator watches for incidents
    const [played, incident] = await Promise.all([playCase(world), operator.retries({ state: 'Request confirmation', error: 'AccessDenied' }, () => world.faults.clear())]);
    // THEN it completed with exactly the e-mails and confirmations of an undisturbed case
    expectCompletedCase(await outcomeOf(world, played));
    const timeline = await readTimeline(world, played.caseId);
    expect(timeline.filter((e) => e.action === 'INCIDENT_OPENED')).toHaveLength(1);
    expect(timeline.filter((e) => e.action === 'INCIDENT_RETRIED')).toHaveLength(1);
    expect(incident.caseId).toBe(played.caseId);
    // AND operations were told once, naming the case, the step and the error
    const told = await world.inbox.to(world.stack.config.OPERATIONS_EMAIL, played.caseId);
    expect(told).toHaveLength(1);
    expect(told[0]!.subject).toContain('Request confirmation');
    expect(told[0]!.body.text).toContain('AccessDenied: ');
    expect(told[0]!.body.text).toContain('is not authorized to perform: sqs:sendmessage');
    expect((await store.listIncidents(played.caseId)).map((i) => [i.status, Boolean(i.taskToken)])).toEqual([['RETRIED', false]]);
  });

  it('DynamoDB denies step c\'s record (inside a Parallel branch): step b\'s confirmation is kept, the retry records c once', async () => {
    // GIVEN writing the MZT deactivation to the case is denied (a missing permission: AccessDeniedException, not retried)
    world.faults.add({ service: 'dynamodb', operation: 'UpdateItem', match: bodyIncludes('applied:MZT_DEACTIVATED.1'), fault: { kind: 'error', status: 400, code: 'AccessDeniedException', message: 'User is not authorized to perform: dynamodb:UpdateItem' }, times: Infinity, label: 'denied' });
    const [played] = await Promise.all([playCase(world), operator.retries({ state: 'c Record unit deactivation', error: 'AccessDeniedException' }, () => world.faults.clear())]);
    expectCompletedCase(await outcomeOf(world, played));
    const timeline = await readTimeline(world, played.caseId);
    expect(timeline.filter((e) => e.id === 'applied:NEW_SD_FEEDING.1')).toHaveLength(1);
    expect(timeline.filter((e) => e.id === 'applied:MZT_DEACTIVATED.1')).toHaveLength(1);
  });
});
