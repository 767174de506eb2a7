import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCompletedCase, outcomeOf, playCase, startFaultWorld, type FaultWorld } from './play.js';

/**
 * Lambda delivers at least once: a state machine's invocation can run twice for the same step, and so can the
 * outbox's sender for the same batch. Every invocation here runs twice, one run after the other, for every task
 * of a whole case and every batch of its e-mail: still one e-mail per message, one timeline entry per event, and
 * the case completes as without the duplicates.
 */
let world: FaultWorld;
/** The functions API Gateway invokes for the link pages (local/stack.ts routes). */
const PAGE_FUNCTIONS = ['notification-form', 'confirmation-links', 'case-status'];

beforeAll(async () => {
  world = await startFaultWorld();
});

afterAll(async () => {
  await world?.stack.close();
});

describe('a Lambda invoked twice for the same step (at-least-once delivery)', () => {
  it('every action of a whole case delivered twice: one e-mail each, one timeline entry each, COMPLETED', async () => {
    const duplicates = world.faults.add({ service: 'lambda', operation: '*', fault: { kind: 'duplicate' }, times: Infinity, label: 'every invocation twice' });
    const played = await playCase(world);
    const outcome = await outcomeOf(world, played);
    expectCompletedCase(outcome);

    // Every action really ran twice for its task: 1 registration, 7 requests, 7 responses applied, 2 notices, 1 state change.
    const stats = world.stack.stepFunctions.stats().lambdaInvocations;
    expect(stats).toMatchObject({ 'register-case': 1, 'request-confirmation': 7, 'apply-response': 7, 'send-notice': 2, 'change-collection-states': 1 });
    // And so did every other invocation behind the fault layer: the outbox's sender's (Lambda's SQS event source
    // delivers at least once too) and record-ended-execution's. Only the link pages' functions are not behind it.
    const invocations = Object.entries(world.stack.functionStats()).filter(([name]) => !PAGE_FUNCTIONS.includes(name));
    expect(Object.fromEntries(invocations)['send-email']?.invocations).toBeGreaterThan(0);
    expect(duplicates.injected).toBe(invocations.reduce((sum, [, s]) => sum + s!.invocations, 0));
    // No first delivery failed: the duplicates were harmless, not merely outvoted.
    expect(world.faults.duplicateFailures).toEqual([]);
    // The e-mails went out once: 7 requests, 2 notices, 3 "confirmed" to MRPiPS, variant and codes to the JST, and
    // the supplier's own messages about the two step-b requests.
    expect(world.faults.seen('ses', 'SendEmail')).toBe(16);
  });
});
