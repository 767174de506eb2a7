import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NOTICES } from '../../lambdas/core/events.js';
import { STEP_IDS } from '../../lambdas/core/steps.js';
import { RETRY_HORIZON_SECONDS } from '../../lambdas/core/case-life.js';

import { FUNCTION_TIMEOUT_SECONDS as TIMEOUTS } from '../../lib/function-timeouts.js';

/** The longest any function may run (lib/function-timeouts.ts). */
const FUNCTION_TIMEOUT_SECONDS = Math.max(...Object.values(TIMEOUTS));

/**
 * The ASL files against the rules the product relies on and against the code they call: every Lambda task
 * retries transient errors with backoff and jitter; every failure becomes an incident an operator retries; every
 * value a function returns is checked before a Choice uses it; every human step goes through the
 * one confirmation protocol; every step and notice named in the ASL exists in the domain code.
 */
type State = Record<string, any>;
const load = (name: string) => JSON.parse(readFileSync(new URL(`../../statemachine/${name}.asl.json`, import.meta.url), 'utf8')) as { StartAt: string; States: Record<string, State> };
const procedure = load('procedure');
const confirmation = load('confirmation');

/** Every state with its name, whether it sits inside a Parallel branch, and the Parallel's own Catch. */
function allStates(states: Record<string, State>, inBranchOf?: State): { name: string; state: State; parallel?: State }[] {
  return Object.entries(states).flatMap(([name, state]) => [
    { name, state, parallel: inBranchOf },
    ...(state.Type === 'Parallel' ? state.Branches.flatMap((b: { States: Record<string, State> }) => allStates(b.States, state)) : []),
  ]);
}

const tasks = (machine: { States: Record<string, State> }) => allStates(machine.States).filter(({ state }) => state.Type === 'Task');

describe.each([
  ['procedure', procedure],
  ['confirmation', confirmation],
])('%s state machine', (_, machine) => {
  it('retries transient errors of every task with exponential backoff and full jitter', () => {
    for (const { name, state } of tasks(machine)) {
      const retry = state.Retry?.[0];
      expect(retry, name).toBeDefined();
      expect(retry.BackoffRate, name).toBeGreaterThan(1);
      expect(retry.JitterStrategy, name).toBe('FULL');
      expect(retry.MaxAttempts, name).toBeGreaterThanOrEqual(3);
      if (state.Resource.includes('lambda:invoke') && name !== 'Record failure') expect(retry.ErrorEquals, name).toContain('TransientError');
    }
  });

  it('has no retrier for SES: actions put e-mail on the outbox and never wait for the sending quota (send-email does, off the state machine)', () => {
    for (const { name, state } of tasks(machine)) {
      const retried = (state.Retry ?? []).flatMap((r: State) => r.ErrorEquals as string[]);
      expect(retried.filter((error: string) => /Sending|Ses|Email/.test(error)), name).toEqual([]);
    }
  });

  it(`retries no task for longer than the case-life bound assumes (${RETRY_HORIZON_SECONDS} s with every attempt at the function timeout)`, () => {
    for (const { name, state } of tasks(machine)) {
      const retriers: State[] = state.Retry ?? [];
      const waits = retriers.reduce((sum, r) => sum + r.MaxAttempts * (r.MaxDelaySeconds ?? r.IntervalSeconds * r.BackoffRate ** r.MaxAttempts), 0);
      const attempts = 1 + retriers.reduce((sum, r) => sum + r.MaxAttempts, 0);
      expect(waits + attempts * FUNCTION_TIMEOUT_SECONDS, name).toBeLessThanOrEqual(RETRY_HORIZON_SECONDS);
    }
  });

  it('retries every transient error AWS documents for its integration, and nothing an operator must act on', () => {
    // https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html (+ throttling); for
    // startExecution.sync:2 the StartExecution API's transient errors as Step Functions names them (local/stepfunctions/README.md).
    const LAMBDA_TRANSIENT = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.ClientExecutionTimeoutException', 'Lambda.TooManyRequestsException'];
    const SFN_TRANSIENT = ['StepFunctions.AWSStepFunctionsException', 'StepFunctions.ExecutionLimitExceededException', 'StepFunctions.SdkClientException'];
    const FOR_AN_OPERATOR = ['States.ALL', 'States.TaskFailed', 'Sandbox.Timedout', 'Lambda.Unknown', 'Runtime.OutOfMemory', 'AccessDenied', 'EmailRejected', 'SendingPaused', 'SesAccessDenied', 'ValidationError', 'ConflictError'];
    for (const { name, state } of tasks(machine)) {
      // The final record retries whatever fails: there is nothing after it to hand the failure to.
      if (name === 'Record failure') continue;
      const retried = (state.Retry ?? []).flatMap((r: State) => r.ErrorEquals as string[]);
      const transient = state.Resource.startsWith('arn:aws:states:::lambda:invoke') ? LAMBDA_TRANSIENT : SFN_TRANSIENT;
      expect(retried, name).toEqual(expect.arrayContaining(transient));
      for (const error of FOR_AN_OPERATOR) expect(retried, `${name} retries ${error}`).not.toContain(error);
    }
  });

  it('sends every failure of a task to its own incident, where a retry resumes at that task', () => {
    for (const { name, state } of tasks(machine)) {
      if (name === 'Record failure' || isIncidentWait(state)) continue;
      const catcher = state.Catch?.find((c: State) => c.ErrorEquals.includes('States.ALL'));
      expect(catcher, name).toMatchObject({ ResultPath: '$.failure', Next: `Incident at ${name}` });
      const marker = stateNamed(machine, `Incident at ${name}`);
      expect(marker, name).toMatchObject({ Type: 'Pass', Parameters: { resumeAt: name }, ResultPath: '$.incident' });
      // The incident's wait, in the same scope, resumes at the task.
      const wait = stateNamed(machine, marker.Next);
      expect(isIncidentWait(wait), name).toBe(true);
      const resume = stateNamed(machine, wait.Next);
      expect(resume.Choices, name).toContainEqual({ Variable: '$.incident.resumeAt', StringEquals: name, Next: name });
    }
  });

  it('has one incident mechanism: every incident wait is the same waitForTaskToken task, bounded, ending in the recorded failure', () => {
    const waits = allStates(machine.States).filter(({ state }) => isIncidentWait(state));
    expect(waits.length).toBeGreaterThan(0);
    const [first] = waits;
    for (const { name, state, parallel } of waits) {
      expect({ ...state, Next: undefined, Catch: undefined }, name).toEqual({ ...first!.state, Next: undefined, Catch: undefined });
      expect(state.TimeoutSecondsPath, name).toBe('$.incidentWaitSeconds');
      // Nobody decided in time (or the incidents per case ran out): the case is marked failed, directly or through the Parallel.
      const end = state.Catch.find((c: State) => c.ErrorEquals.includes('States.ALL'));
      if (parallel) {
        expect(stateNamed(machine, end.Next)).toMatchObject({ Type: 'Fail', Error: 'IncidentUnresolved' });
        expect(parallel.Catch[0]).toMatchObject({ ErrorEquals: expect.arrayContaining(['IncidentUnresolved', 'StepFailed']), Next: 'Record failure' });
      } else {
        expect(end.Next, name).toBe('Record failure');
      }
    }
    expect(machine.States['Record failure'].Next).toMatch(/failed$/);
    expect(machine.States[machine.States['Record failure'].Next].Type).toBe('Fail');
  });

  it('never reaches "Record failure" or an incident without the failure that explains it', () => {
    for (const { name, state } of allStates(machine.States)) {
      if (state.Type !== 'Choice' || name.endsWith('Resume after incident')) continue;
      for (const target of [state.Default, ...state.Choices.map((c: State) => c.Next)]) {
        expect(target === 'Record failure' || String(target).startsWith('Incident at'), `${name} → ${target}`).toBe(false);
      }
    }
  });
});

/** The incident state: open-incident with a task token (the operator's retry answers it). */
function isIncidentWait(state: State | undefined): boolean {
  return state?.Type === 'Task' && state.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken' && state.Parameters?.FunctionName === '${OpenIncidentFunctionArn}';
}

function stateNamed(machine: { States: Record<string, State> }, name: string): State {
  return allStates(machine.States).find((s) => s.name === name)!.state;
}

describe('procedure', () => {
  const names = allStates(procedure.States).map((s) => s.name);

  it('has a state for each step of the original text and both variants', () => {
    for (const prefix of ['1 ', '2 ', '3 ', '4 ', 'a ', 'b ', 'c ', 'd ', '3d Archive', '4d Close']) {
      expect(names.some((n) => n.startsWith(prefix)), prefix).toBe(true);
    }
  });

  it('runs every human step through the confirmation child with .sync:2, named by case, step and round', () => {
    const children = tasks(procedure).filter(({ state }) => state.Resource.startsWith('arn:aws:states:::states:startExecution'));
    expect(children.length).toBeGreaterThanOrEqual(STEP_IDS.length);
    for (const { name, state } of children) {
      expect(state.Resource, name).toBe('arn:aws:states:::states:startExecution.sync:2');
      expect(state.Parameters.StateMachineArn, name).toBe('${ConfirmationStateMachineArn}');
      expect(state.Parameters['Name.$'], name).toMatch(new RegExp(`^States\\.Format\\('\\{\\}-${state.Parameters.Input.step}-`));
    }
    // Every step of the catalogue is asked for, and nothing else.
    expect(new Set(children.map(({ state }) => state.Parameters.Input.step))).toEqual(new Set(STEP_IDS));
  });

  it("holds a step whose child could not be started (its StartExecution retries ran out) as an incident, and only a child that failed for good as the case's failure", () => {
    // States.TaskFailed matches every task error but States.Timeout, so the StartExecution errors must be caught before it.
    for (const { name, state } of tasks(procedure).filter(({ state }) => state.Resource.startsWith('arn:aws:states:::states:startExecution'))) {
      const retried = state.Retry.flatMap((r: State) => r.ErrorEquals as string[]);
      expect(state.Catch[0], name).toEqual({ ErrorEquals: retried, ResultPath: '$.failure', Next: `Incident at ${name}` });
      expect(state.Catch[1].ErrorEquals, name).toEqual(['States.TaskFailed']);
    }
  });

  it('runs step c beside the second part of step b, after the old SD is deactivated', () => {
    const parallel = procedure.States['b+c After old SD deactivation'];
    expect(parallel.Type).toBe('Parallel');
    expect(procedure.States['b Record old SD deactivation'].Next).toBe('b+c After old SD deactivation');
    const steps = parallel.Branches.map((b: State) => b.States[b.StartAt].Parameters.Input.step);
    expect(steps).toEqual(['NEW_SD_FEEDING', 'MZT_DEACTIVATED']);
    expect(parallel.Next).toBe('d Verify collections');
  });

  it('names only notices and steps the actions know', () => {
    for (const { state } of tasks(procedure)) {
      const payload = state.Parameters?.Payload ?? {};
      if (payload.notice) expect(NOTICES).toContain(payload.notice);
      if (typeof payload.step === 'string' && payload.step !== 'PROCEDURE') expect(STEP_IDS).toContain(payload.step);
    }
  });
});

describe('confirmation', () => {
  it('waits for the participant with a task token and a timeout read from the input, then reminds', () => {
    const request = confirmation.States['Request confirmation'];
    expect(request.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(request.Parameters.Payload['taskToken.$']).toBe('$$.Task.Token');
    expect(request.TimeoutSecondsPath).toBe('$.timing.responseTimeoutSeconds');
    expect(request.Catch[0]).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: 'Count reminder' });
    expect(confirmation.States['Escalate to MRPiPS?'].Default).toBe('Request confirmation');
    expect(confirmation.States['Escalate to MRPiPS'].Next).toBe('Request confirmation');
  });
});
