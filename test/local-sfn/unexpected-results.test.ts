/**
 * The product's ASL against function results it does not expect: a Choice must never meet a missing or unknown
 * value with a States.Runtime error (which fails the execution without marking the case). Every unexpected value
 * is an incident at the action that returned it, and the operator's retry runs that action again.
 */
import { DescribeExecutionCommand, SFNClient, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_IDS } from '../../lambdas/core/steps.js';
import type { LocalStepFunctions } from '../../local/stepfunctions/index.js';
import { Mailbox, REGION, startProductService } from './helpers.js';


type Payload = Record<string, unknown>;
/** What apply-response returns per step, in order of calls (the test's script); afterwards `{}`. */
let applyScript: Record<string, unknown[]> = {};
const requests = new Mailbox<Payload>();
const incidents = new Mailbox<Payload>();
const failures = new Mailbox<Payload>();
let local: LocalStepFunctions;
let sfn: SFNClient;

beforeAll(async () => {
  const lambdas: Record<string, (payload: Payload) => Promise<unknown>> = {
    'register-case': async () => ({}),
    'request-confirmation': async (p) => void requests.push(p),
    'escalate-step': async () => ({}),
    'apply-response': async (p) => {
      const script = applyScript[String(p.step)] ?? [];
      return script.length ? script.shift() : {};
    },
    'change-collection-states': async () => ({}),
    'send-notice': async () => ({}),
    'open-incident': async (p) => void incidents.push(p),
    'record-failure': async (p) => void failures.push(p),
  };
  local = await startProductService(lambdas as never);
  sfn = new SFNClient({ region: REGION, endpoint: local.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

afterAll(async () => {
  await local?.close();
});

const timing = { responseTimeoutSeconds: 600, escalateAfterReminders: 2, stalledAfterReminders: 3, stalledWaitSeconds: 600 };
let seq = 0;
async function start(): Promise<string> {
  const caseId = `ZSD-2026-${String(70_000 + ++seq)}`;
  const out = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: local.stateMachineArn('procedure'),
      name: caseId,
      input: JSON.stringify({ caseId, notification: {}, timing: Object.fromEntries(STEP_IDS.map((s) => [s, timing])), incidentWaitSeconds: 600 }),
    }),
  );
  return out.executionArn!;
}

/** The participant of the next requested step answers (what the link handler sends). */
async function answerNext(step: string): Promise<void> {
  const request = await requests.next();
  expect(request.step).toBe(step);
  await sfn.send(new SendTaskSuccessCommand({ taskToken: String(request.taskToken), output: JSON.stringify({ response: {}, participant: { email: 'x@y.pl', role: 'MRPIPS' }, confirmedAt: '2026-12-02T10:00:00Z' }) }));
}

const status = async (arn: string) => (await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status;

describe('a value a function returns that the procedure does not expect', () => {
  it.each([
    ['an unknown decision', { decision: 'MAYBE' }, 'MAYBE'],
    ['no decision at all', {}, '{}'],
    ['a payload that is not an object', 'REJECT', 'REJECT'],
    ['no payload', null, 'null'],
  ])('step 2 returns %s: an incident at "2 Record variant decision", and the retry runs it again', async (_label, value, shown) => {
    // GIVEN apply-response returns the unexpected value first, then a proper rejection
    applyScript = { CONFIRM_CONTACT: [{ collections: 'TAKEN' }], AGREE_VARIANT: [value, { decision: 'REJECT' }] };
    const arn = await start();
    await answerNext('CONFIRM_CONTACT');
    await answerNext('AGREE_VARIANT');
    // THEN the execution waits in an incident that says what came back
    const incident = await incidents.next();
    expect(incident).toMatchObject({ state: '2 Record variant decision', failure: { Error: 'UnexpectedResult' } });
    expect(String((incident.failure as Payload).Cause)).toContain(shown);
    expect(await status(arn)).toBe('RUNNING');
    // WHEN the operator retries
    await sfn.send(new SendTaskSuccessCommand({ taskToken: String(incident.taskToken), output: JSON.stringify({ retriedBy: 'ops@mrpips.gov.pl' }) }));
    // THEN the action runs again and the procedure goes on (here: the notification is rejected)
    await expect.poll(() => status(arn), { timeout: 5_000 }).toBe('SUCCEEDED');
    expect(failures.size).toBe(0);
  });

  it.each([
    ['no collections result', {}, '{}'],
    ['an unknown collections result', { collections: 'MAYBE' }, 'MAYBE'],
  ])('step 1 returns %s: an incident at "1 Record contact confirmation", and the retry runs it again', async (_label, value, shown) => {
    // GIVEN apply-response of the address confirmation returns the unexpected value first, then that the codes were taken
    applyScript = { CONFIRM_CONTACT: [value, { collections: 'TAKEN' }], AGREE_VARIANT: [{ decision: 'REJECT' }] };
    const arn = await start();
    await answerNext('CONFIRM_CONTACT');
    // THEN
    const incident = await incidents.next();
    expect(incident).toMatchObject({ state: '1 Record contact confirmation', failure: { Error: 'UnexpectedResult' } });
    expect(String((incident.failure as Payload).Cause)).toContain(shown);
    expect(await status(arn)).toBe('RUNNING');
    // WHEN the operator retries THEN the confirmation is recorded again and the procedure goes on to step 2
    await sfn.send(new SendTaskSuccessCommand({ taskToken: String(incident.taskToken), output: JSON.stringify({ retriedBy: 'ops@mrpips.gov.pl' }) }));
    await answerNext('AGREE_VARIANT');
    await expect.poll(() => status(arn), { timeout: 5_000 }).toBe('SUCCEEDED');
    expect(failures.size).toBe(0);
  });

  it.each([
    ['no result', { round: 1 }],
    ['an unknown result', { result: 'PERHAPS' }],
    ['discrepancies without the comment the JST needs', { result: 'DISCREPANCIES' }],
  ])('step d returns %s: an incident at "d Record verification"', async (_label, value) => {
    applyScript = { CONFIRM_CONTACT: [{ collections: 'TAKEN' }], AGREE_VARIANT: [{ decision: 'WITH_MIGRATION' }], VERIFY_COLLECTIONS: [value, { result: 'OK' }] };
    const arn = await start();
    for (const step of ['CONFIRM_CONTACT', 'AGREE_VARIANT', 'NEW_COLLECTIONS', 'OLD_SD_DEACTIVATED']) await answerNext(step);
    // b and c in parallel, in either order
    for (let i = 0; i < 2; i++) {
      const request = await requests.next();
      expect(['NEW_SD_FEEDING', 'MZT_DEACTIVATED']).toContain(request.step);
      await sfn.send(new SendTaskSuccessCommand({ taskToken: String(request.taskToken), output: JSON.stringify({ response: {}, participant: { email: 'x@y.pl', role: 'JST' }, confirmedAt: '2026-12-02T10:00:00Z' }) }));
    }
    await answerNext('VERIFY_COLLECTIONS');
    const incident = await incidents.next();
    expect(incident).toMatchObject({ state: 'd Record verification', failure: { Error: 'UnexpectedResult' } });
    expect(await status(arn)).toBe('RUNNING');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: String(incident.taskToken), output: '{}' }));
    await expect.poll(() => status(arn), { timeout: 5_000 }).toBe('SUCCEEDED');
    expect(failures.size).toBe(0);
  });
});
