import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_ERRORS, bodyIncludes, sqsAccessDenied, type FaultLayer } from '../../local/faults.js';
import { writeRuntimeFile } from '../../local/runtime-file.js';
import { operatorAt } from './operator.js';
import { expectCompletedCase, outcomeOf, outboxQueueName, playCase, queuedMessageTo, readTimeline, startFaultWorld, answerOnPage, JST, MRPIPS, VOIVODESHIP_14, type Answer, type FaultWorld } from './play.js';

/**
 * Every AWS fault the local stack reproduces that fails an action for good (no Retry lists its error, or the
 * retries run out), met by a whole case: the case is held as an incident the operator sees with
 * `npm run cases -- incidents` (the failed state, the AWS error), the fault is lifted, `retry` runs the state
 * again, and the case completes with exactly the e-mails and timeline of an undisturbed case.
 */
const SEND_NOTICE_TIMEOUT_SECONDS = 1;
let world: FaultWorld;
let operator: ReturnType<typeof operatorAt>;
let dir: string;

beforeAll(async () => {
  world = await startFaultWorld({ LAMBDA_TIMEOUTS: JSON.stringify({ 'send-notice': SEND_NOTICE_TIMEOUT_SECONDS }) });
  dir = mkdtempSync(join(tmpdir(), 'zmiana-sd-aws-incidents-'));
  operator = operatorAt(world, await writeRuntimeFile(world.stack, join(dir, 'runtime.json')));
});

afterAll(async () => {
  await world?.stack.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface AwsFaultCase {
  fault: string;
  /** Where the failing action runs. */
  where: string;
  /** The state the incident names, and the error name Step Functions reports for it. */
  state: string;
  error: string;
  /** Before answering this step (its subject part) the fault is injected; before the case when absent. */
  injectBefore?: string;
  /** Injects the fault; returns what else lifting it takes, beyond removing the rules. */
  inject: (faults: FaultLayer) => (() => void) | void;
  /** What else the fault must have done to this case. */
  also?: (caseId: string) => void;
}

const FAULTS: AwsFaultCase[] = [
  {
    fault: 'send-notice outlives its 1 s timeout',
    where: 'a Lambda of the parent',
    state: 'd Inform JST of the outcome',
    error: 'Sandbox.Timedout',
    inject: (faults) => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      faults.add({ service: 'lambda', operation: 'send-notice', match: bodyIncludes('"notice":"CASE_COMPLETED"'), fault: { kind: 'hold', release: held }, times: Infinity, label: 'hung' });
      return release;
    },
    // Released after its timeout, the held invocation never ran: on AWS the sandbox would have been stopped.
    also: (caseId) => expect(world.faults.abandoned.filter((a) => a.functionName === 'send-notice' && a.payload.includes(caseId))).toHaveLength(1),
  },
  {
    fault: 'apply-response runs out of memory after recording step b',
    where: 'a Parallel branch',
    state: 'b Record new SD feeding',
    error: 'Runtime.OutOfMemory',
    inject: (faults) => void faults.add({ service: 'lambda', operation: 'apply-response', match: bodyIncludes('"step":"NEW_SD_FEEDING"'), fault: { kind: 'out-of-memory' }, times: Infinity, label: 'out of memory' }),
  },
  {
    fault: 'the outbox refuses the request to MRPiPS (SQS AccessDenied)',
    where: "a step's child",
    state: 'Request confirmation',
    error: 'AccessDenied',
    inject: (faults) => void faults.add({ service: 'sqs', operation: 'SendMessage', match: queuedMessageTo(MRPIPS, 'Utworzenie nowych zbiorów'), fault: sqsAccessDenied(outboxQueueName(world.stack), 'request-confirmation'), times: Infinity, label: 'denied' }),
  },
  {
    fault: "the outbox refuses apply-response's e-mail of the new codes (SQS AccessDenied)",
    where: 'a Lambda of the parent',
    state: 'a Register new collections',
    error: 'AccessDenied',
    inject: (faults) => void faults.add({ service: 'sqs', operation: 'SendMessage', match: queuedMessageTo(JST, 'kody nowych zbiorów'), fault: sqsAccessDenied(outboxQueueName(world.stack), 'apply-response'), times: Infinity, label: 'denied' }),
  },
  {
    fault: "the outbox refuses the voivodeship administrator's request (SQS AccessDenied)",
    where: 'the child of a Parallel branch',
    state: 'Request confirmation',
    error: 'AccessDenied',
    inject: (faults) => void faults.add({ service: 'sqs', operation: 'SendMessage', match: queuedMessageTo(VOIVODESHIP_14), fault: sqsAccessDenied(outboxQueueName(world.stack), 'request-confirmation'), times: Infinity, label: 'denied' }),
  },
  {
    fault: "StartExecution of the verification's child throttled beyond the state machine's retries",
    where: 'a .sync:2 step of the parent',
    state: 'd Verify collections',
    error: 'StepFunctions.AWSStepFunctionsException',
    inject: (faults) => void faults.add({ service: 'sfn-integration', operation: 'StartExecution', match: bodyIncludes('VERIFY_COLLECTIONS'), fault: AWS_ERRORS.sfnIntegrationThrottled, times: Infinity, label: 'throttled' }),
    // The first attempt and the Retry's 6 were refused before the incident.
    also: () => expect(world.faults.injected.filter((f) => f.label === 'throttled')).toHaveLength(7),
  },
];

describe('each AWS fault that fails an action for good is an incident; retried once lifted, the case completes as if undisturbed', () => {
  it.each(FAULTS)('$fault ($where): an incident at "$state" with $error', async ({ state, error, injectBefore, inject, also }) => {
    // GIVEN the fault, injected before the case or before one step is answered
    let lift: (() => void) | void = undefined;
    const injected = () => (lift = inject(world.faults));
    if (!injectBefore) injected();
    const answer = (step: string): Answer => (step === injectBefore ? async (email, fields) => (injected(), answerOnPage(email, fields)) : answerOnPage);

    // WHEN the case is played while the operator watches `incidents`, lifts the fault and retries
    const [played, incident] = await Promise.all([
      playCase(world, answer),
      operator.retries({ state, error }, () => {
        world.faults.clear();
        lift?.();
      }),
    ]);

    // THEN the case completed with exactly the e-mails and timeline of an undisturbed case
    expect(incident.caseId).toBe(played.caseId);
    expectCompletedCase(await outcomeOf(world, played));
    // AND its timeline shows the one incident and the one retry
    const actions = (await readTimeline(world, played.caseId)).map((e) => e.action);
    expect(actions.filter((a) => a === 'INCIDENT_OPENED')).toHaveLength(1);
    expect(actions.filter((a) => a === 'INCIDENT_RETRIED')).toHaveLength(1);
    also?.(played.caseId);
  });
});
