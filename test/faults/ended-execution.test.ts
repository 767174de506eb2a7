import { DescribeExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_ERRORS } from '../../local/faults.js';
import { Inbox, confirmThroughLink, linkIn, notifyAndConfirmContact, openStepForm, postForm, submitOnPage } from '../e2e/participants.js';
import { JST, MRPIPS, childExecutionArn, executionArn, readCase, readStep, readTimeline, startFaultWorld, type FaultWorld } from './play.js';

/**
 * A participant answers a step whose execution is gone: stopped (the case was cancelled in the console),
 * timed out as a whole, or whose task has just timed out. The page says so plainly, in Polish, with a 4xx
 * status, and nothing is recorded: no confirmation, no timeline entry, no e-mail, nothing handed on.
 */
let world: FaultWorld;
let inbox: Inbox;

beforeAll(async () => {
  // Step a (new collection codes) waits 5 s before its reminder; every other step 10 minutes.
  world = await startFaultWorld({ REMINDER_SCHEDULE: JSON.stringify({ NEW_COLLECTIONS: { responseTimeoutSeconds: 5 } }) });
  inbox = world.inbox;
});

afterAll(async () => {
  await world?.stack.close();
});

/** Everything a case has recorded and sent, to compare before and after a refused answer. */
async function snapshot(caseId: string) {
  const record = await readCase(world, caseId);
  return {
    timeline: (await readTimeline(world, caseId)).map((e) => e.id),
    status: record.status,
    emails: (await inbox.all()).filter((e) => e.subject.includes(caseId)).length,
    applied: world.stack.stepFunctions.stats().lambdaInvocations['apply-response'] ?? 0,
  };
}

/** The request's run has finished (its timeline entry comes after the e-mail): nothing more is on its way. */
async function requestRecorded(caseId: string, stepKey: string) {
  await expect.poll(async () => (await readTimeline(world, caseId)).map((e) => e.id), { timeout: 10_000 }).toContain(`requested:${stepKey}:0`);
}

describe('confirming a step whose execution has ended', () => {
  it('cancelled (StopExecution): a clear 409 page "the step no longer waits"; nothing is recorded', async () => {
    const caseId = await notifyAndConfirmContact(world.stack.urls.form, inbox);
    const request = await inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']);
    await requestRecorded(caseId, 'AGREE_VARIANT.1');
    const form = await openStepForm(linkIn(request));

    // EventBridge's delivery of the ABORTED event (record-ended-execution) arrives after the answer.
    let deliver!: () => void;
    world.faults.add({ service: 'lambda', operation: 'record-ended-execution', match: (r) => r.body.includes(caseId), fault: { kind: 'hold', release: new Promise<void>((resolve) => (deliver = resolve)) } });
    await world.sfn.send(new StopExecutionCommand({ executionArn: executionArn(world, caseId), error: 'CaseCancelled', cause: 'Stopped by an operator' }));
    await expect.poll(async () => (await world.sfn.send(new DescribeExecutionCommand({ executionArn: childExecutionArn(world, caseId, 'AGREE_VARIANT') }))).status).toBe('ABORTED');
    const before = await snapshot(caseId);

    const handOvers = world.faults.seen('sfn', 'SendTaskSuccess');
    const res = await postForm(form.action, { ...form.hidden, decision: 'WITH_MIGRATION' });
    expect(res.status).toBe(409);
    expect(res.body).toContain('<html lang="pl"');
    expect(res.body).toContain('Krok nie oczekuje na potwierdzenie');
    expect(res.body).toContain('Nic nie zostało zmienione');
    // Not the "a new link is on its way" page: no new link is coming for a stopped execution.
    expect(res.body).not.toContain('wysyłamy nowy link');
    expect(world.faults.seen('sfn', 'SendTaskSuccess')).toBe(handOvers + 1);

    expect(await snapshot(caseId)).toEqual(before);
    const step = await readStep(world, caseId, 'AGREE_VARIANT.1');
    expect(step.status).toBe('PENDING');
    expect(step.response).toBeUndefined();
    expect(step.completedBy).toBeUndefined();
    expect(before.timeline).not.toContain('confirmed:AGREE_VARIANT.1');

    // Then the event arrives: the case the stopped execution left open is marked FAILED.
    deliver();
    await world.stack.eventRules.settled();
    expect((await readCase(world, caseId)).failure?.reason).toBe('the execution ended ABORTED: CaseCancelled: Stopped by an operator');
  });

  it('timed out as a whole (Step Functions answers TaskTimedOut): the same clear page; nothing recorded, so a later answer still counts', async () => {
    const caseId = await notifyAndConfirmContact(world.stack.urls.form, inbox);
    const request = await inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']);
    await requestRecorded(caseId, 'AGREE_VARIANT.1');
    const before = await snapshot(caseId);

    // What AWS answers for the token of a task whose execution timed out.
    const timedOut = world.faults.add({ service: 'sfn', operation: 'SendTaskSuccess', fault: AWS_ERRORS.sfnTaskTimedOut, label: 'execution timed out' });
    const refused = await confirmThroughLink(request, { decision: 'WITHOUT_MIGRATION' });
    expect(timedOut.exhausted).toBe(true);
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('Krok nie oczekuje na potwierdzenie');
    expect(refused.body).toContain('Nic nie zostało zmienione');
    expect(await snapshot(caseId)).toEqual(before);
    expect((await readStep(world, caseId, 'AGREE_VARIANT.1')).status).toBe('PENDING');

    // "Nothing changed" is true: here the execution was in fact still waiting, and the same link still works.
    const accepted = await submitOnPage(refused.link, { decision: 'WITHOUT_MIGRATION' });
    expect(accepted.status).toBe(200);
    await inbox.take(JST, [caseId, 'uzgodniono tryb zmiany: bez migracji danych']);
    await world.sfn.send(new StopExecutionCommand({ executionArn: executionArn(world, caseId) }));
  });

  it('the task timed out just before the answer: 410 "expired, a reminder with a new link is coming", nothing recorded; the reminder\'s link completes the step', async () => {
    const caseId = await notifyAndConfirmContact(world.stack.urls.form, inbox);
    expect((await confirmThroughLink(await inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']), { decision: 'WITH_MIGRATION' })).status).toBe(200);
    const request = await inbox.take(MRPIPS, [caseId, 'Utworzenie nowych zbiorów', 'prośba o potwierdzenie']);
    const form = await openStepForm(linkIn(request));

    // The 5 s pass (long enough for a loaded machine to open the reminder's link before it expires in turn); the
    // reminder's run is held at its start, so the answer lands between the timeout and the
    // new link. The link lasts exactly as long as the task waits, so it has expired with it.
    let release!: () => void;
    const reminder = world.faults.add({ service: 'lambda', operation: 'request-confirmation', match: (r) => r.body.includes('"remindersSent":1') && r.body.includes('NEW_COLLECTIONS'), fault: { kind: 'hold', release: new Promise<void>((resolve) => (release = resolve)) } });
    await expect.poll(() => reminder.injected, { timeout: 10_000 }).toBe(1);
    const before = await snapshot(caseId);
    const codes = { 'newCollections.0.newCollectionCode': `NA-${caseId.slice(-5)}`, 'newCollections.1.newCollectionCode': `NB-${caseId.slice(-5)}` };
    const late = await postForm(form.action, { ...form.hidden, ...codes });
    expect(late.status).toBe(410);
    expect(late.body).toContain('Link wygasł');
    expect(late.body).toContain('Otrzymasz przypomnienie z nowym linkiem');
    expect(await snapshot(caseId)).toEqual(before);
    expect((await readStep(world, caseId, 'NEW_COLLECTIONS.1')).response).toBeUndefined();

    release();
    const reminderMail = await inbox.take(MRPIPS, [caseId, 'Utworzenie nowych zbiorów', 'przypomnienie nr 1']);
    const answered = await confirmThroughLink(reminderMail, codes);
    expect(answered.status, answered.body).toBe(200);
    await inbox.take(JST, [caseId, 'kody nowych zbiorów']);
    const timeline = await readTimeline(world, caseId);
    expect(timeline.filter((e) => e.id === 'confirmed:NEW_COLLECTIONS.1')).toHaveLength(1);
    expect(timeline.filter((e) => e.action === 'REMINDER_SENT')).toHaveLength(1);
    await world.sfn.send(new StopExecutionCommand({ executionArn: executionArn(world, caseId) }));
  });
});
