import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_ERRORS, SDK_ATTEMPTS } from '../../local/faults.js';
import { JST, MRPIPS, VOIVODESHIP_14, childExecutionArn, executionArn, expectCompletedCase, outcomeOf, playCase, sesMessageTo, startFaultWorld, taskFailures, type FaultWorld } from './play.js';

/**
 * SES throttles (400 `Throttling`, query-protocol XML) and fails transiently (503) while a whole case runs.
 * The SDK retries each call (3 attempts, backoff); when every attempt fails the action fails with
 * TransientError and the state machine retries the task (backoff, full jitter; waits scaled down here). Every
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
    // When the SDK gave up, the state machine retried the task (TransientError), once per exhausted fault.
    expect(await taskFailures(world, childExecutionArn(world, caseId, 'AGREE_VARIANT'))).toEqual(['TransientError']);
    expect(await taskFailures(world, childExecutionArn(world, caseId, 'MZT_DEACTIVATED'))).toEqual(['TransientError']);
    expect(await taskFailures(world, childExecutionArn(world, caseId, 'VERIFY_COLLECTIONS'))).toEqual([]);
    expect(await taskFailures(world, executionArn(world, caseId))).toEqual(['TransientError', 'TransientError']);
    // 14 messages were delivered; SES was asked 3 + 3 + 3 + 3 + 1 more times, all refused.
    expect(world.faults.seen('ses', 'SendEmail')).toBe(14 + 4 + 3 + 3 + 3 + 1);
    expect((await world.inbox.all()).filter((e) => e.subject.includes(caseId))).toHaveLength(14);
  });
});
