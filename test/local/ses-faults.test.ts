import { SESClient } from '@aws-sdk/client-ses';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SesMailer } from '../../lambdas/adapters/ses-mailer.js';
import type { EmailMessage } from '../../lambdas/core/emails.js';
import { EmailRejected, SendingPaused, SesAccessDenied } from '../../lambdas/core/errors.js';
import { AWS_ERRORS, FaultLayer, SDK_ATTEMPTS, sesAccessDenied, sesMessageRejected, sesRecipient } from '../../local/faults.js';
import { startStandIn, type StandIn } from '../../local/stand-ins/index.js';

/**
 * SES's permanent refusals, answered by the fault layer in SES's own query-protocol XML in front of the SES
 * stand-in, reach the mailer through the real SDK. The mailer turns each into an error of its own, by which the
 * outbox's sender decides (a rejection recorded on the case, a refused account left for the dead-letter queue),
 * and whose message names the recipients and SES's reason, never the message with its links.
 */
const SENDER = 'no-reply@zmiana-sd.local';
const REJECTED = 'nie.istnieje@mops.przykladowo.pl';
const ACCEPTED = 'anna.kowalska@mops.przykladowo.pl';
const TOKEN = 'tajny-token-z-linku-0123456789abcdef';
const ABOUT = { caseId: 'ZSD-2026-00001', mailKey: 'request:AGREE_VARIANT.1:0' };

let standIn: StandIn;
let faults: FaultLayer;
let mailer: SesMailer;

const message = (to: string): EmailMessage => ({
  to: [to],
  cc: ['sekretariat.di@mrpips.gov.pl'],
  subject: 'Zmiana dostawcy SD: prośba o potwierdzenie',
  html: `<p>Prosimy o potwierdzenie: <a href="http://localhost/potwierdzenie?t=${TOKEN}">link</a></p>`,
  text: `Prosimy o potwierdzenie: http://localhost/potwierdzenie?t=${TOKEN}`,
});

/** The error the mailer failed with (fails the test if it sent the message). */
const refusal = (sending: Promise<unknown>): Promise<Error> =>
  sending.then(
    () => {
      throw new Error('the message was sent, but SES was to refuse it');
    },
    (error: unknown) => error as Error,
  );

beforeAll(async () => {
  standIn = await startStandIn('ses', '127.0.0.1', 0);
  faults = new FaultLayer();
  const endpoint = await faults.proxy('ses', `http://127.0.0.1:${standIn.port}`);
  mailer = new SesMailer(new SESClient({ endpoint, region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }), SENDER);
});

afterAll(async () => {
  await faults?.close();
  await standIn?.close();
});

beforeEach(() => faults.clear());

describe('SES refusing a message for good', () => {
  it('MessageRejected for one address: EmailRejected naming it; the SDK does not retry; mail to others still goes', async () => {
    // GIVEN SES rejects one recipient (an address it may not send to)
    const rule = faults.add({ service: 'ses', operation: 'SendEmail', match: sesRecipient(REJECTED), fault: sesMessageRejected(REJECTED), times: Infinity });

    // WHEN the mailer sends to it
    const error = await refusal(mailer.send(message(REJECTED), ABOUT));

    // THEN
    expect(error).toBeInstanceOf(EmailRejected);
    expect(error.name).toBe('EmailRejected');
    expect(error.message).toBe(
      `Not sent to ${REJECTED}, sekretariat.di@mrpips.gov.pl: SES rejected the message (MessageRejected: Email address is not verified. The following identities failed the check in region EU-CENTRAL-1: ${REJECTED})`,
    );
    expect(error.message).not.toContain(TOKEN);
    // AND one request only: SES's 400 is not something the SDK retries
    expect(rule.injected).toBe(1);
    // AND a message to another address is sent
    await expect(mailer.send(message(ACCEPTED), ABOUT)).resolves.toEqual(expect.any(String));
    expect(rule.injected).toBe(1);
  });

  it('AccountSendingPausedException: SendingPaused', async () => {
    // GIVEN sending is paused for the account
    const paused = faults.add({ service: 'ses', operation: 'SendEmail', fault: AWS_ERRORS.sesAccountSendingPaused, times: Infinity });

    // WHEN / THEN
    const error = await refusal(mailer.send(message(ACCEPTED), ABOUT));
    expect(error).toBeInstanceOf(SendingPaused);
    expect(error.name).toBe('SendingPaused');
    expect(error.message).toBe(
      `Not sent to ${ACCEPTED}, sekretariat.di@mrpips.gov.pl: sending is paused for the SES account (AccountSendingPausedException: Email sending is disabled for this account.)`,
    );
    expect(paused.injected).toBe(1);
  });

  it('AccessDenied (403): SesAccessDenied, naming the recipients and what SES said', async () => {
    // GIVEN the function's role may not send as the sender
    const denied = faults.add({ service: 'ses', operation: 'SendEmail', fault: sesAccessDenied(SENDER), times: Infinity });

    // WHEN / THEN
    const error = await refusal(mailer.send(message(ACCEPTED), ABOUT));
    expect(error).toBeInstanceOf(SesAccessDenied);
    expect(error.name).toBe('SesAccessDenied');
    expect(error.message).toMatch(new RegExp(`^Not sent to ${ACCEPTED}, sekretariat\\.di@mrpips\\.gov\\.pl: this function may not send through SES as the sender \\(AccessDenied: User .*is not authorized to perform .ses:SendEmail' on resource .arn:aws:ses:eu-central-1:000000000000:identity/${SENDER}'\\)$`));
    expect(error.message).not.toContain(TOKEN);
    expect(denied.injected).toBe(1);
  });

  it('unlike throttling, which the SDK retries before the mailer gives up', async () => {
    // GIVEN SES throttles every attempt
    const throttled = faults.add({ service: 'ses', operation: 'SendEmail', fault: AWS_ERRORS.sesThrottling, times: Infinity });

    // WHEN / THEN
    await expect(mailer.send(message(ACCEPTED), ABOUT)).rejects.toMatchObject({ name: 'SendingRateExceeded' });
    expect(throttled.injected).toBe(SDK_ATTEMPTS.ses);
  });
});
