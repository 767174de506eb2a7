import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_ERRORS, SDK_ATTEMPTS, bodyIncludes } from '../../local/faults.js';
import { confirmThroughLink, submitOnPage, type StoredEmail } from '../e2e/participants.js';
import { answerOnPage, expectCompletedCase, outcomeOf, playCase, readStep, readTimeline, startFaultWorld, type Answer, type FaultWorld } from './play.js';

/**
 * The participant's confirmation is recorded on the step, then handed to the waiting task (SendTaskSuccess),
 * then the used token is removed and the timeline written. Here each of those calls fails in turn while a
 * whole case is played. The confirmation is never lost and never counted twice, and the participant always
 * sees a page that tells the truth: "try again" when nothing was kept, "confirmed" when it was.
 */
let world: FaultWorld;

beforeAll(async () => {
  world = await startFaultWorld();
});

afterAll(async () => {
  await world?.stack.close();
});

const lastCase = { id: '' };
const caseIdOf = (email: StoredEmail) => /ZSD-\d{4}-\d{5}/.exec(email.subject)![0];

/** Step 2: Step Functions refuses the hand-over on every SDK attempt (500 ServiceUnavailable). */
const refusedThenRetried: Answer = async (email, fields) => {
  const caseId = (lastCase.id = caseIdOf(email));
  const refused = world.faults.add({ service: 'sfn', operation: 'SendTaskSuccess', fault: AWS_ERRORS.sfnUnavailable, times: SDK_ATTEMPTS.sfn, label: 'hand-over refused' });
  const first = await confirmThroughLink(email, fields);
  expect(refused.exhausted).toBe(true);
  // The participant is told, in Polish, that nothing was kept and to try again.
  expect(first.status).toBe(503);
  expect(first.body).toContain('Chwilowy problem');
  expect(first.body).toContain('Nic nie zostało zapisane — spróbuj ponownie');
  // And indeed: the step waits again for the same link, the timeline does not claim a confirmation.
  const step = await readStep(world, caseId, 'AGREE_VARIANT.1');
  expect(step.status).toBe('PENDING');
  expect(step.response).toBeUndefined();
  expect(step.taskToken).toBeDefined();
  expect((await readTimeline(world, caseId)).map((e) => e.id)).not.toContain('confirmed:AGREE_VARIANT.1');
  expect(world.stack.stepFunctions.stats().lambdaInvocations['apply-response'] ?? 0).toBe(1); // CONFIRM_CONTACT only
  // The second click (the same link, the page opened again) completes the step.
  const second = await submitOnPage(first.link, fields);
  expect(second.status, second.body).toBe(200);
  expect(second.body).toContain('potwierdzenie zapisane');
};

/** Step a: Step Functions takes the answer, but the reply is lost (connection reset); the SDK sends it again. */
const answeredButReplyLost: Answer = async (email, fields) => {
  const lost = world.faults.add({ service: 'sfn', operation: 'SendTaskSuccess', fault: { kind: 'lose-response' }, times: 1, label: 'reply lost' });
  const res = await confirmThroughLink(email, fields);
  expect(lost.exhausted).toBe(true);
  // The retry found the task closed by the lost attempt: the participant is told the truth, it is confirmed.
  expect(res.status, res.body).toBe(200);
  expect(res.body).toContain('potwierdzenie zapisane');
  // A second click shows who confirmed it; nothing is handed on twice.
  const again = await fetch(res.link);
  expect(again.status).toBe(409);
  expect(await again.text()).toContain('Ten krok został już potwierdzony');
};

/**
 * Step c: handed on, then removing the token and writing the timeline fail for as long as the participant
 * waits for the page (and for apply-response's first runs, which the procedure starts meanwhile).
 */
const bookkeepingFails: Answer = async (email, fields) => {
  const caseId = caseIdOf(email);
  const { faults } = world;
  const forget = faults.add({ service: 'dynamodb', operation: 'UpdateItem', match: bodyIncludes('REMOVE #token', 'STEP#MZT_DEACTIVATED.1'), fault: AWS_ERRORS.dynamoInternal, times: Infinity, label: 'forget token' });
  faults.add({ service: 'dynamodb', operation: 'PutItem', match: bodyIncludes('confirmed:MZT_DEACTIVATED.1'), fault: AWS_ERRORS.dynamoThroughput, times: Infinity, label: 'timeline' });
  const res = await confirmThroughLink(email, fields);
  // Step Functions has the answer: the page says so, it does not claim "nothing was saved".
  expect(res.status, res.body).toBe(200);
  expect(res.body).toContain('potwierdzenie zapisane');
  expect(forget.injected).toBeGreaterThanOrEqual(SDK_ATTEMPTS.dynamodb);
  const before = await readStep(world, caseId, 'MZT_DEACTIVATED.1');
  expect(before.status).toBe('COMPLETED');
  expect(before.taskToken).toBeDefined();
  expect((await readTimeline(world, caseId)).map((e) => e.id)).not.toContain('confirmed:MZT_DEACTIVATED.1');
  // apply-response, which the procedure runs meanwhile, meets the same failures (its own SDK attempts)...
  await expect.poll(() => forget.injected, { timeout: 10_000 }).toBeGreaterThanOrEqual(2 * SDK_ATTEMPTS.dynamodb);
  // ...then DynamoDB recovers: apply-response, retried by the state machine, finishes the record. Same entry, once.
  faults.clear();
  await expect.poll(async () => (await readTimeline(world, caseId)).filter((e) => e.id === 'confirmed:MZT_DEACTIVATED.1').length, { timeout: 10_000 }).toBe(1);
  const step = await readStep(world, caseId, 'MZT_DEACTIVATED.1');
  expect(step.taskToken).toBeUndefined();
  const entry = (await readTimeline(world, caseId)).find((e) => e.id === 'confirmed:MZT_DEACTIVATED.1')!;
  expect(entry).toMatchObject({ action: 'STEP_CONFIRMED', actor: { role: 'VOIVODESHIP_ADMIN', email: 'administrator.mzt.14@uw.local' }, at: step.completedAt });
  expect(entry.details).toMatchObject({ linkId: step.completedBy!.linkId });
};

describe('the Step Functions call after a confirmation is recorded fails', () => {
  it('the confirmation is never lost: "try again" (503) then the second click completes it; a lost reply or failed bookkeeping still shows "confirmed"', async () => {
    const answers: Record<string, Answer> = {
      'Uzgodnienie trybu': refusedThenRetried,
      'Utworzenie nowych zbiorów': answeredButReplyLost,
      'Deaktywacja urzędników': bookkeepingFails,
    };
    const played = await playCase(world, (step) => answers[step] ?? answerOnPage);
    expect(played.caseId).toBe(lastCase.id);
    const outcome = await outcomeOf(world, played);
    expectCompletedCase(outcome);
    // Each confirmation once on the timeline and each response applied once.
    const timeline = await readTimeline(world, played.caseId);
    expect(timeline.filter((e) => e.id === 'confirmed:AGREE_VARIANT.1')).toHaveLength(1);
    expect(timeline.filter((e) => e.id === 'applied:AGREE_VARIANT.1')).toHaveLength(1);
    // 7 responses applied; step c's by a retry of apply-response (its first runs met the failing writes).
    expect(world.stack.stepFunctions.stats().lambdaInvocations['apply-response']).toBeGreaterThan(7);
    expect(world.faults.injected.map((f) => f.label).slice(0, 4)).toEqual(['hand-over refused', 'hand-over refused', 'hand-over refused', 'reply lost']);
  });
});
