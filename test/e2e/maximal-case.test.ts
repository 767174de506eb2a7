import { DynamoDBClient, GetItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../../lambdas/core/case.js';
import { stepLimitsConfigSchema } from '../../lambdas/core/config.js';
import { MAX_AREAS } from '../../lambdas/core/notification.js';
import type { StepRecord } from '../../lambdas/core/step-record.js';
import { dynamoDbItemSize } from '../../local/dynamodb-item-size.js';
import { writeRuntimeFile } from '../../local/runtime-file.js';
import { sqsAccessDenied, type FaultLayer } from '../../local/faults.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { AWS_MAX_HISTORY_EVENTS, historyEventCounts } from './history.js';
import { outboxQueueName, queuedMessageTo } from '../faults/play.js';
import { runCli } from '../ops/run-cli.js';
import { Inbox, confirmThroughLink, linkIn, notificationFields, notifyAndConfirmContact, readTimeline, submitOnPage, waitForExecution, type StoredEmail } from './participants.js';

/**
 * One case that plays the maximum of every loop a person can drive, with the longest text every field takes,
 * on the local stack: hand-overs through the link page up to MAX_HAND_OVERS_PER_STEP (and past it, refused),
 * MRPiPS's reassignments and resends up to theirs (and past them, refused), reminders of a step up to its stall
 * (stalledAfterReminders) and its final link, three verification rounds (the ASL's bound) with the longest
 * comments, and as many incidents as a case may have (MAX_INCIDENTS_PER_CASE), each retried by the operator. Then every item of the table is measured by DynamoDB's own size rules: the largest must stay far
 * under DynamoDB's 400 KB item limit (64 KB here), however often people do the things they may do.
 */
const LIMITS = stepLimitsConfigSchema.parse({});
const ESCALATE_AFTER_REMINDERS = 2;
const STALLED_AFTER_REMINDERS = 4;
const VERIFICATION_ROUNDS = 3;
const ITEM_SIZE_BOUND = 64 * 1024;

/**
 * The longest text a field takes, in Polish letters (two UTF-8 bytes each). Letters of three or four bytes would
 * not make a larger case: the form's body is bounded (MAX_FORM_BYTES, URL-encoded, 3 bytes per encoded byte).
 */
const longest = (length: number) => 'ż'.repeat(length);

/** The longest valid e-mail address (254 characters), distinct per tag. */
function longestAddress(tag: string): string {
  const local = `${tag}.`.padEnd(64, 'x');
  return `${local}@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(58)}.pl`;
}

const MRPIPS = 'sekretariat.di@mrpips.gov.pl';
const ADMIN_14 = 'administrator.mzt.14@uw.local';
const JST = longestAddress('jst');
const SUPPLIER = longestAddress('supplier');
const TODAY = () => new Date().toISOString().slice(0, 10);

let stack: LocalStack & { faults: FaultLayer };
let inbox: Inbox;
let db: DynamoDBClient;
let sfn: SFNClient;
let dir: string;
let runtimeFile: string;

beforeAll(async () => {
  stack = await startLocalStack({
    PAGES_PORT: 0,
    SES_PORT: 0,
    DYNAMODB_PORT: 0,
    SFN_PORT: 0,
    SQS_PORT: 0,
    RESPONSE_TIMEOUT_SECONDS: 600,
    ESCALATE_AFTER_REMINDERS,
    STALLED_AFTER_REMINDERS,
    STALLED_WAIT_SECONDS: 600,
    // Step c is the one left unanswered until it stalls; every other step waits long enough to be played.
    REMINDER_SCHEDULE: JSON.stringify({ MZT_DEACTIVATED: { responseTimeoutSeconds: 1 } }),
    RETRY_INTERVAL_SCALE: 0.01,
  }, { faults: true });
  inbox = new Inbox(stack.urls.inbox);
  const clientConfig = { region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  db = new DynamoDBClient({ ...clientConfig, endpoint: stack.urls.dynamodb });
  sfn = new SFNClient({ ...clientConfig, endpoint: stack.urls.stepFunctions });
  dir = mkdtempSync(join(tmpdir(), 'zmiana-sd-maximal-'));
  runtimeFile = await writeRuntimeFile(stack, join(dir, 'runtime.json'));
});

afterAll(async () => {
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(['--local', '--runtime-file', runtimeFile, ...args]);

async function readStep(caseId: string, stepKey: string): Promise<StepRecord> {
  const out = await db.send(new GetItemCommand({ TableName: stack.config.TABLE_NAME, Key: { pk: { S: `CASE#${caseId}` }, sk: { S: `STEP#${stepKey}` } }, ConsistentRead: true }));
  return unmarshall(out.Item!) as StepRecord;
}

async function scanTable(): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await db.send(new ScanCommand({ TableName: stack.config.TABLE_NAME, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The notification with every free text at its longest and every area used. */
function maximalNotification(): Record<string, string> {
  const suffix = Math.random().toString(36).slice(2, 6).toUpperCase();
  const areas = Object.fromEntries(
    Array.from({ length: MAX_AREAS }, (_, index) => [
      [`areas.${index}.area`, longest(120)],
      // The longest code (40), unique to this run.
      [`areas.${index}.oldCollectionCode`, `O${index}-${suffix}-`.padEnd(40, 'X')],
    ]).flat(),
  );
  return notificationFields({
    officeName: longest(200),
    mztUnitCode: 'M'.repeat(50),
    ...areas,
    'contact.name': longest(120),
    'contact.email': JST,
    'contact.phone': '+48 (22) 123-45-67-89-01',
    'oldSd.product': longest(120),
    'oldSd.supplier': longest(160),
    'newSd.product': longest(120),
    'newSd.supplier': longest(160),
    'newSd.contactEmail': SUPPLIER,
    remarks: longest(2000),
  });
}

const handOver = (link: string, to: string) => submitOnPage(link, { action: 'reassign', delegateEmail: to });

/**
 * One incident: the outbox refuses `functionName`'s next message to `to` about `subject` once (SQS AccessDenied: no
 * automatic retry), the case is held, and the operator retries it with the CLI.
 */
async function incidentAt(caseId: string, functionName: string, to: string, subject: string, play: () => Promise<void>): Promise<void> {
  const refused = stack.faults.add({ service: 'sqs', operation: 'SendMessage', match: queuedMessageTo(to, subject), fault: sqsAccessDenied(outboxQueueName(stack), functionName), times: 1, label: `incident: ${subject}` });
  await play();
  await expect.poll(async () => JSON.parse((await cli(['incidents', '--json'])).stdout).length, { timeout: 15_000 }).toBe(1);
  expect(refused.exhausted).toBe(true);
  const retried = await cli(['retry', caseId]);
  expect(retried.code, retried.stderr).toBe(0);
}

describe('a case that plays the maximum of every loop', () => {
  it('stays under 64 KB in its largest item, and every bound is enforced with a clear message', async () => {
    const fields = maximalNotification();
    const caseId = await notifyAndConfirmContact(stack.urls.form, inbox, fields);

    // Step 2: the variant, with the longest note.
    const agree = await confirmThroughLink(await inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']), { decision: 'WITH_MIGRATION', note: longest(2000) });
    expect(agree.status, agree.body).toBe(200);
    const codes = Object.fromEntries(Array.from({ length: MAX_AREAS }, (_, index) => [`newCollections.${index}.newCollectionCode`, `N${fields[`areas.${index}.oldCollectionCode`]!.slice(1)}`]));
    // Incident 1 (the parent's apply-response): the new codes cannot be e-mailed to the JST.
    await incidentAt(caseId, 'apply-response', JST, 'kody nowych zbiorów', async () => {
      expect((await confirmThroughLink(await inbox.take(MRPIPS, [caseId, 'Utworzenie nowych zbiorów']), codes)).status).toBe(200);
    });

    // Step b: handed over through the link page as often as allowed; the last colleague's page has no form.
    let holder = JST;
    let request: StoredEmail = await inbox.take(JST, [caseId, 'Deaktywacja dotychczasowego SD']);
    for (let n = 1; n < LIMITS.MAX_HAND_OVERS_PER_STEP; n++) {
      const colleague = longestAddress(`colleague${n}`);
      const page = await handOver(linkIn(request), colleague);
      expect(page.status, page.body).toBe(200);
      holder = colleague;
      request = await inbox.take(colleague, [caseId, 'Deaktywacja dotychczasowego SD']);
    }
    // The last hand-over allowed, posted four times at once to four people: one wins, the count stays bounded.
    const racing = ['a', 'b', 'c', 'd'].map((tag) => longestAddress(`racing.${tag}`));
    const raced = await Promise.all(racing.map((to) => handOver(linkIn(request), to)));
    expect(raced.filter((r) => r.status === 200)).toHaveLength(1);
    holder = racing[raced.findIndex((r) => r.status === 200)]!;
    request = await inbox.take(holder, [caseId, 'Deaktywacja dotychczasowego SD']);
    expect((await readStep(caseId, 'OLD_SD_DEACTIVATED.1')).handOvers).toBe(LIMITS.MAX_HAND_OVERS_PER_STEP);
    const lastPage = await (await fetch(linkIn(request))).text();
    expect(lastPage).not.toContain('value="reassign"');
    expect(lastPage).toContain('Tego kroku nie można już przekazać za pomocą linku');
    expect(lastPage).toContain('MRPiPS (Departament Informatyki), które może przypisać go innej osobie');
    const refused = await handOver(linkIn(request), longestAddress('one.too.many'));
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('Nic nie zostało zmienione.');

    // MRPiPS still reassigns it, as often as its own bound allows; then the CLI names the limit.
    for (let n = 1; n <= LIMITS.MAX_REASSIGNMENTS_PER_STEP; n++) {
      const to = longestAddress(`reassigned${n}`);
      const run = await cli(['reassign', caseId, 'OLD_SD_DEACTIVATED.1', to]);
      expect(run.code, run.stderr).toBe(0);
      holder = to;
    }
    const pastReassignments = await cli(['reassign', caseId, 'OLD_SD_DEACTIVATED.1', longestAddress('reassigned.too.many')]);
    expect(pastReassignments.code).toBe(1);
    expect(pastReassignments.stderr).toContain(`the limit (MAX_REASSIGNMENTS_PER_STEP=${LIMITS.MAX_REASSIGNMENTS_PER_STEP})`);
    // Each resend's e-mail sent before the next (the outbox sends in no set order; only the last link works).
    for (let n = 1; n <= LIMITS.MAX_RESENDS_PER_STEP; n++) {
      expect((await cli(['resend', caseId, 'OLD_SD_DEACTIVATED.1'])).code).toBe(0);
      await stack.outbox.settled();
    }
    const pastResends = await cli(['resend', caseId, 'OLD_SD_DEACTIVATED.1']);
    expect(pastResends.code).toBe(1);
    expect(pastResends.stderr).toContain(`the limit (MAX_RESENDS_PER_STEP=${LIMITS.MAX_RESENDS_PER_STEP})`);
    const resent = (await inbox.to(holder, caseId)).filter((e) => e.subject.includes('link wysłany ponownie'));
    expect(resent).toHaveLength(LIMITS.MAX_RESENDS_PER_STEP);

    // b and c in parallel: step c is reminded until it stalls, then answered through its final link.
    // Incident 2 (inside step b's child, in a Parallel branch): the JST's request cannot be sent.
    await incidentAt(caseId, 'request-confirmation', JST, 'Aktywacja nowego SD', async () => {
      expect((await confirmThroughLink(resent.at(-1)!, { deactivatedOn: TODAY(), confirmed: 'tak', note: longest(2000) })).status).toBe(200);
    });
    const feeding = await inbox.take(JST, [caseId, 'Aktywacja nowego SD']);
    expect((await confirmThroughLink(feeding, { feedingStartedOn: TODAY(), confirmed: 'tak', note: longest(2000) })).status).toBe(200);
    const finalLink = await inbox.take(ADMIN_14, [caseId, 'termin minął, ostatnie przypomnienie'], 60_000);
    // E-mail goes through the outbox, in no set order: the reminders are counted once all of it has been sent.
    await stack.outbox.settled();
    const reminders = (await inbox.to(ADMIN_14, caseId)).filter((e) => e.subject.includes('przypomnienie nr'));
    expect(reminders).toHaveLength(STALLED_AFTER_REMINDERS - 1);
    expect((await confirmThroughLink(finalLink, { deactivatedOn: TODAY(), confirmed: 'tak', note: longest(2000) })).status).toBe(200);

    // Three verification rounds, each with the longest comment (the ASL allows no fourth).
    for (let round = 1; round <= VERIFICATION_ROUNDS; round++) {
      const verify = await inbox.take(MRPIPS, [caseId, 'Weryfikacja zbiorów'], 30_000);
      expect(verify.body.text).toContain(`Runda weryfikacji: ${round} z ${VERIFICATION_ROUNDS}`);
      const last = round === VERIFICATION_ROUNDS;
      const answer = async () => expect((await confirmThroughLink(verify, { result: last ? 'OK' : 'DISCREPANCIES', comment: longest(2000) })).status).toBe(200);
      // Incident 3 (the parent's last notice): the JST cannot be told the outcome.
      if (last) await incidentAt(caseId, 'send-notice', JST, 'zmiana dostawcy SD zakończona', answer);
      else await answer();
      if (!last) {
        const again = await inbox.take(JST, [caseId, 'Aktywacja nowego SD']);
        expect((await confirmThroughLink(again, { feedingStartedOn: TODAY(), confirmed: 'tak', note: longest(2000) })).status).toBe(200);
      }
    }
    const execution = await waitForExecution(sfn, `${stack.procedureArn.replace(':stateMachine:', ':execution:')}:${caseId}`, 30_000);
    expect(execution.status).toBe('SUCCEEDED');
    // Each execution of the longest case within the history AWS keeps (the local service fails one at the limit).
    const events = await historyEventCounts(sfn, stack, caseId);
    console.info(`maximal case ${caseId}: history events ${JSON.stringify(events)}`);
    expect(Object.keys(events).length).toBeGreaterThan(1);
    for (const count of Object.values(events)) expect(count).toBeLessThan(AWS_MAX_HISTORY_EVENTS);

    // What the case recorded: each loop as often as its bound, no more.
    const timeline = await readTimeline(db, stack.config.TABLE_NAME, caseId);
    const count = (action: string) => timeline.filter((e) => e.action === action).length;
    expect(count('STEP_REASSIGNED')).toBe(LIMITS.MAX_HAND_OVERS_PER_STEP + LIMITS.MAX_REASSIGNMENTS_PER_STEP);
    expect(count('STEP_LINK_RESENT')).toBe(LIMITS.MAX_RESENDS_PER_STEP);
    expect(timeline.filter((e) => e.action === 'REMINDER_SENT' && e.step === 'MZT_DEACTIVATED.1')).toHaveLength(STALLED_AFTER_REMINDERS - 1);
    expect(count('CASE_STALLED')).toBe(1);
    expect(count('VERIFY_COLLECTIONS_APPLIED')).toBe(VERIFICATION_ROUNDS);
    expect(count('CASE_COMPLETED')).toBe(1);
    expect(count('INCIDENT_OPENED')).toBe(stack.config.MAX_INCIDENTS_PER_CASE);
    expect(count('INCIDENT_RETRIED')).toBe(stack.config.MAX_INCIDENTS_PER_CASE);

    // Every item of the table, measured by DynamoDB's rules.
    const items = (await scanTable()).map((item) => ({ key: `${item.pk!.S} / ${item.sk!.S}`, size: dynamoDbItemSize(item), item }));
    const largest = items.reduce((a, b) => (b.size > a.size ? b : a));
    const caseItem = items.find((i) => i.key === `CASE#${caseId} / CASE`)!;
    console.info(`maximal case ${caseId}: ${items.length} items; largest ${largest.key} = ${largest.size} bytes (${(largest.size / 1024).toFixed(1)} KB); case item ${caseItem.size} bytes`);
    expect(largest.size).toBeLessThan(ITEM_SIZE_BOUND);
    // The case item keeps current state only: its applied event ids stay few (see case-store.ts caseUpdate).
    const applied = (unmarshall(caseItem.item) as CaseRecord & { appliedEventIds: Set<string> }).appliedEventIds;
    expect(applied.size).toBeLessThan(50);
    expect(caseItem.item.timeline).toBeUndefined();
  });
});
