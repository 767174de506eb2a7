import { GetExecutionHistoryCommand, ListExecutionsCommand, StartExecutionCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AWS_ERRORS, FaultLayer } from '../../local/faults.js';
import { withTimeout, type LambdaTimeoutError } from '../../local/lambda-timeouts.js';
import { startLocalStepFunctions, type LocalLambda, type LocalStepFunctions } from '../../local/stepfunctions/index.js';
import { ACCOUNT, REGION, client, fixture, waitForExecution } from './helpers.js';

/**
 * AWS's own faults as the local stack reproduces them, seen where a state machine sees them: the failed task's
 * Error and Cause in the execution history. The fixture has no Catch, so the execution fails with exactly those.
 * The function runs as the local stack runs it (local/stack.ts): within its timeout, behind the fault layer.
 */
const TIMEOUT_SECONDS = 1;

let faults: FaultLayer;
let local: LocalStepFunctions;
let sfn: SFNClient;
/** Invocations of the function that actually ran its code. */
let runs: number;
/** What the function does once it runs (a test may make it slow). */
let work: () => Promise<unknown>;
let seq = 0;

const handler: LocalLambda = async () => {
  runs += 1;
  return work();
};
const asLambda = (style: LambdaTimeoutError): LocalLambda => withTimeout(faults.lambda('work', handler), TIMEOUT_SECONDS, style);

beforeAll(async () => {
  faults = new FaultLayer();
  local = await startLocalStepFunctions({
    region: REGION,
    accountId: ACCOUNT,
    stateMachines: [
      { name: 'faults', definitionFile: fixture('integration-faults.asl.json') },
      { name: 'done', definitionFile: fixture('done.asl.json') },
    ],
    substitutions: { DoneStateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:done` },
    lambdas: { work: asLambda('Sandbox.Timedout'), 'work-on-an-older-runtime': asLambda('Lambda.Unknown') },
    retryIntervalScale: 0.01,
    beforeStartExecution: faults.startExecution,
  });
  sfn = client(local.endpoint);
});

afterAll(async () => {
  sfn?.destroy();
  await local?.close();
  await faults?.close();
});

beforeEach(() => {
  faults.clear();
  runs = 0;
  work = async () => ({ worked: true });
});

async function run(fn = 'work'): Promise<{ arn: string; status: string; events: HistoryEvent[] }> {
  seq += 1;
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('faults'), name: `run-${seq}`, input: JSON.stringify({ function: fn }) }));
  const done = await waitForExecution(sfn, executionArn!, undefined, 10_000);
  return { arn: executionArn!, status: done.status!, events: (await sfn.send(new GetExecutionHistoryCommand({ executionArn: executionArn!, maxResults: 1000 }))).events ?? [] };
}

const failures = (events: HistoryEvent[]) => events.filter((e) => e.type === 'TaskFailed').map((e) => ({ error: e.taskFailedEventDetails!.error, cause: e.taskFailedEventDetails!.cause! }));
const executionFailure = (events: HistoryEvent[]) => events.find((e) => e.type === 'ExecutionFailed')!.executionFailedEventDetails!;
const succeededTasks = (events: HistoryEvent[]) => events.filter((e) => e.type === 'TaskSucceeded').length;
const REQUEST_ID = '[0-9a-f-]{36}';

describe('a function that outlives its timeout', () => {
  it('fails its task with Sandbox.Timedout and the payload Lambda answers; a held invocation released later never runs', async () => {
    // GIVEN the function's invocation is held past its 1-second timeout
    let release!: () => void;
    faults.add({ service: 'lambda', operation: 'work', fault: { kind: 'hold', release: new Promise<void>((resolve) => (release = resolve)) } });

    // WHEN the state machine invokes it
    const { status, events } = await run();

    // THEN the task failed as on AWS, with the payload of a timed-out runtime as its Cause
    expect(status).toBe('FAILED');
    const [failure] = failures(events);
    expect(failure!.error).toBe('Sandbox.Timedout');
    expect(JSON.parse(failure!.cause)).toEqual({ errorType: 'Sandbox.Timedout', errorMessage: expect.stringMatching(new RegExp(`^RequestId: ${REQUEST_ID} Error: Task timed out after 1\\.00 seconds$`)) });
    expect(executionFailure(events)).toEqual({ error: 'Sandbox.Timedout', cause: failure!.cause });
    // AND once released, the invocation is dropped: AWS would have stopped its sandbox
    release();
    await expect.poll(() => faults.abandoned.length).toBe(1);
    expect(faults.abandoned[0]!.functionName).toBe('work');
    expect(runs).toBe(0);
  });

  it('on an older runtime, fails it with Lambda.Unknown and the payload quoted, as Step Functions reports an untyped error', async () => {
    // GIVEN the function never answers within its timeout
    let release!: () => void;
    faults.add({ service: 'lambda', operation: 'work', fault: { kind: 'hold', release: new Promise<void>((resolve) => (release = resolve)) } });

    // WHEN it is invoked
    const { events } = await run('work-on-an-older-runtime');
    release();

    // THEN
    const [failure] = failures(events);
    expect(failure!.error).toBe('Lambda.Unknown');
    expect(failure!.cause).toMatch(
      new RegExp(`^The cause could not be determined because Lambda did not return an error type\\. Returned payload: \\{"errorMessage":"\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${REQUEST_ID} Task timed out after 1\\.00 seconds"\\}$`),
    );
  });

  it('whose code runs on past the timeout: its late result never reaches Step Functions', async () => {
    // GIVEN a function that finishes only when the test lets it, after its timeout
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    let returned!: () => void;
    const hasReturned = new Promise<void>((resolve) => (returned = resolve));
    work = async () => {
      await finished;
      returned();
      return { worked: 'too late' };
    };

    // WHEN it is invoked and the timeout passes
    const { arn, status, events } = await run();
    expect(status).toBe('FAILED');
    expect(failures(events).map((f) => f.error)).toEqual(['Sandbox.Timedout']);
    // AND the function returns afterwards
    finish();
    await hasReturned;
    await new Promise((resolve) => setImmediate(resolve));

    // THEN nothing of its result was recorded: the task stays failed, no task ever succeeded
    const after = (await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }))).events ?? [];
    expect(after).toHaveLength(events.length);
    expect(succeededTasks(after)).toBe(0);
    expect(runs).toBe(1);
  });
});

describe('a function killed for running out of memory', () => {
  it('fails its task with Runtime.OutOfMemory after it ran; its result is lost', async () => {
    // GIVEN
    faults.add({ service: 'lambda', operation: 'work', fault: { kind: 'out-of-memory' } });

    // WHEN
    const { events } = await run();

    // THEN
    const [failure] = failures(events);
    expect(failure!.error).toBe('Runtime.OutOfMemory');
    expect(JSON.parse(failure!.cause)).toEqual({
      errorType: 'Runtime.OutOfMemory',
      errorMessage: expect.stringMatching(new RegExp(`^RequestId: ${REQUEST_ID} Error: Runtime exited with error: signal: killed$`)),
    });
    expect(runs).toBe(1);
  });
});

describe("Lambda's Invoke failing (the service, not the function)", () => {
  it.each([
    ['lambdaTooManyRequests', 'Lambda.TooManyRequestsException', 'Rate Exceeded. (Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException; Request ID: <id>; Proxy: null)'],
    ['lambdaServiceException', 'Lambda.ServiceException', 'Lambda was unable to process the request. (Service: AWSLambda; Status Code: 500; Error Code: ServiceException; Request ID: <id>; Proxy: null)'],
    ['lambdaAWSLambdaException', 'Lambda.AWSLambdaException', 'Bad Gateway (Service: AWSLambda; Status Code: 502; Error Code: BadGateway; Request ID: <id>; Proxy: null)'],
    ['lambdaClientExecutionTimeout', 'Lambda.ClientExecutionTimeoutException', 'Client execution did not complete before the specified timeout configuration.'],
    ['lambdaSdkClient', 'Lambda.SdkClientException', 'Unable to execute HTTP request: Connection reset'],
    [
      'lambdaUnknown',
      'Lambda.Unknown',
      'The cause could not be determined because Lambda did not return an error type. Returned payload: {"errorMessage":"RequestId: 00000000-0000-0000-0000-000000000000 Process exited before completing request"}',
    ],
  ] as const)('AWS_ERRORS.%s fails the task with %s', async (fault, error, cause) => {
    // GIVEN
    faults.add({ service: 'lambda', operation: 'work', fault: AWS_ERRORS[fault] });

    // WHEN
    const { events } = await run();

    // THEN the name a Retry lists, the Cause as Step Functions writes it; the function never ran
    const [failure] = failures(events);
    expect(failure!.error).toBe(error);
    expect(failure!.cause.replace(new RegExp(`Request ID: ${REQUEST_ID}`), 'Request ID: <id>')).toBe(cause);
    expect(runs).toBe(0);
  });
});

describe("a child's StartExecution throttled (states:startExecution.sync:2)", () => {
  it('fails the task with StepFunctions.AWSStepFunctionsException; a Retry naming it starts the child once', async () => {
    // GIVEN the first StartExecution of the child is throttled
    const throttled = faults.add({ service: 'sfn-integration', operation: 'StartExecution', fault: AWS_ERRORS.sfnIntegrationThrottled });

    // WHEN the parent runs
    const { arn, status, events } = await run();

    // THEN the task failed once with the name AWS uses and the SDK's Cause, and its Retry started the child
    expect(throttled.exhausted).toBe(true);
    expect(failures(events).map((f) => ({ ...f, cause: f.cause.replace(new RegExp(`Request ID: ${REQUEST_ID}`), 'Request ID: <id>') }))).toEqual([
      { error: 'StepFunctions.AWSStepFunctionsException', cause: 'Rate exceeded (Service: AWSStepFunctions; Status Code: 400; Error Code: ThrottlingException; Request ID: <id>; Proxy: null)' },
    ]);
    expect(status).toBe('SUCCEEDED');
    const children = await sfn.send(new ListExecutionsCommand({ stateMachineArn: local.stateMachineArn('done') }));
    expect(children.executions!.filter((e) => e.name === `${arn.split(':').pop()}-child`)).toHaveLength(1);
  });

  it('when every attempt is refused, the execution fails with that error and no child was started', async () => {
    // GIVEN
    faults.add({ service: 'sfn-integration', operation: 'StartExecution', fault: AWS_ERRORS.sfnIntegrationExecutionLimit, times: Infinity });

    // WHEN
    const { arn, events } = await run();

    // THEN
    expect(executionFailure(events).error).toBe('StepFunctions.ExecutionLimitExceededException');
    expect(executionFailure(events).cause).toMatch(/^Maximum number of running executions has been reached\. \(Service: AWSStepFunctions; Status Code: 400; Error Code: ExecutionLimitExceeded; /);
    const children = await sfn.send(new ListExecutionsCommand({ stateMachineArn: local.stateMachineArn('done') }));
    expect(children.executions!.filter((e) => e.name === `${arn.split(':').pop()}-child`)).toEqual([]);
  });
});
