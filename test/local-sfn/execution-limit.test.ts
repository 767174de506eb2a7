import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SendTaskSuccessCommand, StartExecutionCommand, StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionStatusChangeEvent } from '../../local/stepfunctions/index.js';
import type { LocalStepFunctions } from '../../local/stepfunctions/index.js';
import { LocalStepFunctionsService } from '../../local/stepfunctions/service.js';
import { client, expectSfnError, fixture, makeWorld, startFixtureService, waitForExecution, type World } from './helpers.js';

/**
 * A Standard execution that runs past its time limit (one year on AWS, a second here) ends TIMED_OUT as on AWS:
 * no error or cause, an ExecutionTimedOut event with empty details, its `.sync:2` child stopped and the child's
 * task token dead. Every status change is handed on as the EventBridge event Step Functions emits.
 */
let world: World;
let local: LocalStepFunctions;
let sfn: SFNClient;
const events: ExecutionStatusChangeEvent[] = [];

beforeAll(async () => {
  world = makeWorld();
  local = await startFixtureService(world, { maxExecutionSeconds: 1, onExecutionStatusChange: (event) => events.push(event) });
  sfn = client(local.endpoint);
});

afterAll(async () => {
  sfn?.destroy();
  await local?.close();
});

const start = async (caseId: string) =>
  (await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('parent'), name: caseId, input: JSON.stringify({ caseId, origin: `form:${caseId}`, timing: { responseTimeoutSeconds: 30, maxReminders: 5 } }) }))).executionArn!;
const childOf = (caseId: string) => `arn:aws:states:eu-central-1:123456789012:execution:child:${caseId}-CONFIRM-1`;
const eventsOf = (executionArn: string) => events.filter((e) => e.detail.executionArn === executionArn);

describe('the execution time limit (maxExecutionSeconds)', () => {
  it('GIVEN a parent waiting in its child for a participant WHEN its time runs out THEN it ends TIMED_OUT with no error, its child is stopped and the token is dead', async () => {
    const caseId = 'ZSD-LIMIT-1';
    const arn = await start(caseId);
    const request = await world.mailbox(caseId).next();

    const ended = await waitForExecution(sfn, arn, undefined, 5000);
    expect(ended.status).toBe('TIMED_OUT');
    expect(ended.error).toBeUndefined();
    expect(ended.cause).toBeUndefined();
    const history = (await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }))).events!;
    expect(history.at(-1)).toMatchObject({ type: 'ExecutionTimedOut', executionTimedOutEventDetails: {} });
    expect(history.at(-1)!.executionTimedOutEventDetails).toEqual({});

    // The child was stopped by its parent, not timed out on its own.
    const child = await waitForExecution(sfn, childOf(caseId));
    expect(child.status).toBe('ABORTED');
    await expectSfnError(sfn.send(new SendTaskSuccessCommand({ taskToken: request.token, output: '{}' })), 'TaskTimedOut');
    expect(world.failures.size).toBe(0);
  });

  it('emits the EventBridge event of every status change: RUNNING, then TIMED_OUT with the detail Step Functions sends', async () => {
    const caseId = 'ZSD-LIMIT-2';
    const arn = await start(caseId);
    await waitForExecution(sfn, arn, undefined, 5000);
    await waitForExecution(sfn, childOf(caseId));

    const [running, timedOut, ...more] = eventsOf(arn);
    expect(more).toEqual([]);
    expect(running).toMatchObject({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', resources: [arn], detail: { status: 'RUNNING', stopDate: null } });
    expect(timedOut).toMatchObject({
      version: '0',
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      account: '123456789012',
      region: 'eu-central-1',
      resources: [arn],
      detail: {
        executionArn: arn,
        stateMachineArn: local.stateMachineArn('parent'),
        name: caseId,
        status: 'TIMED_OUT',
        inputDetails: { included: true },
        output: null,
        outputDetails: null,
        error: null,
        cause: null,
      },
    });
    expect(JSON.parse(timedOut!.detail.input)).toMatchObject({ caseId });
    // Node's timers run on a monotonic clock, dates on the wall clock: a millisecond either way is the clocks, not the limit.
    expect(timedOut!.detail.stopDate! - timedOut!.detail.startDate).toBeGreaterThanOrEqual(990);
    expect(eventsOf(childOf(caseId)).map((e) => e.detail.status)).toEqual(['RUNNING', 'ABORTED']);
  });

  it('a stopped execution is ABORTED with the error and cause of StopExecution', async () => {
    const caseId = 'ZSD-LIMIT-3';
    const arn = await start(caseId);
    await world.mailbox(caseId).next();
    await sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'Console', cause: 'stopped by an operator' }));
    await waitForExecution(sfn, childOf(caseId));
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).toMatchObject({ status: 'ABORTED', error: 'Console', cause: 'stopped by an operator' });
    expect(eventsOf(arn).map((e) => [e.detail.status, e.detail.error, e.detail.cause])).toEqual([
      ['RUNNING', null, null],
      ['ABORTED', 'Console', 'stopped by an operator'],
    ]);
  });
});

describe('the one-year limit of AWS (the default)', () => {
  it('GIVEN an execution waiting for a token WHEN a year passes THEN it ends TIMED_OUT; Node timers (at most ~24.8 days) are chained to get there', async () => {
    const service = await LocalStepFunctionsService.create({
      region: 'eu-central-1',
      accountId: '123456789012',
      stateMachines: [{ name: 'forever', definitionFile: fixture('forever.asl.json') }],
      substitutions: {},
      lambdas: { noop: async () => null },
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const { executionArn } = (await service.operations.StartExecution!({ stateMachineArn: service.stateMachineArn('forever') })) as { executionArn: string };
      const status = async () => ((await service.operations.DescribeExecution!({ executionArn })) as { status: string }).status;
      const DAY = 86_400_000;

      await vi.advanceTimersByTimeAsync(365 * DAY - 1000);
      expect(await status()).toBe('RUNNING');
      await vi.advanceTimersByTimeAsync(2000);
      expect(await status()).toBe('TIMED_OUT');
    } finally {
      vi.useRealTimers();
      await service.close();
    }
  });
});
