import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_IDS } from '../../lambdas/core/steps.js';
import { AWS_ERRORS, SDK_ATTEMPTS, overRate } from '../../local/faults.js';
import { JST, MRPIPS, VOIVODESHIP_14, childExecutionArn, executionArn, expectCompletedCase, outcomeOf, playCase, sesMessageTo, startFaultWorld, taskFailures, type FaultWorld } from './play.js';

/**
 * SES throttles (400 `Throttling`, query-protocol XML) and fails transiently (503) while a whole case runs.
 * The SDK retries each call (3 attempts, backoff); when every attempt fails the action fails with
 * SendingRateExceeded (throttling) or TransientError (5xx) and the state machine retries the task (backoff, full
 * jitter; waits scaled down here). Every
 * participant still receives each message exactly once, and a request is never sent twice for one attempt:
 * the link in the one e-mail that arrives is the one that works.
 */
let world: FaultWorld;

beforeAll(async () => {
  world = await startFaultWorld();
});

afterAll(async () => {
  await world?.stack.close();
});

describe('SES throttling and transient errors', () => {
  it('retried with backoff by the SDK and the state machines; every e-mail arrives once; the case completes', async () => {
    const { faults } = world;
    // The variant request to MRPiPS: all 3 SDK attempts of the first run and the first of the retried run.
    const variantRequest = faults.add({ service: 'ses', operation: 'SendEmail', match: sesMessageTo(MRPIPS, 'Uzgodnienie trybu'), fault: AWS_ERRORS.sesThrottling, times: SDK_ATTEMPTS.ses + 1, label: 'variant request' });
    // The voivodeship administrator's request, inside the parallel branch of step c.
    const mztRequest = faults.add({ service: 'ses', operation: 'SendEmail', match: sesMessageTo(VOIVODESHIP_14, 'Deaktywacja urzędników'), fault: AWS_ERRORS.sesServiceUnavailable, times: SDK_ATTEMPTS.ses, label: 'step c request' });
    // apply-response's e-mail to the JST, after its timeline write: the retry must not write or send twice.
    const variantAgreed = faults.add({ service: 'ses', operation: 'SendEmail', match: sesMessageTo(JST, 'uzgodniono tryb zmiany'), fault: AWS_ERRORS.sesThrottling, times: SDK_ATTEMPTS.ses, label: 'variant agreed' });
    // The final notice (send-notice), then a lone throttle the SDK absorbs by itself.
    const completedNotice = faults.add({ service: 'ses', operation: 'SendEmail', match: sesMessageTo(JST, 'zakończona'), fault: AWS_ERRORS.sesServiceUnavailable, times: SDK_ATTEMPTS.ses, label: 'final notice' });
    const absorbed = faults.add({ service: 'ses', operation: 'SendEmail', match: sesMessageTo(MRPIPS, 'Weryfikacja zbiorów'), fault: AWS_ERRORS.sesThrottling, times: 1, label: 'absorbed by the SDK' });

    const played = await playCase(world);
    const { caseId } = played;
    expectCompletedCase(await outcomeOf(world, played));

    for (const rule of [variantRequest, mztRequest, variantAgreed, completedNotice, absorbed]) expect(rule.exhausted, rule.rule.label).toBe(true);
    // The SDK backed off and retried each faulted call: attempts 1, 2 and 3 of each exhausted call were seen.
    const attempts = faults.injected.filter((f) => f.label === 'variant request').map((f) => f.attempt?.split(';')[0]);
    expect(attempts).toEqual(['attempt=1', 'attempt=2', 'attempt=3', 'attempt=1']);
    // When the SDK gave up, the state machine retried the task, once per exhausted fault: an exhausted sending
    // rate as SendingRateExceeded (retried for over an hour), a failing service as TransientError.
    expect(await taskFailures(world, childExecutionArn(world, caseId, 'AGREE_VARIANT'))).toEqual(['SendingRateExceeded']);
    expect(await taskFailures(world, childExecutionArn(world, caseId, 'MZT_DEACTIVATED'))).toEqual(['TransientError']);
    expect(await taskFailures(world, childExecutionArn(world, caseId, 'VERIFY_COLLECTIONS'))).toEqual([]);
    expect(await taskFailures(world, executionArn(world, caseId))).toEqual(['SendingRateExceeded', 'TransientError']);
    // 14 messages were delivered; SES was asked 3 + 3 + 3 + 3 + 1 more times, all refused.
    expect(world.faults.seen('ses', 'SendEmail')).toBe(14 + 4 + 3 + 3 + 3 + 1);
    expect((await world.inbox.all()).filter((e) => e.subject.includes(caseId))).toHaveLength(14);
  });

  it('an exhausted sending quota: two cases at once against 4 messages/s both complete, every e-mail once, paced by the quota', async () => {
    const { faults } = world;
    faults.clear();
    const RATE = 4;
    const quota = faults.add({ service: 'ses', operation: 'SendEmail', match: overRate(RATE), fault: AWS_ERRORS.sesThrottling, times: Infinity, label: 'sending rate' });
    const started = Date.now();

    const played = await Promise.all([playCase(world), playCase(world)]);

    for (const p of played) expectCompletedCase(await outcomeOf(world, p));
    expect(quota.injected).toBeGreaterThan(0);
    const mails = (await world.inbox.all()).filter((e) => played.some((p) => e.subject.includes(p.caseId)));
    // 14 messages each, none twice.
    expect(mails).toHaveLength(28);
    expect(new Set(mails.map((e) => `${e.destination.to.join()}|${e.subject}`)).size).toBe(28);
    // The quota paced them: 28 messages at 4/s (one second's burst first) take at least 6 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(((28 - RATE) / RATE) * 1000);
    // A throttled send the SDK's own retries could not place failed its action with SendingRateExceeded, which the
    // state machines retried (whether any outlasted the SDK's retries depends on timing; the first test forces one).
    const failures = (await Promise.all(played.flatMap((p) => [executionArn(world, p.caseId), ...STEP_IDS.map((step) => childExecutionArn(world, p.caseId, step))].map((arn) => taskFailures(world, arn))))).flat();
    for (const failure of failures) expect(failure).toBe('SendingRateExceeded');
  });
});
