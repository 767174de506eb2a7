import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AWS_ERRORS, SDK_ATTEMPTS, sesMessageRejected, sesRecipient } from '../../local/faults.js';
import { writeRuntimeFile } from '../../local/runtime-file.js';
import { deliveryEntries } from '../e2e/participants.js';
import { operatorAt } from './operator.js';
import {
  answerOnPage,
  caseTaskFailures,
  expectCompletedCase,
  functionErrors,
  outcomeOf,
  playCase,
  readStep,
  readTimeline,
  sesMessageTo,
  startFaultWorld,
  watchOutbox,
  JST,
  MRPIPS,
  VOIVODESHIP_14,
  type Answer,
  type FaultWorld,
  type PlayedCase,
} from './play.js';

/**
 * The outbox between the product and SES, met by whole cases: the actions put e-mail on the queue and go on;
 * send-email sends it through SES. SES refusing for the rate or failing for a moment delays a message, never
 * fails a function or a state; SES rejecting a message is a delivery failure on its case; SES refusing the
 * account leaves the mail in the dead-letter queue for the operator to move back. Nothing is lost, nothing is
 * sent twice.
 *
 * The sender's timeout (and so the queue's visibility timeout) is 4 s here instead of 60 s, so that a message left
 * on the queue comes back within the test: enough for a batch's SDK retries (at most 1.5 s of backoff).
 */
const SENDER_TIMEOUT_SECONDS = 4;
let world: FaultWorld;
let operator: ReturnType<typeof operatorAt>;
let dir: string;

beforeAll(async () => {
  world = await startFaultWorld({ LAMBDA_TIMEOUTS: JSON.stringify({ 'send-email': SENDER_TIMEOUT_SECONDS }), OUTBOX_VISIBILITY_TIMEOUT_SECONDS: SENDER_TIMEOUT_SECONDS });
  dir = mkdtempSync(join(tmpdir(), 'zmiana-sd-outbox-'));
  operator = operatorAt(world, await writeRuntimeFile(world.stack, join(dir, 'runtime.json')));
});

afterAll(async () => {
  await world?.stack.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => world.faults.clear());

/** `npm run cases -- outbox --json` on this stack. */
async function outboxDepths(): Promise<{ outbox: { visible: number; inFlight: number; delayed: number }; deadLetters: { visible: number; inFlight: number; delayed: number } }> {
  const run = await operator.cli(['outbox', '--json']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

/** Answers `step` (its subject part) with `answer`, every other step on its page. */
const atStep = (step: string, answer: Answer) => (subject: string): Answer => (subject === step ? answer : answerOnPage);
const caseIdIn = (subject: string) => /ZSD-\d{4}-\d{5}/.exec(subject)![0];

describe('the outbox between the product and SES', () => {
  it('SES throttles and fails for a moment: the messages wait on the queue, every e-mail arrives once, no function and no state fails', async () => {
    const { faults } = world;
    const sends = watchOutbox(faults);
    const sesRequestsBefore = faults.seen('ses', 'SendEmail');
    // GIVEN SES refuses the variant request to MRPiPS for the rate beyond the SDK's retries, and once more after
    const variantRequest = faults.add({ service: 'ses', operation: 'SendEmail', match: sesMessageTo(MRPIPS, 'Uzgodnienie trybu'), fault: AWS_ERRORS.sesThrottling, times: SDK_ATTEMPTS.ses + 1, label: 'variant request' });
    // AND fails (503) on every attempt at the voivodeship administrator's request (in the parallel branch of step c)
    const mztRequest = faults.add({ service: 'ses', operation: 'SendEmail', match: sesMessageTo(VOIVODESHIP_14, 'Deaktywacja urzędników'), fault: AWS_ERRORS.sesServiceUnavailable, times: SDK_ATTEMPTS.ses, label: 'step c request' });
    // AND throttles the JST's notice of the variant, fails the final notice, and throttles once what the SDK absorbs itself
    const variantAgreed = faults.add({ service: 'ses', operation: 'SendEmail', match: sesMessageTo(JST, 'uzgodniono tryb zmiany'), fault: AWS_ERRORS.sesThrottling, times: SDK_ATTEMPTS.ses, label: 'variant agreed' });
    const completedNotice = faults.add({ service: 'ses', operation: 'SendEmail', match: sesMessageTo(JST, 'zakończona'), fault: AWS_ERRORS.sesServiceUnavailable, times: SDK_ATTEMPTS.ses, label: 'final notice' });
    const absorbed = faults.add({ service: 'ses', operation: 'SendEmail', match: sesMessageTo(MRPIPS, 'Weryfikacja zbiorów'), fault: AWS_ERRORS.sesThrottling, times: 1, label: 'absorbed by the SDK' });

    // WHEN a whole case is played
    const played = await playCase(world);

    // THEN it completed with exactly the e-mails of an undisturbed case
    expectCompletedCase(await outcomeOf(world, played));
    for (const rule of [variantRequest, mztRequest, variantAgreed, completedNotice, absorbed]) expect(rule.exhausted, rule.rule.label).toBe(true);
    // AND neither a function nor a state failed: the actions only queue e-mail, and the sender keeps what SES refused
    expect(functionErrors(world)).toEqual({});
    expect(await caseTaskFailures(world, played.caseId)).toEqual([]);
    // AND the two messages throttled beyond the SDK's retries went back to the queue once each, a second later
    // (the two that failed with 503 stayed on it until its visibility timeout)
    const putBack = sends.filter((send) => send.queued.throttled > 0).map((send) => [send.queued.message.subject.split(': ').slice(1).join(': '), send.queued.throttled, send.delaySeconds]);
    expect(putBack.sort()).toEqual([
      ['Uzgodnienie trybu zmiany dostawcy SD — prośba o potwierdzenie', 1, 1],
      ['uzgodniono tryb zmiany: z migracją danych', 1, 1],
    ]);
    // AND the actions queued each of the 16 messages once; SES was asked 16 times, plus once for each refusal
    expect(sends.filter((send) => send.queued.throttled === 0)).toHaveLength(16);
    expect(faults.seen('ses', 'SendEmail') - sesRequestsBefore).toBe(16 + (SDK_ATTEMPTS.ses + 1) + SDK_ATTEMPTS.ses * 3 + 1);
  });

  it('sending paused for the account mid-case: the mail ends in the dead-letter queue, the operator redrives it once sending is back, the case completes as if undisturbed', async () => {
    const played = await playCase(
      world,
      atStep('Uzgodnienie trybu', async (email, fields) => {
        // GIVEN sending is paused for the SES account as MRPiPS agrees the variant
        world.faults.add({ service: 'ses', operation: 'SendEmail', fault: AWS_ERRORS.sesAccountSendingPaused, times: Infinity, label: 'paused' });
        await answerOnPage(email, fields);
        // WHEN the sender tries what that answer queued (the JST's notice of the variant, MRPiPS's next request)
        // THEN after the queue's receives both wait in the dead-letter queue, as `npm run cases -- outbox` shows
        await expect.poll(async () => (await outboxDepths()).deadLetters.visible, { timeout: 60_000, interval: 500 }).toBe(2);
        expect(await outboxDepths()).toEqual({ outbox: { visible: 0, inFlight: 0, delayed: 0 }, deadLetters: { visible: 2, inFlight: 0, delayed: 0 } });
        expect((await operator.cli(['outbox'])).stdout).toContain("2 e-mails could not be sent: read send-email's ERROR lines, fix the cause, then `redrive`.\n");
        expect((await world.inbox.to(JST, caseIdIn(email.subject))).filter((e) => e.subject.includes('uzgodniono tryb zmiany'))).toEqual([]);
        // WHEN sending is back and the operator moves them back to the outbox
        world.faults.clear();
        const redrive = await operator.cli(['redrive']);
        expect(redrive.code, redrive.stderr).toBe(0);
        expect(redrive.stdout).toBe('Moved 2 e-mails back to the outbox; send-email sends them at the sending rate.\n');
      }),
    );

    // THEN the case completed with exactly the e-mails of an undisturbed case
    expectCompletedCase(await outcomeOf(world, played));
    expect(await outboxDepths()).toEqual({ outbox: { visible: 0, inFlight: 0, delayed: 0 }, deadLetters: { visible: 0, inFlight: 0, delayed: 0 } });
    // AND no function failed meanwhile: the sender left the mail on the queue; the dead-letter queue's alarm calls the operator
    expect(functionErrors(world)).toEqual({});
    expect(await caseTaskFailures(world, played.caseId)).toEqual([]);
  }, 120_000);

  it("SES rejects the voivodeship administrator's address: a delivery failure on the case, MRPiPS told which step waits; handed on, the case completes", async () => {
    const HANDED_TO = 'jan.nowak@uw.przykladowo.pl';
    // GIVEN SES rejects every message to the voivodeship administrator (MessageRejected)
    world.faults.add({ service: 'ses', operation: 'SendEmail', match: sesRecipient(VOIVODESHIP_14), fault: sesMessageRejected(VOIVODESHIP_14), times: Infinity, label: 'rejected' });
    const played = await playCase(
      world,
      atStep('Deaktywacja dotychczasowego SD', async (email, fields) => {
        const caseId = caseIdIn(email.subject);
        // WHEN the case reaches step c, whose request goes to that address
        await answerOnPage(email, fields);
        // THEN MRPiPS is told that the step's request cannot be delivered: the step, the address, the command
        const told = await world.inbox.take(MRPIPS, [caseId, 'nie można doręczyć']);
        expect(told.body.text).toContain('MZT_DEACTIVATED.1');
        expect(told.body.text).toContain(VOIVODESHIP_14);
        expect(told.body.text).toContain(`npm run cases -- reassign ${caseId} MZT_DEACTIVATED.1 <adres e-mail>`);
        // AND the rejection is on the case's timeline, and the step is marked undeliverable (no reminders go there)
        const [rejected, ...more] = deliveryEntries(await readTimeline(world, caseId), 'EMAIL_REJECTED', VOIVODESHIP_14);
        expect(more).toEqual([]);
        expect(rejected).toMatchObject({ step: 'MZT_DEACTIVATED.1', details: { event: 'Reject' } });
        expect((await readStep(world, caseId, 'MZT_DEACTIVATED.1')).undeliverable).toMatchObject({ recipient: VOIVODESHIP_14, event: expect.stringMatching(/^Reject /) });
        // WHEN the operator hands the step to an address that works
        const run = await operator.cli(['reassign', caseId, 'MZT_DEACTIVATED.1', HANDED_TO, '--by', 'operator@mrpips.gov.pl']);
        expect(run.code, run.stderr).toBe(0);
      }),
      { voivodeshipAdmin: HANDED_TO },
    );

    // THEN the new recipient confirmed step c and the case completed; nothing ever reached the rejected address
    const outcome = await outcomeOf(world, played);
    expect(outcome).toMatchObject({ status: 'COMPLETED', variant: 'WITH_MIGRATION', collectionsState: 'ARCHIVED' });
    expect(outcome.steps['MZT_DEACTIVATED.1']).toBe('COMPLETED');
    expect(await world.inbox.to(VOIVODESHIP_14, played.caseId)).toEqual([]);
    expect((await world.inbox.to(MRPIPS, played.caseId)).filter((e) => e.subject.includes('nie można doręczyć'))).toHaveLength(1);
    expect((await world.inbox.to(MRPIPS, played.caseId)).filter((e) => e.subject.includes('MRPiPS przekazało krok innej osobie'))).toHaveLength(1);
    // AND the rejection failed nothing: no function, no state
    expect(functionErrors(world)).toEqual({});
    expect(await caseTaskFailures(world, played.caseId)).toEqual([]);
  });

  it('a message the queue delivers twice is sent once', async () => {
    const sends = watchOutbox(world.faults);
    const sqs = new SQSClient({ endpoint: world.stack.urls.sqs, region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    let played: PlayedCase;
    try {
      played = await playCase(
        world,
        atStep('Uzgodnienie trybu', async (email, fields) => {
          // GIVEN the variant request has reached MRPiPS (and the sender is done with it)
          await world.stack.outbox.settled();
          const queued = sends.filter((send) => send.queued.message.subject === email.subject);
          expect(queued).toHaveLength(1);
          // WHEN the queue delivers the same message again (SQS delivers a message at least once)
          const invocations = world.stack.outbox.invocations;
          await sqs.send(new SendMessageCommand({ QueueUrl: world.stack.outbox.queueUrl, MessageBody: queued[0]!.body }));
          await world.stack.outbox.settled();
          // THEN the sender took it and sent nothing: MRPiPS has the one request, whose link still works
          expect(world.stack.outbox.invocations).toBeGreaterThan(invocations);
          expect((await world.inbox.to(MRPIPS, caseIdIn(email.subject))).filter((e) => e.subject === email.subject)).toHaveLength(1);
          await answerOnPage(email, fields);
        }),
      );
    } finally {
      sqs.destroy();
    }
    // AND the case completed with exactly the e-mails of an undisturbed case
    expectCompletedCase(await outcomeOf(world, played));
  });
});
