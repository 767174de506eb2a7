import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_ERRORS, overRate, sesRecipientCount } from '../../local/faults.js';
import { caseTaskFailures, expectCompletedCase, functionErrors, outcomeOf, playCase, startFaultWorld, watchOutbox, type FaultWorld } from './play.js';

/**
 * SES's sending quota lower than the rate the outbox's sender was deployed for (the account's quota was lowered,
 * or the context's sesMaxSendRate is wrong): SES refuses what goes over it (`Throttling`), and the sender puts
 * those messages back on the queue, later. Cases are not held up beyond the quota's pace, and nothing fails. (A
 * stack of its own, with its own sending rate: the local stack's endpoints are process-wide, so each file runs one.)
 */
const CONFIGURED_RATE = 4;
const QUOTA = 2;
let world: FaultWorld;

beforeAll(async () => {
  world = await startFaultWorld({ SES_MAX_SEND_RATE: CONFIGURED_RATE });
});

afterAll(async () => {
  await world?.stack.close();
});

describe("a sending quota below the sender's rate", () => {
  it(`two cases at once against ${QUOTA} recipients/s while the sender keeps to ${CONFIGURED_RATE}: both complete, every e-mail once, the refused sent later, nothing fails`, async () => {
    const { faults } = world;
    const sends = watchOutbox(faults);
    // GIVEN SES accepts 2 recipients a second, counted as SES counts them (To and Cc), and refuses the rest
    const quota = faults.add({ service: 'ses', operation: 'SendEmail', match: overRate(QUOTA, undefined, sesRecipientCount), fault: AWS_ERRORS.sesThrottling, times: Infinity, label: 'sending quota' });

    // WHEN two cases are played at once
    const played = await Promise.all([playCase(world), playCase(world)]);

    // THEN both completed with exactly the e-mails of an undisturbed case: 16 each, none twice
    for (const p of played) expectCompletedCase(await outcomeOf(world, p));
    const mails = (await world.inbox.all()).filter((e) => played.some((p) => e.subject.includes(p.caseId)));
    expect(mails).toHaveLength(32);
    // AND SES did refuse: each refusal was asked again (SES was asked once per e-mail plus once per refusal)
    expect(quota.injected).toBeGreaterThan(0);
    expect(faults.seen('ses', 'SendEmail')).toBe(32 + quota.injected);
    // AND what the SDK's retries could not place went back to the queue, each time with a delay twice as long
    const putBack = sends.filter((s) => s.queued.throttled > 0);
    expect(putBack.length).toBeGreaterThan(0);
    for (const send of putBack) expect(send.delaySeconds).toBe(2 ** (send.queued.throttled - 1));
    // AND nothing failed
    expect(functionErrors(world)).toEqual({});
    for (const p of played) expect(await caseTaskFailures(world, p.caseId)).toEqual([]);
  }, 180_000);
});
