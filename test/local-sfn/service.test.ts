import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  DescribeExecutionCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { LocalStepFunctions } from '../../local/stepfunctions/index.js';
import { client, expectSfnError, makeWorld, startFixtureService, waitForExecution, type World } from './helpers.js';

let world: World;
let local: LocalStepFunctions;
let sfn: SFNClient;
let parentArn: string;
let childArn: string;
let miscArn: string;

const timing = (responseTimeoutSeconds = 30, maxReminders = 5) => ({ responseTimeoutSeconds, maxReminders });

async function startParent(caseId: string, extra: Record<string, unknown> = {}) {
  const out = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: parentArn,
      name: caseId,
      input: JSON.stringify({ caseId, origin: `form:${caseId}`, timing: timing(), ...extra }),
    }),
  );
  return out.executionArn!;
}

const childExecArn = (parentName: string) =>
  `arn:aws:states:eu-central-1:123456789012:execution:child:${parentName}-CONFIRM-1`;

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const out = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return out.events ?? [];
}

beforeAll(async () => {
  world = makeWorld();
  local = await startFixtureService(world);
  sfn = client(local.endpoint);
  parentArn = local.stateMachineArn('parent');
  childArn = local.stateMachineArn('child');
  miscArn = local.stateMachineArn('misc');
});

afterAll(async () => {
  sfn?.destroy();
  await local?.close();
});

describe('parent + child (.sync:2 + waitForTaskToken)', () => {
  it('SendTaskSuccess completes the wait and the parent gets the child output', async () => {
    const arn = await startParent('ZSD-OK-1');
    const req = await world.mailbox('ZSD-OK-1').next();
    expect(req.token).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(req.payload).toMatchObject({ caseId: 'ZSD-OK-1', reminders: 0, execution: 'ZSD-OK-1-CONFIRM-1' });
    expect(req.payload.link).toBe(`https://example.test/c?t=${req.token}`);

    // heartbeat on an open task is accepted
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: req.token }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: req.token, output: JSON.stringify({ answer: 'yes' }) }));

    const done = await waitForExecution(sfn, arn);
    expect(done.status).toBe('SUCCEEDED');
    const output = JSON.parse(done.output!);
    expect(output).toEqual({
      applied: {
        caseId: 'ZSD-OK-1',
        response: { answer: 'yes' },
        // $$.Execution.Input inside a Parallel branch is the execution input, $$.State.Name works
        side: { side: true, caseId: 'ZSD-OK-1', origin: 'form:ZSD-OK-1', state: 'Side' },
        applied: true,
      },
    });
    expect(done.startDate).toBeInstanceOf(Date);
    expect(done.stopDate!.getTime()).toBeGreaterThanOrEqual(done.startDate!.getTime());

    const child = await sfn.send(new DescribeExecutionCommand({ executionArn: childExecArn('ZSD-OK-1') }));
    expect(child.status).toBe('SUCCEEDED');
    expect(JSON.parse(child.input!)).toMatchObject({ caseId: 'ZSD-OK-1', AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: arn });
    expect(JSON.parse(child.output!)).toEqual({ response: { answer: 'yes' } });

    // the token is closed now: AWS answers TaskTimedOut for tokens of closed tasks
    await expectSfnError(sfn.send(new SendTaskSuccessCommand({ taskToken: req.token, output: '{}' })), 'TaskTimedOut');
    await expectSfnError(sfn.send(new SendTaskHeartbeatCommand({ taskToken: req.token })), 'TaskTimedOut');
  });

  it('timeout → reminder loop → success; a late token is TaskTimedOut', async () => {
    const caseId = 'ZSD-REMIND-1';
    const arn = await sfn
      .send(
        new StartExecutionCommand({
          stateMachineArn: parentArn,
          name: caseId,
          input: JSON.stringify({ caseId, origin: 'x', timing: timing(1, 5) }),
        }),
      )
      .then((o) => o.executionArn!);
    const first = await world.mailbox(caseId).next();
    expect(first.payload.reminders).toBe(0);
    const second = await world.mailbox(caseId).next(4000); // after the 1 s timeout
    expect(second.payload.reminders).toBe(1);
    expect(second.token).not.toBe(first.token);

    await expectSfnError(sfn.send(new SendTaskSuccessCommand({ taskToken: first.token, output: '{}' })), 'TaskTimedOut');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: second.token, output: '{"answer":"late yes"}' }));
    const done = await waitForExecution(sfn, arn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!).applied.response).toEqual({ answer: 'late yes' });

    const events = await history(childExecArn(caseId));
    const types = events.map((e) => e.type);
    expect(types).toContain('TaskTimedOut');
    expect(types.filter((t) => t === 'TaskScheduled')).toHaveLength(2);
    const timedOut = events.find((e) => e.type === 'TaskTimedOut')!;
    expect(timedOut.taskTimedOutEventDetails?.error).toBe('States.Timeout');
    const scheduled = events.find((e) => e.type === 'TaskScheduled')!;
    expect(scheduled.taskScheduledEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      region: 'eu-central-1',
      timeoutInSeconds: 1,
    });
    // hidden local keys never reach the lambda or the history
    expect(scheduled.taskScheduledEventDetails!.parameters).not.toContain('__local');
    expect(Object.keys(first.payload).sort()).toEqual(['caseId', 'execution', 'link', 'reminders', 'taskToken']);
  });

  it('escalates after maxReminders and fails the child; the parent Catch records the failure', async () => {
    const caseId = 'ZSD-ESC-1';
    const arn = await sfn
      .send(
        new StartExecutionCommand({
          stateMachineArn: parentArn,
          name: caseId,
          input: JSON.stringify({ caseId, origin: 'x', timing: timing(1, 1) }),
        }),
      )
      .then((o) => o.executionArn!);
    await world.mailbox(caseId).next();
    const esc = await world.escalations.next(4000);
    expect(esc).toMatchObject({ caseId, reminders: 1 }); // plain lambda ARN resource gets the state input
    const failure = await world.failures.next();
    expect((failure.error as { Error: string }).Error).toBe('States.TaskFailed');
    const cause = JSON.parse((failure.error as { Cause: string }).Cause);
    expect(cause).toMatchObject({ Status: 'FAILED', Error: 'NoResponse', Cause: 'no response after reminders', Name: `${caseId}-CONFIRM-1` });
    const done = await waitForExecution(sfn, arn);
    expect(done).toMatchObject({ status: 'FAILED', error: 'ProcedureFailed', cause: 'see record-failure' });
    const child = await waitForExecution(sfn, childExecArn(caseId));
    expect(child).toMatchObject({ status: 'FAILED', error: 'NoResponse' });
  });

  it('SendTaskFailure fails the task; Catch States.ALL → record-failure → Fail with ErrorPath/CausePath', async () => {
    const caseId = 'ZSD-REJECT-1';
    const arn = await startParent(caseId);
    const req = await world.mailbox(caseId).next();
    await sfn.send(new SendTaskFailureCommand({ taskToken: req.token, error: 'Rejected', cause: 'the operator said no' }));
    const child = await waitForExecution(sfn, childExecArn(caseId));
    expect(child).toMatchObject({ status: 'FAILED', error: 'Rejected', cause: 'the operator said no' });
    const first = await world.failures.next();
    expect(first).toEqual({ error: { Error: 'Rejected', Cause: 'the operator said no' } });
    const done = await waitForExecution(sfn, arn);
    expect(done.status).toBe('FAILED');
    await world.failures.next(); // the parent's record-failure
  });

  it('StopExecution aborts the parent and its .sync child and invalidates the token', async () => {
    const caseId = 'ZSD-STOP-1';
    const arn = await startParent(caseId);
    const req = await world.mailbox(caseId).next();
    const stopped = await sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'Withdrawn', cause: 'by the user' }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const parent = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    expect(parent).toMatchObject({ status: 'ABORTED', error: 'Withdrawn', cause: 'by the user' });
    const child = await waitForExecution(sfn, childExecArn(caseId));
    expect(child.status).toBe('ABORTED');
    await expectSfnError(sfn.send(new SendTaskSuccessCommand({ taskToken: req.token, output: '{}' })), 'TaskTimedOut');
    const types = (await history(arn)).map((e) => e.type);
    expect(types.at(-1)).toBe('ExecutionAborted');
    const stats = local.stats();
    expect(stats.executionsRunning).toBeGreaterThanOrEqual(0);
  });
});

describe('lambda errors, Retry and Catch', () => {
  it('retries a custom error name with backoff and then succeeds', async () => {
    const caseId = 'ZSD-RETRY-OK';
    const arn = await startParent(caseId, { register: 'transient-once' });
    const req = await world.mailbox(caseId).next();
    await sfn.send(new SendTaskSuccessCommand({ taskToken: req.token, output: '{"answer":"ok"}' }));
    expect((await waitForExecution(sfn, arn)).status).toBe('SUCCEEDED');
    expect(world.registerCalls.get(caseId)).toBe(2);
    const events = await history(arn);
    const failed = events.filter((e) => e.type === 'TaskFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0].taskFailedEventDetails?.error).toBe('Transient');
    expect(JSON.parse(failed[0].taskFailedEventDetails!.cause!)).toEqual({ errorType: 'Transient', errorMessage: 'first attempt failed', trace: [] });
  });

  it('exhausts Retry (MaxAttempts 2 → 3 calls) then Catch → record-failure → Fail', async () => {
    const caseId = 'ZSD-RETRY-FAIL';
    const before = local.stats().lambdaInvocations['register-case'] ?? 0;
    const transitionsBefore = local.stats().stateTransitions;
    const arn = await startParent(caseId, { register: 'transient-always' });
    const failure = await world.failures.next();
    expect(failure.error).toEqual({
      Error: 'Transient',
      Cause: JSON.stringify({ errorType: 'Transient', errorMessage: 'attempt 3 failed', trace: [] }),
    });
    const done = await waitForExecution(sfn, arn);
    expect(done).toMatchObject({ status: 'FAILED', error: 'ProcedureFailed' });
    expect(local.stats().lambdaInvocations['register-case'] - before).toBe(3);
    // Billed like Step Functions: every state entered, and each of the 2 retries.
    const entered = (await history(arn)).filter((e) => e.type?.endsWith('StateEntered')).length;
    expect(local.stats().stateTransitions - transitionsBefore).toBe(entered + 2);
  });

  it('does not retry other error names (TypeError → Catch directly)', async () => {
    const caseId = 'ZSD-FATAL';
    const arn = await startParent(caseId, { register: 'fatal' });
    const failure = await world.failures.next();
    expect((failure.error as { Error: string }).Error).toBe('TypeError');
    expect((await waitForExecution(sfn, arn)).status).toBe('FAILED');
    expect(world.registerCalls.get(caseId)).toBe(1);
  });

  it('a waitForTaskToken lambda that throws is retried (JitterStrategy FULL, scaled)', async () => {
    const caseId = 'CHILD-TRANSIENT';
    world.requestTransient.add(caseId);
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: childArn, name: caseId, input: JSON.stringify({ caseId, timing: timing() }) }),
    );
    const req = await world.mailbox(caseId).next();
    await sfn.send(new SendTaskSuccessCommand({ taskToken: req.token, output: '"ok"' }));
    const done = await waitForExecution(sfn, executionArn!);
    expect(JSON.parse(done.output!)).toEqual({ response: 'ok' });
  });
});

describe('timeouts of the library adaptation', () => {
  it('States.TaskFailed does not catch States.Timeout (TimeoutSeconds enforced locally)', async () => {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: miscArn, input: '{"mode":"slow"}' }));
    const done = await waitForExecution(sfn, executionArn!);
    expect(done).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
  });

  it('HeartbeatSeconds: a heartbeat keeps the task alive past its heartbeat interval; a missing one times it out (caught as States.Timeout)', async () => {
    // kept's task starts first, so its first deadline comes before missed's; missed's timeout is the event that proves
    // kept outlived that first deadline (same HeartbeatSeconds, timers of one length fire in the order they were set).
    const kept = (await sfn.send(new StartExecutionCommand({ stateMachineArn: miscArn, input: '{"mode":"heartbeat"}' }))).executionArn!;
    const keptRequest = await world.mailbox('hb').next();
    const missed = (await sfn.send(new StartExecutionCommand({ stateMachineArn: miscArn, input: '{"mode":"heartbeat"}' }))).executionArn!;
    await world.mailbox('hb').next();
    let missedDone = await sfn.send(new DescribeExecutionCommand({ executionArn: missed }));
    for (const deadline = Date.now() + 5000; missedDone.status === 'RUNNING' && Date.now() < deadline; ) {
      await sfn.send(new SendTaskHeartbeatCommand({ taskToken: keptRequest.token }));
      await new Promise((r) => setTimeout(r, 50));
      missedDone = await sfn.send(new DescribeExecutionCommand({ executionArn: missed }));
    }
    expect(missedDone.status).toBe('SUCCEEDED');
    expect(JSON.parse(missedDone.output!)).toMatchObject({ caught: 'caught', timedOut: { Error: 'States.Timeout' } });
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: keptRequest.token })); // still open
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: kept }))).status).toBe('RUNNING');

    const keptDone = await waitForExecution(sfn, kept, undefined, 4000);
    expect(JSON.parse(keptDone.output!)).toMatchObject({ caught: 'caught', timedOut: { Error: 'States.Timeout' } });
    expect((await history(kept)).find((e) => e.type === 'TaskTimedOut')?.taskTimedOutEventDetails?.cause).toMatch(/heartbeat/i);
    await expectSfnError(sfn.send(new SendTaskHeartbeatCommand({ taskToken: keptRequest.token })), 'TaskTimedOut');
  });

  it('plain startExecution returns ExecutionArn/StartDate and leaves the child running', async () => {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: miscArn, input: '{"mode":"fire"}' }));
    const done = await waitForExecution(sfn, executionArn!);
    const out = JSON.parse(done.output!);
    expect(out.ExecutionArn).toMatch(/:execution:child:/);
    expect(typeof out.StartDate).toBe('number');
    await world.mailbox('fire').next();
    await sfn.send(new StopExecutionCommand({ executionArn: out.ExecutionArn }));
  });
});

describe('API behaviour', () => {
  it('StartExecution name idempotency (AWS Standard)', async () => {
    const input = JSON.stringify({ caseId: 'IDEM-1', timing: timing() });
    const a = await sfn.send(new StartExecutionCommand({ stateMachineArn: childArn, name: 'IDEM-1', input }));
    const b = await sfn.send(new StartExecutionCommand({ stateMachineArn: childArn, name: 'IDEM-1', input }));
    expect(b.executionArn).toBe(a.executionArn);
    expect(b.startDate!.getTime()).toBe(a.startDate!.getTime());
    await expectSfnError(
      sfn.send(new StartExecutionCommand({ stateMachineArn: childArn, name: 'IDEM-1', input: JSON.stringify({ caseId: 'other', timing: timing() }) })),
      'ExecutionAlreadyExists',
    );
    const req = await world.mailbox('IDEM-1').next();
    expect(world.mailbox('IDEM-1').size).toBe(0); // only one execution ran
    await sfn.send(new SendTaskSuccessCommand({ taskToken: req.token, output: '{}' }));
    await waitForExecution(sfn, a.executionArn!);
    // closed executions are not idempotent any more
    await expectSfnError(sfn.send(new StartExecutionCommand({ stateMachineArn: childArn, name: 'IDEM-1', input })), 'ExecutionAlreadyExists');
    // generated names are UUIDs
    const gen = await sfn.send(new StartExecutionCommand({ stateMachineArn: miscArn, input: '{"mode":"fire"}' }));
    expect(gen.executionArn).toMatch(/:execution:misc:[0-9a-f-]{36}$/);
  });

  it('errors: TaskDoesNotExist, InvalidOutput, ExecutionDoesNotExist, StateMachineDoesNotExist, InvalidName, ValidationException', async () => {
    await expectSfnError(sfn.send(new SendTaskSuccessCommand({ taskToken: 'no-such-token', output: '{}' })), 'TaskDoesNotExist');
    await expectSfnError(sfn.send(new SendTaskFailureCommand({ taskToken: 'no-such-token', error: 'X' })), 'TaskDoesNotExist');
    await expectSfnError(sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'no-such-token' })), 'TaskDoesNotExist');

    const caseId = 'ERR-1';
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: childArn, name: caseId, input: JSON.stringify({ caseId, timing: timing() }) }),
    );
    const req = await world.mailbox(caseId).next();
    const err = await expectSfnError(sfn.send(new SendTaskSuccessCommand({ taskToken: req.token, output: '{not json' })), 'InvalidOutput');
    expect((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(400);
    await sfn.send(new StopExecutionCommand({ executionArn }));

    await expectSfnError(
      sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:eu-central-1:123456789012:execution:child:nope' })),
      'ExecutionDoesNotExist',
    );
    await expectSfnError(sfn.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' })), 'InvalidArn');
    await expectSfnError(
      sfn.send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:eu-central-1:123456789012:stateMachine:nope' })),
      'StateMachineDoesNotExist',
    );
    await expectSfnError(sfn.send(new StartExecutionCommand({ stateMachineArn: childArn, name: 'bad name' })), 'InvalidName');
    await expectSfnError(sfn.send(new StartExecutionCommand({ stateMachineArn: childArn, input: '{oops' })), 'InvalidExecutionInput');
    await expectSfnError(sfn.send(new ListExecutionsCommand({} as never)), 'ValidationException');
  });

  it('ListExecutions: statusFilter, newest first, maxResults/nextToken', async () => {
    const names = ['LIST-A', 'LIST-B', 'LIST-C'];
    const arns: string[] = [];
    for (const n of names) {
      const o = await sfn.send(new StartExecutionCommand({ stateMachineArn: childArn, name: n, input: JSON.stringify({ caseId: n, timing: timing() }) }));
      arns.push(o.executionArn!);
    }
    const req = await world.mailbox('LIST-B').next();
    await sfn.send(new SendTaskSuccessCommand({ taskToken: req.token, output: '{}' }));
    await waitForExecution(sfn, arns[1]);

    const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn: childArn, statusFilter: 'RUNNING', maxResults: 1000 }));
    const runningNames = running.executions!.map((e) => e.name);
    expect(runningNames).toEqual(expect.arrayContaining(['LIST-A', 'LIST-C']));
    expect(runningNames).not.toContain('LIST-B');
    expect(runningNames.indexOf('LIST-C')).toBeLessThan(runningNames.indexOf('LIST-A')); // newest first

    const succeeded = await sfn.send(new ListExecutionsCommand({ stateMachineArn: childArn, statusFilter: 'SUCCEEDED' }));
    expect(succeeded.executions!.map((e) => e.name)).toContain('LIST-B');
    expect(succeeded.executions!.every((e) => e.status === 'SUCCEEDED' && e.stopDate instanceof Date)).toBe(true);

    // paging over everything gives every execution exactly once
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: childArn, maxResults: 2, nextToken }));
      expect(page.executions!.length).toBeLessThanOrEqual(2);
      seen.push(...page.executions!.map((e) => e.executionArn!));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(arns));

    for (const a of [arns[0], arns[2]]) await sfn.send(new StopExecutionCommand({ executionArn: a }));
    const aborted = await sfn.send(new ListExecutionsCommand({ stateMachineArn: childArn, statusFilter: 'ABORTED' }));
    expect(aborted.executions!.map((e) => e.name)).toEqual(expect.arrayContaining(['LIST-A', 'LIST-C']));
  });

  it('GetExecutionHistory: AWS event types, ids, pagination, reverseOrder', async () => {
    const caseId = 'HIST-1';
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: childArn, name: caseId, input: JSON.stringify({ caseId, timing: timing() }) }),
    );
    const req = await world.mailbox(caseId).next();
    await sfn.send(new SendTaskSuccessCommand({ taskToken: req.token, output: '{"answer":"yes"}' }));
    await waitForExecution(sfn, executionArn!);
    const events = await history(executionArn!);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    events.forEach((e, i) => {
      expect(e.id).toBe(i + 1);
      expect(e.previousEventId).toBe(i);
      expect(e.timestamp).toBeInstanceOf(Date);
    });
    expect(JSON.parse(events[0].executionStartedEventDetails!.input!)).toMatchObject({ caseId });
    expect(events[3].stateEnteredEventDetails?.name).toBe('Request confirmation');
    expect(JSON.parse(events[7].taskSucceededEventDetails!.output!)).toEqual({ answer: 'yes' });
    expect(JSON.parse(events[11].executionSucceededEventDetails!.output!)).toEqual({ response: { answer: 'yes' } });

    const p1 = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 5, reverseOrder: true }));
    expect(p1.events!.map((e) => e.id)).toEqual([12, 11, 10, 9, 8]);
    const p2 = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 5, reverseOrder: true, nextToken: p1.nextToken }));
    expect(p2.events!.map((e) => e.id)).toEqual([7, 6, 5, 4, 3]);
    const p3 = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 5, reverseOrder: true, nextToken: p2.nextToken }));
    expect(p3.events!.map((e) => e.id)).toEqual([2, 1]);
    expect(p3.nextToken).toBeUndefined();

    const noData = await sfn.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }));
    expect(noData.events![0].executionStartedEventDetails?.input).toBeUndefined();

    // the parent's history has Parallel and lambda task events
    const parentEvents = await history(parentArn.replace(':stateMachine:', ':execution:') + ':ZSD-OK-1');
    const types = parentEvents.map((e) => e.type);
    for (const t of ['ParallelStateEntered', 'ParallelStateStarted', 'ParallelStateSucceeded', 'ParallelStateExited', 'TaskSucceeded', 'SucceedStateEntered']) {
      expect(types).toContain(t);
    }
    const sync = parentEvents.find((e) => e.type === 'TaskSucceeded' && e.taskSucceededEventDetails?.resource === 'startExecution.sync:2');
    expect(JSON.parse(sync!.taskSucceededEventDetails!.output!)).toMatchObject({ Status: 'SUCCEEDED', Output: { response: { answer: 'yes' } } });
  });

  it('ListStateMachines / DescribeStateMachine return the substituted definitions', async () => {
    const list = await sfn.send(new ListStateMachinesCommand({}));
    expect(list.stateMachines!.map((s) => s.name)).toEqual(['parent', 'child', 'misc']);
    const d = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: parentArn }));
    expect(d).toMatchObject({ name: 'parent', status: 'ACTIVE', type: 'STANDARD' });
    expect(d.definition).toContain(childArn);
    expect(d.definition).not.toContain('${');
    expect(d.creationDate).toBeInstanceOf(Date);
  });

  it('stats count executions, transitions and lambda invocations', () => {
    const s = local.stats();
    expect(s.executionsStarted).toBeGreaterThan(10);
    expect(s.stateTransitions).toBeGreaterThan(50);
    expect(s.lambdaInvocations['request-confirmation']).toBeGreaterThan(5);
    expect(s.lambdaInvocations['side']).toBeGreaterThan(0); // registered by ARN, counted by name
  });
});
