import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { SFNClient } from '@aws-sdk/client-sfn';
import { confirmThroughLink, executionHistory, Inbox, itemsWithTaskToken, linkIn, notificationFields, notifyAndConfirmContact, readTimeline, stepExecutionArn, submitForm } from './participants.js';

const MRPIPS = 'sekretariat.di@mrpips.gov.pl';
// Seconds here, days in production: the same state machine reads the timeout from its input.
const TIMEOUT_SECONDS = 3;

let stack: LocalStack;
let inbox: Inbox;
let sfn: SFNClient;

beforeAll(async () => {
  stack = await startLocalStack({ PAGES_PORT: 0, SES_PORT: 0, DYNAMODB_PORT: 0, SFN_PORT: 0, SQS_PORT: 0, RESPONSE_TIMEOUT_SECONDS: TIMEOUT_SECONDS, ESCALATE_AFTER_REMINDERS: 1 });
  inbox = new Inbox(stack.urls.inbox);
  sfn = new SFNClient({ region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: stack.urls.stepFunctions });
});

afterAll(async () => {
  sfn?.destroy();
  await stack?.close();
});

describe('a participant who does not answer', () => {
  it('is reminded with a fresh link (the old one stops working), MRPiPS is told after the configured reminders, and the reminder link completes the step', async () => {
    const caseId = await notifyAndConfirmContact(stack.urls.form, inbox);
    const request = await inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu', 'prośba o potwierdzenie']);

    const escalation = await inbox.take(MRPIPS, [caseId, 'brak odpowiedzi (eskalacja)'], 3 * TIMEOUT_SECONDS * 1000);
    expect(escalation.body.text).toContain('mimo 1 przypomnień');
    const reminder = await inbox.take(MRPIPS, [caseId, 'przypomnienie nr 1'], 3 * TIMEOUT_SECONDS * 1000);
    // Not before the deadline: the reminder is the step's second request, which only the first one's timeout (the
    // configured response time) leads to.
    const history = await executionHistory(sfn, stepExecutionArn(stack, caseId, 'AGREE_VARIANT'));
    const path = history.flatMap((e) => {
      if (e.stateEnteredEventDetails) return [e.stateEnteredEventDetails.name!];
      if (e.type === 'TaskScheduled' && e.taskScheduledEventDetails!.timeoutInSeconds !== undefined) return [`waits at most ${e.taskScheduledEventDetails!.timeoutInSeconds} s`];
      return e.type === 'TaskTimedOut' ? ['timed out'] : [];
    });
    const requested = ['Request confirmation', `waits at most ${TIMEOUT_SECONDS} s`];
    expect(path.slice(0, 8)).toEqual([...requested, 'timed out', 'Count reminder', 'Escalate to MRPiPS?', 'Escalate to MRPiPS', ...requested]);
    expect(linkIn(reminder)).not.toBe(linkIn(request));

    const old = await fetch(linkIn(request));
    expect(old.status).toBe(410);
    expect(await old.text()).toMatch(/Link wygasł|Link nieaktualny/);

    const confirmed = await confirmThroughLink(reminder, { decision: 'WITH_MIGRATION' });
    expect(confirmed.status).toBe(200);
    await inbox.take(MRPIPS, [caseId, 'Utworzenie nowych zbiorów']);

    const db = new DynamoDBClient({ region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: stack.urls.dynamodb });
    expect((await readTimeline(db, stack.config.TABLE_NAME, caseId)).map((e) => e.action)).toEqual(
      expect.arrayContaining(['CONFIRMATION_REQUESTED', 'STEP_ESCALATED', 'REMINDER_SENT', 'STEP_CONFIRMED', 'AGREE_VARIANT_APPLIED']),
    );
  });

  it('a notification whose contact never confirms the address lapses after the reminders: UNCONFIRMED, MRPiPS never bothered, collections free', async () => {
    const fields = notificationFields();
    const res = await submitForm(stack.urls.form, fields);
    const caseId = /ZSD-\d{4}-\d{5}/.exec(res.body)![0];
    const JST = fields['contact.email']!;
    const request = await inbox.take(JST, [caseId, 'prośba o potwierdzenie adresu e-mail']);
    await inbox.take(JST, [caseId, 'prośba o potwierdzenie adresu e-mail', 'przypomnienie nr 1'], 3 * TIMEOUT_SECONDS * 1000);

    const db = new DynamoDBClient({ region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: stack.urls.dynamodb });
    const read = async (pk: string, sk: string) => unmarshall((await db.send(new GetItemCommand({ TableName: stack.config.TABLE_NAME, Key: { pk: { S: pk }, sk: { S: sk } } }))).Item!);
    const deadline = Date.now() + 4 * TIMEOUT_SECONDS * 1000;
    while ((await read(`CASE#${caseId}`, 'CASE')).status !== 'UNCONFIRMED') {
      if (Date.now() > deadline) throw new Error('case did not lapse');
      await new Promise((r) => setTimeout(r, 100));
    }
    // (what is still in the outbox counts too)
    await stack.outbox.settled();
    expect(await inbox.to(MRPIPS, caseId)).toEqual([]);
    // It never held its collections: no case took them.
    const collection = await db.send(new GetItemCommand({ TableName: stack.config.TABLE_NAME, Key: { pk: { S: `COLLECTION#${fields['areas.0.oldCollectionCode']}` }, sk: { S: 'COLLECTION' } } }));
    expect(collection.Item?.lockedByCase).toBeUndefined();
    // The address confirmation that lapsed keeps no task token.
    expect(await itemsWithTaskToken(db, stack.config.TABLE_NAME, caseId)).toEqual([]);
    const late = await fetch(linkIn(request));
    expect(late.status).toBeGreaterThanOrEqual(400);
  });
});
