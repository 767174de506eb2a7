import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_ERRORS, bodyIncludes, sesMessageRejected, sesRecipient } from '../../local/faults.js';
import { notificationFields, postForm } from '../e2e/participants.js';
import { childExecutionArn, executionArn, historyOf, startFaultWorld, type FaultWorld } from './play.js';

/**
 * AWS's own faults on the whole local stack, as the product's state machines meet them: a function that outlives
 * its configured timeout (shortened here with LAMBDA_TIMEOUTS), a throttled StartExecution of a child, an address
 * SES rejects. Each reaches the state machine as a failed task with the Error AWS reports, which its Retry and
 * Catch act on (what they then do is the definition's business, not asserted here).
 */
const REGISTER_CASE_TIMEOUT_SECONDS = 3;
let world: FaultWorld;

beforeAll(async () => {
  world = await startFaultWorld({ LAMBDA_TIMEOUTS: JSON.stringify({ 'register-case': REGISTER_CASE_TIMEOUT_SECONDS }) });
});

afterAll(async () => {
  await world?.stack.close();
});

/** Notifies a new case through the form; its case id. */
async function notify(fields = notificationFields()): Promise<string> {
  const res = await postForm(world.stack.urls.form, fields);
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

  it('SES rejects the contact address: request-confirmation fails with EmailRejected naming it', async () => {
    // GIVEN SES rejects one address
    const address = 'adres.odrzucany@mops.przykladowo.pl';
    world.faults.add({ service: 'ses', operation: 'SendEmail', match: sesRecipient(address), fault: sesMessageRejected(address), times: Infinity });

    // WHEN a case gives it as the contact's address
    const caseId = await notify(notificationFields({ 'contact.email': address }));

    // THEN the confirmation request's task failed with the mailer's error, which names the address
    const failure = await firstFailure(childExecutionArn(world, caseId, 'CONFIRM_CONTACT'));
    expect(failure.error).toBe('EmailRejected');
    expect(JSON.parse(failure.cause)).toMatchObject({ errorType: 'EmailRejected', errorMessage: expect.stringContaining(`Not sent to ${address}: SES rejected the message (MessageRejected:`) });
  });
});
