import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AWS_ERRORS, SDK_ATTEMPTS, bodyIncludes, sesMessageRejected, sesRecipient, sqsAccessDenied } from '../../local/faults.js';
import { deliveryEntries, notificationFields, submitForm } from '../e2e/participants.js';
import { caseTaskFailures, childExecutionArn, executionArn, historyOf, outboxQueueName, readStep, readTimeline, startFaultWorld, JST, type FaultWorld } from './play.js';

/**
 * AWS's own faults on the whole local stack, as the product's state machines meet them: a function that outlives
 * its configured timeout (shortened here with LAMBDA_TIMEOUTS), a throttled StartExecution of a child, the outbox
 * queue refusing or throttling SendMessage. Each reaches the state machine as a failed task with the Error AWS
 * reports, which its Retry and Catch act on (what they then do is the definition's business, not asserted here).
 * An address SES rejects is not among them: SES is the outbox's sender's business, and the case records it.
 */
const REGISTER_CASE_TIMEOUT_SECONDS = 3;
let world: FaultWorld;

beforeAll(async () => {
  world = await startFaultWorld({ LAMBDA_TIMEOUTS: JSON.stringify({ 'register-case': REGISTER_CASE_TIMEOUT_SECONDS }) });
});

afterAll(async () => {
  await world?.stack.close();
});

beforeEach(() => world.faults.clear());

/** Notifies a new case through the form; its case id. */
async function notify(fields = notificationFields()): Promise<string> {
  const res = await submitForm(world.stack.urls.form, fields);
  expect(res.status, res.body).toBe(201);
  return /ZSD-\d{4}-\d{5}/.exec(res.body)![0];
}

/** The first task failure of an execution, once there is one (Error and Cause as in its history). */
async function firstFailure(arn: string): Promise<{ error: string; cause: string }> {
  let failure: { error: string; cause: string } | undefined;
  await expect
    .poll(
      async () => {
        const failed = (await historyOf(world, arn).catch(() => [])).find((e) => e.type === 'TaskFailed');
        failure = failed && { error: failed.taskFailedEventDetails!.error!, cause: failed.taskFailedEventDetails!.cause! };
        return failure !== undefined;
      },
      { timeout: 20_000, interval: 50 },
    )
    .toBe(true);
  return failure!;
}

describe('AWS faults on the local stack', () => {
  it('register-case held past its timeout: the task fails with Sandbox.Timedout, and the held invocation never runs', async () => {
    // GIVEN the next registration is held
    let release!: () => void;
    world.faults.add({ service: 'lambda', operation: 'register-case', fault: { kind: 'hold', release: new Promise<void>((resolve) => (release = resolve)) }, label: 'slow registration' });

    // WHEN a case is notified
    const caseId = await notify();

    // THEN "1 Register notification" failed as a timed-out function fails on AWS
    const failure = await firstFailure(executionArn(world, caseId));
    expect(failure.error).toBe('Sandbox.Timedout');
    expect(JSON.parse(failure.cause)).toMatchObject({ errorType: 'Sandbox.Timedout', errorMessage: expect.stringMatching(/Task timed out after 3\.00 seconds$/) });
    // AND released afterwards, the registration is dropped: on AWS its sandbox would have been stopped
    release();
    await expect.poll(() => world.faults.abandoned.filter((a) => a.functionName === 'register-case' && a.payload.includes(caseId))).toHaveLength(1);
  });

  it("a child's StartExecution throttled: the step's task fails with StepFunctions.AWSStepFunctionsException", async () => {
    // GIVEN the contact confirmation's child cannot be started once
    const throttled = world.faults.add({ service: 'sfn-integration', operation: 'StartExecution', match: bodyIncludes('CONFIRM_CONTACT'), fault: AWS_ERRORS.sfnIntegrationThrottled });

    // WHEN a case is notified
    const caseId = await notify();

    // THEN
    const failure = await firstFailure(executionArn(world, caseId));
    expect(throttled.exhausted).toBe(true);
    expect(failure.error).toBe('StepFunctions.AWSStepFunctionsException');
    expect(failure.cause).toMatch(/^Rate exceeded \(Service: AWSStepFunctions; Status Code: 400; Error Code: ThrottlingException; Request ID: [0-9a-f-]{36}; Proxy: null\)$/);
  });

  it('the outbox refuses SendMessage (AccessDenied): request-confirmation fails with the error SQS names, which no Retry lists', async () => {
    // GIVEN request-confirmation may not send to the outbox queue
    world.faults.add({ service: 'sqs', operation: 'SendMessage', match: bodyIncludes('request:CONFIRM_CONTACT.1'), fault: sqsAccessDenied(outboxQueueName(world.stack), 'request-confirmation'), times: Infinity });

    // WHEN a case is notified
    const caseId = await notify();

    // THEN the contact confirmation's request task failed with SQS's AccessDenied, naming the action and the queue
    const failure = await firstFailure(childExecutionArn(world, caseId, 'CONFIRM_CONTACT'));
    expect(failure.error).toBe('AccessDenied');
    expect(JSON.parse(failure.cause)).toMatchObject({ errorType: 'AccessDenied', errorMessage: expect.stringContaining(`sqs:sendmessage on resource: arn:aws:sqs:eu-central-1:000000000000:${outboxQueueName(world.stack)}`) });
  });

  it("the outbox throttles SendMessage beyond the SDK's retries: the task fails with TransientError, which the state machines retry", async () => {
    // GIVEN every attempt of the SDK to queue the contact confirmation's request is throttled, once
    const throttled = world.faults.add({ service: 'sqs', operation: 'SendMessage', match: bodyIncludes('request:CONFIRM_CONTACT.1'), fault: AWS_ERRORS.sqsRequestThrottled, times: SDK_ATTEMPTS.sqs });

    // WHEN a case is notified
    const caseId = await notify();

    // THEN the request task failed with TransientError naming SQS's error, and its retry queued the request
    const failure = await firstFailure(childExecutionArn(world, caseId, 'CONFIRM_CONTACT'));
    expect(throttled.exhausted).toBe(true);
    expect(failure.error).toBe('TransientError');
    expect(JSON.parse(failure.cause)).toMatchObject({ errorType: 'TransientError', errorMessage: expect.stringContaining('RequestThrottled: Request is throttled.') });
    await world.inbox.take(JST, [caseId, 'prośba o potwierdzenie adresu e-mail']);
  });

  it('SES rejects the contact address: no task fails; the rejection is on the case and its step is marked undeliverable', async () => {
    // GIVEN SES rejects one address
    const address = 'adres.odrzucany@mops.przykladowo.pl';
    world.faults.add({ service: 'ses', operation: 'SendEmail', match: sesRecipient(address), fault: sesMessageRejected(address), times: Infinity });

    // WHEN a case gives it as the contact's address
    const caseId = await notify(notificationFields({ 'contact.email': address }));

    // THEN the sender records the rejection on the case, as SES's own Reject event would be, and marks the step
    const told = await world.inbox.take(world.stack.config.MRPIPS_EMAIL, [caseId, 'nie można doręczyć']);
    expect(told.body.text).toContain(address);
    expect(deliveryEntries(await readTimeline(world, caseId), 'EMAIL_REJECTED', address)).toMatchObject([{ step: 'CONFIRM_CONTACT.1', details: { event: 'Reject' } }]);
    expect((await readStep(world, caseId, 'CONFIRM_CONTACT.1')).undeliverable).toMatchObject({ recipient: address });
    // AND the state machines saw nothing of it: the request was queued, which is all its task does
    expect(await caseTaskFailures(world, caseId)).toEqual([]);
  });
});
