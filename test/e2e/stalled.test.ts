import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../../lambdas/core/case.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { Inbox, confirmThroughLink, linkIn, notifyAndConfirmContact, readTimeline, stepExecutionArn, untilWaitingForPeople } from './participants.js';

const MRPIPS = 'sekretariat.di@mrpips.gov.pl';
const TIMEOUT_SECONDS = 2;
const STALLED_WAIT_SECONDS = 600;

let stack: LocalStack;
let inbox: Inbox;
let db: DynamoDBClient;

beforeAll(async () => {
  stack = await startLocalStack({
    PAGES_PORT: 0,
    SES_PORT: 0,
    DYNAMODB_PORT: 0,
    SFN_PORT: 0, SQS_PORT: 0,
    RESPONSE_TIMEOUT_SECONDS: TIMEOUT_SECONDS,
    ESCALATE_AFTER_REMINDERS: 1,
    STALLED_AFTER_REMINDERS: 2,
    STALLED_WAIT_SECONDS,
    // The contact's confirmation is not what stalls here: its link must outlive a loaded machine's mail delivery
    // (with 2 s, its reminder, whose subject matches too, could replace it before the test opened it).
    REMINDER_SCHEDULE: JSON.stringify({ CONFIRM_CONTACT: { responseTimeoutSeconds: 600 } }),
  });
  inbox = new Inbox(stack.urls.inbox);
  db = new DynamoDBClient({ region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: stack.urls.dynamodb });
});

afterAll(async () => {
  await stack?.close();
});

const readCase = async (caseId: string) =>
  unmarshall((await db.send(new GetItemCommand({ TableName: stack.config.TABLE_NAME, Key: { pk: { S: `CASE#${caseId}` }, sk: { S: 'CASE' } } }))).Item!) as CaseRecord;

describe('a step past its final deadline', () => {
  it('marks the case STALLED, tells MRPiPS to decide, keeps the last link working; a late answer resumes the case', async () => {
    const caseId = await notifyAndConfirmContact(stack.urls.form, inbox);
    await inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu', 'prośba o potwierdzenie']);
    const wait = 5 * TIMEOUT_SECONDS * 1000;
    await inbox.take(MRPIPS, [caseId, 'brak odpowiedzi (eskalacja)'], wait);
    await inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu', 'przypomnienie nr 1'], wait);
    const stalledNotice = await inbox.take(MRPIPS, [caseId, 'termin minął, sprawa wstrzymana'], wait);
    expect(stalledNotice.body.text).toContain('npm run cases -- resend | reassign | cancel');
    const last = await inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu', 'termin minął, ostatnie przypomnienie'], wait);

    // The timeline entry follows the e-mail it records: wait for it rather than race it.
    let stalled = await readTimeline(db, stack.config.TABLE_NAME, caseId);
    for (const until = Date.now() + 5000; !stalled.some((e) => e.action === 'FINAL_LINK_SENT') && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 100));
      stalled = await readTimeline(db, stack.config.TABLE_NAME, caseId);
    }
    expect((await readCase(caseId)).status).toBe('STALLED');
    expect(stalled.map((e) => e.action)).toEqual(expect.arrayContaining(['STEP_ESCALATED', 'REMINDER_SENT', 'CASE_STALLED', 'FINAL_LINK_SENT']));

    // No further reminders while MRPiPS decides: the step waits on the last link alone, and for STALLED_WAIT_SECONDS,
    // not for another response timeout.
    const waiting = await untilWaitingForPeople(stack);
    expect(waiting.get(stepExecutionArn(stack, caseId, 'AGREE_VARIANT'))).toMatchObject({ state: 'Wait until MRPiPS decides', timeoutSeconds: STALLED_WAIT_SECONDS });
    expect((await inbox.to(MRPIPS, caseId)).filter((e) => e.subject.includes('przypomnienie nr'))).toHaveLength(1);

    const answered = await confirmThroughLink(last, { decision: 'WITH_MIGRATION' });
    expect(answered.status).toBe(200);
    await inbox.take(MRPIPS, [caseId, 'Utworzenie nowych zbiorów']);
    expect((await readCase(caseId)).status).toBe('IN_PROGRESS');
    expect(linkIn(last)).toContain('/potwierdzenie?');
  });
});
