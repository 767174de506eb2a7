import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRuntimeFile } from '../../local/runtime-file.js';
import { itemsWithTaskToken, notificationFields, notifyAndConfirmContact, submitForm, waitForExecution } from '../e2e/participants.js';
import { runCli } from '../ops/run-cli.js';
import { childExecutionArn, executionArn, MRPIPS, readCase, readTimeline, startFaultWorld, type FaultWorld } from './play.js';

/**
 * An execution of the procedure that ends abnormally anyway (here ABORTED: stopped in the console, not by
 * `cancel`) reaches record-ended-execution through the EventBridge rule, as deployed: the open case is marked
 * FAILED with the reason and operations are e-mailed once. A cancelled case stays CANCELLED: `cancel` stops
 * the execution itself.
 */
let world: FaultWorld;
let dir: string;
let runtimeFile: string;

beforeAll(async () => {
  world = await startFaultWorld();
  dir = mkdtempSync(join(tmpdir(), 'zmiana-sd-ended-'));
  runtimeFile = await writeRuntimeFile(world.stack, join(dir, 'runtime.json'));
});

afterAll(async () => {
  await world?.stack.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A registered case waiting for MRPiPS to agree the variant (its first step). */
async function caseWaitingForMrpips(): Promise<string> {
  const caseId = await notifyAndConfirmContact(world.stack.urls.form, world.inbox);
  await world.inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']);
  return caseId;
}

describe('an execution stopped outside `cancel`', () => {
  it('GIVEN a case waiting for a participant WHEN someone stops its execution in the console THEN the case is FAILED "ABORTED" and operations hear of it once, even if the event arrives twice', async () => {
    const caseId = await caseWaitingForMrpips();
    // EventBridge and Lambda deliver at least once: this event reaches the function twice.
    const twice = world.faults.add({ service: 'lambda', operation: 'record-ended-execution', fault: { kind: 'duplicate' }, match: (r) => r.body.includes(caseId), label: 'event delivered twice' });

    await world.sfn.send(new StopExecutionCommand({ executionArn: executionArn(world, caseId), error: 'Console', cause: 'Stopped by hand' }));

    const mail = await world.inbox.take(world.stack.config.OPERATIONS_EMAIL, [caseId, 'wykonanie procedury zakończyło się nieprawidłowo']);
    expect(mail.body.text).toContain('zostało zatrzymane poza procedurą anulowania');
    expect(mail.body.text).toContain('the execution ended ABORTED: Console: Stopped by hand');
    // Both deliveries have run, and what they queued has been sent: a second e-mail would be in the inbox.
    await world.stack.eventRules.settled();
    await world.stack.outbox.settled();
    expect(twice.injected).toBe(1);
    const record = await readCase(world, caseId);
    expect(record.status).toBe('FAILED');
    expect(record.failure).toMatchObject({ step: 'PROCEDURE', reason: 'the execution ended ABORTED: Console: Stopped by hand' });
    expect((await readTimeline(world, caseId)).filter((e) => e.action === 'CASE_FAILED')).toHaveLength(1);
    expect(await world.inbox.to(world.stack.config.OPERATIONS_EMAIL, caseId)).toHaveLength(1);
    expect((await waitForExecution(world.sfn, childExecutionArn(world, caseId, 'AGREE_VARIANT'))).status).toBe('ABORTED');
    // The step MRPiPS was asked to confirm keeps no task token: the case has ended.
    expect(await itemsWithTaskToken(world.db, world.stack.config.TABLE_NAME, caseId)).toEqual([]);
  });
});

describe('an execution failed by an AWS limit', () => {
  it('GIVEN a function answering more than Step Functions takes (256 KiB) WHEN the case is registered THEN the execution FAILS with States.DataLimitExceeded, which the incident Catch on States.ALL does not see, and the watch marks the case FAILED', async () => {
    const fields = notificationFields();
    const ours = fields['areas.0.oldCollectionCode']!;
    const incidents = world.faults.seen('lambda', 'open-incident');
    world.faults.add({ service: 'lambda', operation: 'register-case', match: (r) => r.body.includes(ours), fault: { kind: 'oversized-result', bytes: 262_144 }, label: 'result past 256 KiB' });

    const res = await submitForm(world.stack.urls.form, fields);
    expect(res.status, res.body).toBe(201);
    const caseId = /ZSD-\d{4}-\d{5}/.exec(res.body)![0];
    const ended = await waitForExecution(world.sfn, executionArn(world, caseId));
    const cause = "The state/task '1 Register notification' returned a result with a size exceeding the maximum number of bytes service limit.";
    expect(ended).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause });

    const mail = await world.inbox.take(world.stack.config.OPERATIONS_EMAIL, [caseId, 'wykonanie procedury zakończyło się nieprawidłowo']);
    expect(mail.body.text).toContain(`the execution ended FAILED: States.DataLimitExceeded: ${cause}`);
    await world.stack.eventRules.settled();
    const record = await readCase(world, caseId);
    expect(record.status).toBe('FAILED');
    expect(record.failure).toMatchObject({ step: 'PROCEDURE', reason: `the execution ended FAILED: States.DataLimitExceeded: ${cause}` });
    expect(await itemsWithTaskToken(world.db, world.stack.config.TABLE_NAME, caseId)).toEqual([]);
    expect(world.faults.seen('lambda', 'open-incident')).toBe(incidents);
  });
});

describe('a cancelled case', () => {
  it('GIVEN a case waiting for a participant WHEN MRPiPS cancels it (which stops the execution) THEN it stays CANCELLED and operations get no e-mail about the execution', async () => {
    const caseId = await caseWaitingForMrpips();
    const deliveries = world.faults.seen('lambda', 'record-ended-execution');

    const run = await runCli(['--local', '--runtime-file', runtimeFile, 'cancel', caseId, '--reason', 'Wycofanie zgłoszenia przez JST', '--yes']);
    expect(run.code, run.stderr).toBe(0);
    const ended = await waitForExecution(world.sfn, executionArn(world, caseId));
    expect(ended).toMatchObject({ status: 'ABORTED', error: 'CaseCancelled' });

    // The rule delivered the ABORTED event; record-ended-execution has run, and the outbox has sent what was queued.
    await world.stack.eventRules.settled();
    await world.stack.outbox.settled();
    expect(world.faults.seen('lambda', 'record-ended-execution')).toBe(deliveries + 1);
    const record = await readCase(world, caseId);
    expect(record.status).toBe('CANCELLED');
    expect(record.failure).toBeUndefined();
    expect((await readTimeline(world, caseId)).map((e) => e.action)).not.toContain('CASE_FAILED');
    expect(await world.inbox.to(world.stack.config.OPERATIONS_EMAIL, caseId)).toEqual([]);
  });
});
