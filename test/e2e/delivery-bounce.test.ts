import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseStore } from '../../lambdas/adapters/case-store.js';
import { mailTags } from '../../lambdas/core/delivery-events.js';
import { LOCAL_FUNCTIONS } from '../../local/functions.js';
import { simulatorEvents } from '../../local/ses-simulator.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { deliveryEntries, Inbox, notificationFields, statusLinkIn, submitForm } from './participants.js';

/**
 * SES's mailbox simulator, used as one would on AWS: participants whose addresses are the simulator's, the
 * events SES publishes for them (local/ses-simulator.ts) going through record-delivery-event, and what MRPiPS,
 * the status page and the operations CLI then show.
 */
const MRPIPS = 'sekretariat.di@mrpips.gov.pl';
const BOUNCE = 'bounce@simulator.amazonses.com';
const TIMEOUT_SECONDS = 3;
const clientConfig = { region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

/** Polls until `check` gives a value (the events are handled asynchronously, as EventBridge delivers them). */
async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a JST contact address that bounces (bounce@)', () => {
  let stack: LocalStack;
  let inbox: Inbox;
  let store: CaseStore;

  beforeAll(async () => {
    stack = await startLocalStack({ PAGES_PORT: 0, SES_PORT: 0, DYNAMODB_PORT: 0, SFN_PORT: 0, SQS_PORT: 0, RESPONSE_TIMEOUT_SECONDS: TIMEOUT_SECONDS });
    inbox = new Inbox(stack.urls.inbox);
    store = new CaseStore(new DynamoDBClient({ ...clientConfig, endpoint: stack.urls.dynamodb }), stack.config.TABLE_NAME);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('marks the address confirmation undeliverable, tells MRPiPS once, withholds the reminder, and the status page says so', async () => {
    // GIVEN a notification whose contact address is SES's bounce mailbox
    const res = await submitForm(stack.urls.form, notificationFields({ 'contact.email': BOUNCE }));
    expect(res.status, res.body).toBe(201);
    const caseId = /ZSD-\d{4}-\d{5}/.exec(res.body)![0];

    // WHEN SES reports the hard bounce of the confirmation request
    const told = await inbox.take(MRPIPS, [caseId, 'nie można doręczyć']);

    // THEN the bounce is on the timeline, with the message, the recipient, the step and the bounce type
    const timeline = await store.getTimeline(caseId);
    const [bounced] = deliveryEntries(timeline, 'EMAIL_BOUNCED', BOUNCE);
    expect(bounced).toMatchObject({ step: 'CONFIRM_CONTACT.1', details: { event: 'Bounce', kind: 'Permanent/General' } });
    expect(bounced!.summary).toContain('nie została doręczona');
    expect(bounced!.details!.messageId).toEqual(expect.any(String));
    expect((await store.getStep(caseId, 'CONFIRM_CONTACT.1'))?.undeliverable).toMatchObject({ recipient: BOUNCE, event: 'Bounce Permanent/General' });
    // AND MRPiPS is told the case, the step, the address and what to do (this step cannot be handed over)
    expect(told.body.text).toContain(BOUNCE);
    expect(told.body.text).toContain('CONFIRM_CONTACT.1');
    expect(told.body.text).toContain('+48 22 123 45 67');

    // WHEN the response time passes
    const withheld = await eventually(async () => (await store.getTimeline(caseId)).find((e) => e.action === 'REMINDER_WITHHELD'), 'the reminder withheld', 4 * TIMEOUT_SECONDS * 1000);
    // THEN no reminder went to the dead address, the case still waits, and MRPiPS was told only once
    expect(withheld.summary).toContain(BOUNCE);
    await stack.sesEvents.settled();
    // (what is still in the outbox counts too)
    await stack.outbox.settled();
    expect((await inbox.to(BOUNCE, caseId)).map((e) => e.subject)).toHaveLength(1);
    expect((await inbox.to(MRPIPS, caseId)).filter((e) => e.subject.includes('nie można doręczyć'))).toHaveLength(1);
    expect((await store.getStep(caseId, 'CONFIRM_CONTACT.1'))?.status).toBe('PENDING');

    // WHEN EventBridge delivers the same bounce again (at-least-once)
    const tags = Object.fromEntries(mailTags({ caseId, mailKey: 'request:CONFIRM_CONTACT.1:0', stepKey: 'CONFIRM_CONTACT.1' }).map((t) => [t.Name, t.Value]));
    const replay = simulatorEvents({ messageId: String(bounced!.details!.messageId), source: stack.config.SENDER_EMAIL, destination: [BOUNCE], configurationSet: stack.config.SES_CONFIGURATION_SET, tags }, BOUNCE, new Date(), { region: 'eu-central-1', account: '000000000000' });
    await LOCAL_FUNCTIONS['record-delivery-event'](replay[0] as never);
    // THEN nothing is recorded or sent twice
    expect(deliveryEntries(await store.getTimeline(caseId), 'EMAIL_BOUNCED', BOUNCE)).toHaveLength(1);
    await stack.outbox.settled();
    expect((await inbox.to(MRPIPS, caseId)).filter((e) => e.subject.includes('nie można doręczyć'))).toHaveLength(1);

    // AND the status page shows that the e-mail to the step's recipient cannot be delivered
    const page = await (await fetch(statusLinkIn(told))).text();
    expect(page).toContain('Wiadomości na ten adres nie można doręczyć.');
  });
});

