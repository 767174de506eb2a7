import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetExecutionHistoryCommand, SendTaskSuccessCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { withPayloadLimits, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES } from '../../local/lambda-payloads.js';
import { stepTimings } from '../../lambdas/core/timing.js';
import { STATE_MACHINE_ACTIONS } from '../../local/state-machine-functions.js';
import { localLambdaArn, startLocalStepFunctions, type LocalStepFunctions } from '../../local/stepfunctions/index.js';
import { ACCOUNT, Mailbox, REGION, client, expectSfnError, fixture, startProductService, waitForExecution } from './helpers.js';

/**
 * The limits AWS enforces on a Standard execution and on Lambda, and how each fails there: a task's result, a
 * task's input or a state's output past 256 KiB fail the execution with States.DataLimitExceeded, which neither
 * Retry nor Catch on States.ALL intercepts; StartExecution and SendTaskSuccess refuse a larger payload; a Lambda
 * response past 6 MB is the function error Function.ResponseSizeTooLarge (caught like any other); the event that
 * would be the history's 25,000th (here the 40th) is the execution's failure, States.Runtime.
 */
const KIB_256 = 262_144;
const MAX_HISTORY = 40;
/** What lambda:invoke wraps around the function's answer `{"pad":…}`, in bytes. */
const ENVELOPE = JSON.stringify({ ExecutedVersion: '$LATEST', Payload: { pad: '' }, StatusCode: 200 }).length;
let local: LocalStepFunctions;
let sfn: SFNClient;
let answers = 0;
const tokens = new Mailbox<string>();

beforeAll(async () => {
  // The function answers with `bytes` characters, or hands out its task token.
  const answer = withPayloadLimits(async (event: unknown) => {
    const e = event as { bytes?: number; taskToken?: string };
    if (e.taskToken) tokens.push(e.taskToken);
    answers++;
    return { pad: 'x'.repeat(e.bytes ?? 0) };
  });
  local = await startLocalStepFunctions({
    region: REGION,
    accountId: ACCOUNT,
    stateMachines: [{ name: 'limits', definitionFile: fixture('limits.asl.json') }],
    substitutions: { AnswerFunctionArn: localLambdaArn(REGION, ACCOUNT, 'answer') },
    lambdas: { answer },
    retryIntervalScale: 0.01,
    maxHistoryEvents: MAX_HISTORY,
  });
  sfn = client(local.endpoint);
});

afterAll(async () => {
  sfn?.destroy();
  await local?.close();
});

async function run(name: string, input: Record<string, unknown>) {
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('limits'), name, input: JSON.stringify(input) }));
  const ended = await waitForExecution(sfn, executionArn!);
  const history = (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events!;
  return { ended, history };
}

describe('Step Functions payloads (256 KiB)', () => {
  it('GIVEN a task whose result is one byte past 256 KiB (well within the 6 MB of Lambda) WHEN it returns THEN the execution FAILS with States.DataLimitExceeded: neither its Retry nor its Catch on States.ALL applies', async () => {
    answers = 0;
    const { ended, history } = await run('result-too-large', { mode: 'answer', bytes: KIB_256 - ENVELOPE + 1 });
    expect(ended.status).toBe('FAILED');
    expect(ended.error).toBe('States.DataLimitExceeded');
    expect(ended.cause).toBe("The state/task 'Answer' returned a result with a size exceeding the maximum number of bytes service limit.");
    expect(answers).toBe(1);
    expect(history.map((e) => e.type)).not.toContain('PassStateEntered');
    expect(history.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails).toMatchObject({ error: 'States.DataLimitExceeded' });
  });

  it('GIVEN a result of exactly 256 KiB WHEN the task returns THEN the execution succeeds', async () => {
    const { ended } = await run('result-at-limit', { mode: 'answer', bytes: KIB_256 - ENVELOPE });
    expect(ended.status).toBe('SUCCEEDED');
  });

  it("GIVEN a Pass state whose output is past 256 KiB WHEN it is left THEN the execution FAILS with States.DataLimitExceeded (and no task's Catch could help)", async () => {
    const { ended } = await run('state-output-too-large', { mode: 'double', blob: 'y'.repeat(KIB_256 / 2) });
    expect(ended).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: "The state/task 'Double' returned a result with a size exceeding the maximum number of bytes service limit." });
  });

  it('GIVEN a task whose input after Parameters is past 256 KiB WHEN it is entered THEN its function is never invoked and the execution FAILS with States.DataLimitExceeded', async () => {
    answers = 0;
    const { ended } = await run('task-input-too-large', { mode: 'big-input', blob: 'y'.repeat(KIB_256 / 2) });
    expect(ended).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(answers).toBe(0);
  });

  it('GIVEN an execution input past 256 KiB in UTF-8 (fewer characters than that) WHEN it is started THEN StartExecution refuses it', async () => {
    const input = JSON.stringify({ blob: 'ż'.repeat(KIB_256 / 2) });
    expect(input.length).toBeLessThan(KIB_256);
    await expectSfnError(sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('limits'), name: 'input-too-large', input })), 'ValidationException');
  });

  it('GIVEN a task waiting for its token WHEN SendTaskSuccess brings more than 256 KiB THEN the call is refused and the task still waits; a smaller output completes it', async () => {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('limits'), name: 'token-output', input: JSON.stringify({ mode: 'token' }) }));
    const taskToken = await tokens.next();
    await expectSfnError(sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify('z'.repeat(KIB_256)) })), 'ValidationException');
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify('z'.repeat(1000)) }));
    expect((await waitForExecution(sfn, executionArn!)).status).toBe('SUCCEEDED');
  });
});

describe('Lambda payloads (6 MB)', () => {
  it('GIVEN a function answering more than 6 MB WHEN a task invokes it THEN the task fails with Function.ResponseSizeTooLarge, a function error that Retry and Catch on States.ALL handle', async () => {
    answers = 0;
    const { ended } = await run('response-too-large', { mode: 'answer', bytes: MAX_RESPONSE_BYTES });
    expect(ended.status).toBe('SUCCEEDED');
    const caught = JSON.parse(ended.output!).caught as { Error: string; Cause: string };
    expect(caught.Error).toBe('Function.ResponseSizeTooLarge');
    expect(JSON.parse(caught.Cause)).toEqual({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).` });
    expect(answers).toBe(3); // the first attempt and the Retry's two
  });

  it('GIVEN a request past 6 MB WHEN it is invoked THEN Invoke refuses it (413) and the function never runs', async () => {
    let ran = false;
    const fn = withPayloadLimits(async () => (ran = true));
    await expect(fn({ blob: 'x'.repeat(MAX_REQUEST_BYTES) })).rejects.toMatchObject({ name: 'Lambda.AWSLambdaException', message: expect.stringContaining('Status Code: 413; Error Code: RequestEntityTooLargeException') });
    expect(ran).toBe(false);
    await expect(fn({ blob: 'x'.repeat(MAX_REQUEST_BYTES - 20) })).resolves.toBe(true);
  });
});

describe('the history limit (maxHistoryEvents)', () => {
  it('GIVEN an execution that loops forever WHEN its history is full THEN its last event is the failure: FAILED, States.Runtime', async () => {
    const { ended, history } = await run('spin', { mode: 'spin' });
    expect(ended).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: `The execution reached the maximum number of history events (${MAX_HISTORY}).` });
    expect(history).toHaveLength(MAX_HISTORY);
    expect(history.at(-1)).toMatchObject({ id: MAX_HISTORY, type: 'ExecutionFailed' });
    expect(history.at(-2)!.type).toMatch(/State(Entered|Exited)$/);
  });
});

describe("the product's state machines at the 256 KiB limit", () => {
  it("GIVEN a step's child WHEN its state outgrows 256 KiB (an answer merged into it) THEN the child FAILS with States.DataLimitExceeded, and the parent's States.TaskFailed Catch takes the case to Record failure", async () => {
    const called: string[] = [];
    const requests = new Mailbox<string>();
    const lambdas = Object.fromEntries(
      STATE_MACHINE_ACTIONS.map(([, name]) => [
        name,
        async (event: unknown) => {
          called.push(name);
          const token = (event as { taskToken?: string }).taskToken;
          if (token) requests.push(token);
          return {};
        },
      ]),
    );
    const product = await startProductService(lambdas, { retryIntervalScale: 0.01 });
    const productSfn = client(product.endpoint);
    try {
      const caseId = 'ZSD-2026-99999';
      const timing = stepTimings({ responseTimeoutSeconds: 600, escalateAfterReminders: 2, stalledAfterReminders: 3, stalledWaitSeconds: 600 }, {});
      const { executionArn } = await productSfn.send(new StartExecutionCommand({ stateMachineArn: product.stateMachineArn('procedure'), name: caseId, input: JSON.stringify({ caseId, notification: {}, timing, incidentWaitSeconds: 600 }) }));
      // The contact's confirmation: an output the API accepts, which the child's state cannot hold next to its input.
      await productSfn.send(new SendTaskSuccessCommand({ taskToken: await requests.next(), output: JSON.stringify({ answer: 'z'.repeat(KIB_256 - 20) }) }));

      const child = await waitForExecution(productSfn, `${executionArn!.replace(':procedure:', ':confirmation:')}-CONFIRM_CONTACT-1`);
      expect(child).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: "The state/task 'Request confirmation' returned a result with a size exceeding the maximum number of bytes service limit." });
      const parent = await waitForExecution(productSfn, executionArn!);
      expect(parent.status).toBe('FAILED');
      expect(called).toContain('record-failure');
      expect(called).not.toContain('open-incident');
    } finally {
      productSfn.destroy();
      await product.close();
    }
  });
});
