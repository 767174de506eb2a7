import { GetItemCommand, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseStore } from '../../lambdas/adapters/case-store.js';
import { Workflow } from '../../lambdas/adapters/workflow.js';
import type { CaseRecord } from '../../lambdas/core/case.js';
import { recipientTag, signingKeysSchema } from '../../lambdas/core/links.js';
import { retryIncidents } from '../../lambdas/services/incidents.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { confirmThroughLink, Inbox, itemsWithTaskToken, linkIn, notificationFields, notifyAndConfirmContact, readTimeline, submitForm, submitOnPage, waitForExecution } from './participants.js';

const MRPIPS = 'sekretariat.di@mrpips.gov.pl';
const JST = 'anna.kowalska@mops.przykladowo.pl';
const SUPPLIER = 'wdrozenia@nowydostawca.pl';
const VOIVODESHIP_14 = 'administrator.mzt.14@uw.local';

let stack: LocalStack;
let inbox: Inbox;
let sfn: SFNClient;
let db: DynamoDBClient;

beforeAll(async () => {
  stack = await startLocalStack({ PAGES_PORT: 0, SES_PORT: 0, DYNAMODB_PORT: 0, SFN_PORT: 0, SQS_PORT: 0, RESPONSE_TIMEOUT_SECONDS: 600 });
  inbox = new Inbox(stack.urls.inbox);
  const clientConfig = { region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  sfn = new SFNClient({ ...clientConfig, endpoint: stack.urls.stepFunctions });
  db = new DynamoDBClient({ ...clientConfig, endpoint: stack.urls.dynamodb });
});

afterAll(async () => {
  await stack?.close();
});

async function readItem<T>(pk: string, sk: string): Promise<T> {
  const out = await db.send(new GetItemCommand({ TableName: stack.config.TABLE_NAME, Key: { pk: { S: pk }, sk: { S: sk } } }));
  return unmarshall(out.Item!) as T;
}

async function submitNotification(fields: Record<string, string>): Promise<string> {
  const res = await submitForm(stack.urls.form, fields);
  expect(res.status, res.body).toBe(201);
  return /ZSD-\d{4}-\d{5}/.exec(res.body)![0];
}

/** No item of the ended case holds a task token (read from the table). */
const expectNoTaskTokens = async (caseId: string) => expect(await itemsWithTaskToken(db, stack.config.TABLE_NAME, caseId)).toEqual([]);

const executionArn = (caseId: string) => stack.procedureArn.replace(':stateMachine:', ':execution:') + `:${caseId}`;

/** Plays a whole case up to and including step d; returns the case id and the old collection codes. */
async function playCase(decision: 'WITH_MIGRATION' | 'WITHOUT_MIGRATION', failedVerifications: number, finalVerification: 'OK' | 'DISCREPANCIES' = 'OK') {
  const fields = notificationFields();
  const caseId = await notifyAndConfirmContact(stack.urls.form, inbox, fields);
  await inbox.take(JST, [caseId, 'przyjęto zgłoszenie']);

  const agree = await confirmThroughLink(await inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']), { decision, note: 'Uzgodniono telefonicznie.' });
  expect(agree.status, agree.body).toBe(200);
  expect(agree.body).toContain('potwierdzenie zapisane');
  await inbox.take(JST, [caseId, 'uzgodniono tryb zmiany']);

  const codes = await confirmThroughLink(await inbox.take(MRPIPS, [caseId, 'Utworzenie nowych zbiorów']), {
    'newCollections.0.newCollectionCode': `N${fields['areas.0.oldCollectionCode']}`,
    'newCollections.1.newCollectionCode': `N${fields['areas.1.oldCollectionCode']}`,
  });
  expect(codes.status, codes.body).toBe(200);
  const codesMail = await inbox.take(JST, [caseId, 'kody nowych zbiorów']);
  expect(codesMail.destination.cc).toEqual([SUPPLIER]);
  expect(codesMail.body.text).toContain(`N${fields['areas.0.oldCollectionCode']}`);

  const today = new Date().toISOString().slice(0, 10);
  const deactivation = await inbox.take(JST, [caseId, 'Deaktywacja dotychczasowego SD']);
  // The JST's link goes to the JST alone; the supplier is told in a message of its own, without a link.
  expect(deactivation.destination.cc).toEqual([]);
  const supplierCopy = await inbox.take(SUPPLIER, [caseId, 'Deaktywacja dotychczasowego SD — informacja dla nowego dostawcy SD']);
  expect(supplierCopy.body.text).not.toContain('/potwierdzenie');
  expect((await confirmThroughLink(deactivation, { deactivatedOn: today, confirmed: 'tak' })).status).toBe(200);
  await inbox.take(MRPIPS, [caseId, 'Deaktywacja dotychczasowego SD — potwierdzono']);

  // Step c and the second part of b run in parallel once the old SD is deactivated.
  const [feeding, mzt] = await Promise.all([inbox.take(JST, [caseId, 'Aktywacja nowego SD']), inbox.take(VOIVODESHIP_14, [caseId, 'Deaktywacja urzędników i jednostki'])]);
  expect(feeding.body.text).toContain(decision === 'WITH_MIGRATION' ? 'zasilane inicjalnie' : 'dane nie są migrowane');
  expect((await confirmThroughLink(mzt, { deactivatedOn: today, confirmed: 'tak' })).status).toBe(200);
  expect((await confirmThroughLink(feeding, { feedingStartedOn: today, confirmed: 'tak' })).status).toBe(200);
  await inbox.take(MRPIPS, [caseId, 'Deaktywacja urzędników i jednostki w MZT CSIZS — potwierdzono']);
  await inbox.take(MRPIPS, [caseId, 'Aktywacja nowego SD i zasilenie nowych zbiorów CBB — potwierdzono']);

  for (let round = 1; round <= failedVerifications; round++) {
    const verify = await inbox.take(MRPIPS, [caseId, 'Weryfikacja zbiorów']);
    expect(verify.body.text).toContain(`Runda weryfikacji: ${round} z 3`);
    expect((await confirmThroughLink(verify, { result: 'DISCREPANCIES', comment: `Brakuje 12 rekordów (runda ${round}).` })).status).toBe(200);
    const again = await inbox.take(JST, [caseId, 'Aktywacja nowego SD']);
    expect(again.body.text).toContain(`Brakuje 12 rekordów (runda ${round}).`);
    expect((await confirmThroughLink(again, { feedingStartedOn: today, confirmed: 'tak', note: 'Dosłano brakujące rekordy.' })).status).toBe(200);
    await inbox.take(MRPIPS, [caseId, 'Aktywacja nowego SD i zasilenie nowych zbiorów CBB — potwierdzono']);
  }
  const verify = await inbox.take(MRPIPS, [caseId, 'Weryfikacja zbiorów']);
  expect((await confirmThroughLink(verify, finalVerification === 'OK' ? { result: 'OK' } : { result: 'DISCREPANCIES', comment: 'Nadal brakuje rekordów.' })).status).toBe(200);
  return { caseId, fields };
}

describe('the supplier-change procedure, end to end over HTTP and e-mail', () => {
  it('WITH data migration: every step, old collections ARCHIVED, the JST told what was done', async () => {
    const { caseId, fields } = await playCase('WITH_MIGRATION', 0);
    const done = await inbox.take(JST, [caseId, 'zmiana dostawcy SD zakończona']);
    expect(done.body.text).toContain('zarchiwizowany');
    const execution = await waitForExecution(sfn, executionArn(caseId));
    expect(execution.status).toBe('SUCCEEDED');

    const record = await readItem<CaseRecord>(`CASE#${caseId}`, 'CASE');
    expect(record.status).toBe('COMPLETED');
    await expectNoTaskTokens(caseId);
    expect(record.variant).toBe('WITH_MIGRATION');
    expect(record.outcome?.collectionsState).toBe('ARCHIVED');
    const timeline = await readTimeline(db, stack.config.TABLE_NAME, caseId);
    const actions = timeline.map((e) => e.action);
    expect(actions.filter((a) => a === 'STEP_CONFIRMED')).toHaveLength(7);
    expect(actions.at(-1)).toBe('CASE_COMPLETED');
    const confirmed = timeline.find((e) => e.action === 'STEP_CONFIRMED' && e.step === 'MZT_DEACTIVATED.1')!;
    expect(confirmed.actor).toEqual({ role: 'VOIVODESHIP_ADMIN', email: VOIVODESHIP_14 });
    expect(confirmed.details).toMatchObject({ ip: expect.any(String), userAgent: expect.any(String), linkId: expect.any(String) });

    const oldCollection = await readItem<{ state: string; lockedByCase?: string }>(`COLLECTION#${fields['areas.0.oldCollectionCode']}`, 'COLLECTION');
    expect(oldCollection.state).toBe('ARCHIVED');
    expect(oldCollection.lockedByCase).toBeUndefined();
    const newCollection = await readItem<{ state: string }>(`COLLECTION#N${fields['areas.0.oldCollectionCode']}`, 'COLLECTION');
    expect(newCollection.state).toBe('ACTIVE');

    // Exactly these e-mails, per participant.
    expect((await inbox.to(JST, caseId)).map((e) => e.subject.split(': ').slice(1).join(': '))).toEqual([
      'prośba o potwierdzenie adresu e-mail',
      'przyjęto zgłoszenie zmiany dostawcy SD',
      'uzgodniono tryb zmiany: z migracją danych',
      'kody nowych zbiorów CBB',
      'Deaktywacja dotychczasowego SD — prośba o potwierdzenie',
      'Aktywacja nowego SD i zasilenie nowych zbiorów CBB — prośba o potwierdzenie',
      'zmiana dostawcy SD zakończona',
    ]);
    expect((await inbox.to(MRPIPS, caseId)).map((e) => e.subject.split(': ').slice(1).join(': ')).sort()).toEqual(
      [
        'Uzgodnienie trybu zmiany dostawcy SD — prośba o potwierdzenie',
        'Utworzenie nowych zbiorów CBB — prośba o potwierdzenie',
        'Deaktywacja dotychczasowego SD — potwierdzono',
        'Aktywacja nowego SD i zasilenie nowych zbiorów CBB — potwierdzono',
        'Deaktywacja urzędników i jednostki w MZT CSIZS — potwierdzono',
        'Weryfikacja zbiorów starych z nowymi — prośba o potwierdzenie',
      ].sort(),
    );
    expect((await inbox.to(VOIVODESHIP_14, caseId)).map((e) => e.subject.split(': ').slice(1).join(': '))).toEqual([
      'Deaktywacja urzędników i jednostki w MZT CSIZS — prośba o potwierdzenie',
    ]);
    expect((await inbox.to(SUPPLIER, caseId)).map((e) => [e.destination.to, e.subject.split(': ').slice(1).join(': ')])).toEqual([
      [[JST], 'kody nowych zbiorów CBB'],
      [[SUPPLIER], 'Deaktywacja dotychczasowego SD — informacja dla nowego dostawcy SD (prośba o potwierdzenie)'],
      [[SUPPLIER], 'Aktywacja nowego SD i zasilenie nowych zbiorów CBB — informacja dla nowego dostawcy SD (prośba o potwierdzenie)'],
      [[JST], 'zmiana dostawcy SD zakończona'],
    ]);
    // Nothing secret in any e-mail: no task token, only signed links.
    for (const email of await inbox.all()) expect(email.body.text).not.toMatch(/taskToken|__LOCAL_SFN/);
    // Every e-mail with a confirmation link went to one person, the one its recipient tag names.
    const keys = signingKeysSchema.parse(JSON.parse(stack.config.LINK_SIGNING_KEYS));
    const linked = (await inbox.all()).filter((e) => e.subject.includes(caseId) && (e.body.text ?? '').includes('/potwierdzenie?'));
    expect(linked.length).toBeGreaterThanOrEqual(7);
    for (const email of linked) {
      expect({ subject: email.subject, ...email.destination }).toEqual({ subject: email.subject, to: [email.destination.to[0]], cc: [], bcc: [] });
      const link = new URL(linkIn(email));
      expect(link.searchParams.get('t'), email.subject).toBe(recipientTag(email.destination.to[0]!, keys, link.searchParams.get('k')!));
    }
  });

  it('WITHOUT data migration, with one failed verification round: back to the JST with the comment, then CLOSED', async () => {
    const { caseId, fields } = await playCase('WITHOUT_MIGRATION', 1);
    const done = await inbox.take(JST, [caseId, 'zmiana dostawcy SD zakończona']);
    expect(done.body.text).toContain('zamknięty (dostępny dla usług weryfikacyjnych)');
    expect((await waitForExecution(sfn, executionArn(caseId))).status).toBe('SUCCEEDED');
    const record = await readItem<CaseRecord>(`CASE#${caseId}`, 'CASE');
    expect(record.status).toBe('COMPLETED');
    await expectNoTaskTokens(caseId);
    expect(record.verification).toEqual({ round: 2, result: 'OK' });
    expect((await readTimeline(db, stack.config.TABLE_NAME, caseId)).filter((e) => e.action === 'VERIFY_COLLECTIONS_APPLIED').map((e) => e.step)).toEqual(['VERIFY_COLLECTIONS.1', 'VERIFY_COLLECTIONS.2']);
    const oldCollection = await readItem<{ state: string }>(`COLLECTION#${fields['areas.1.oldCollectionCode']}`, 'COLLECTION');
    expect(oldCollection.state).toBe('CLOSED');
    const children = await sfn.send(new ListExecutionsCommand({ stateMachineArn: stack.stepFunctions.stateMachineArn('confirmation') }));
    expect(children.executions!.map((e) => e.name)).toContain(`${caseId}-NEW_SD_FEEDING-2`);
  });

  it('a rejected notification ends the case REJECTED, tells the JST why and frees its collections', async () => {
    const fields = notificationFields();
    const caseId = await notifyAndConfirmContact(stack.urls.form, inbox, fields);
    const request = await inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']);
    // A token a crash left on an answered step (handed to Step Functions, then the function died before removing it).
    await db.send(new UpdateItemCommand({ TableName: stack.config.TABLE_NAME, Key: { pk: { S: `CASE#${caseId}` }, sk: { S: 'STEP#CONFIRM_CONTACT.1' } }, UpdateExpression: 'SET taskToken = :t', ExpressionAttributeValues: { ':t': { S: 'left-by-a-crash' } } }));
    const missingReason = await confirmThroughLink(request, { decision: 'REJECT' });
    expect(missingReason.status).toBe(400);
    expect(missingReason.body).toContain('Podaj powód odrzucenia');
    const res = await submitOnPage(missingReason.link, { decision: 'REJECT', reason: 'Brak kodu jednostki w MZT zgodnego z rejestrem.' });
    expect(res.status).toBe(200);
    const rejected = await inbox.take(JST, [caseId, 'zgłoszenie odrzucone']);
    expect(rejected.body.text).toContain('Brak kodu jednostki w MZT zgodnego z rejestrem.');
    expect((await waitForExecution(sfn, executionArn(caseId))).status).toBe('SUCCEEDED');
    const record = await readItem<CaseRecord>(`CASE#${caseId}`, 'CASE');
    expect(record.status).toBe('REJECTED');
    await expectNoTaskTokens(caseId);
    const collection = await readItem<{ state: string; lockedByCase?: string }>(`COLLECTION#${fields['areas.0.oldCollectionCode']}`, 'COLLECTION');
    expect(collection).toMatchObject({ state: 'ACTIVE' });
    expect(collection.lockedByCase).toBeUndefined();
    // The same collections can be notified again.
    const again = await submitNotification(fields);
    expect(again).not.toBe(caseId);
  });

  it('accepts two notifications for the same collection; the first confirmed takes it, the other ends at its confirmation, told without naming the first; the form then refuses the code naming no case', async () => {
    const code = notificationFields()['areas.0.oldCollectionCode']!;
    const firstFields = notificationFields({ 'areas.0.oldCollectionCode': code });
    const secondFields = notificationFields({ 'areas.1.oldCollectionCode': code, 'contact.email': 'jan.nowak@mops.przykladowo.pl' });
    // Both accepted: an unconfirmed notification holds nothing.
    const first = await submitNotification(firstFields);
    const second = await submitNotification(secondFields);
    const unheld = await db.send(new GetItemCommand({ TableName: stack.config.TABLE_NAME, Key: { pk: { S: `COLLECTION#${code}` }, sk: { S: 'COLLECTION' } } }));
    expect(unheld.Item).toBeUndefined();
    const secondRequest = await inbox.take('jan.nowak@mops.przykladowo.pl', [second, 'prośba o potwierdzenie adresu e-mail']);
    // The first to confirm takes the collection and goes on to MRPiPS.
    const firstRequest = await inbox.take(JST, [first, 'prośba o potwierdzenie adresu e-mail']);
    expect((await confirmThroughLink(firstRequest, { confirmed: 'tak' })).status).toBe(200);
    await inbox.take(JST, [first, 'przyjęto zgłoszenie']);
    await inbox.take(MRPIPS, [first, 'Uzgodnienie trybu']);
    expect(await readItem<{ lockedByCase?: string }>(`COLLECTION#${code}`, 'COLLECTION')).toMatchObject({ lockedByCase: first });
    // The second is told at its confirmation, and its case ends; the first keeps the collection.
    expect((await confirmThroughLink(secondRequest, { confirmed: 'tak' })).status).toBe(200);
    const refusal = await inbox.take('jan.nowak@mops.przykladowo.pl', [second, 'zgłoszenie nie może zostać przyjęte']);
    expect(refusal.body.text).toContain('jest już objęty inną sprawą zmiany dostawcy SD');
    expect(refusal.body.text).not.toContain(first);
    expect((await waitForExecution(sfn, executionArn(second))).status).toBe('SUCCEEDED');
    expect((await readItem<CaseRecord>(`CASE#${second}`, 'CASE')).status).toBe('REJECTED');
    const timeline = await readTimeline(db, stack.config.TABLE_NAME, second);
    expect(timeline.map((e) => e.action)).toContain('NOTIFICATION_COLLECTIONS_HELD');
    expect(JSON.stringify(timeline)).not.toContain(first);
    expect(await readItem<{ lockedByCase?: string; state: string }>(`COLLECTION#${code}`, 'COLLECTION')).toMatchObject({ lockedByCase: first, state: 'ACTIVE' });
    // MRPiPS never heard of the second case.
    expect(await inbox.to(MRPIPS, second)).toEqual([]);
    // A new notification for the code is refused on the form, naming no case.
    const res = await submitForm(stack.urls.form, notificationFields({ 'areas.1.oldCollectionCode': code }));
    expect(res.status).toBe(409);
    expect(res.body).toContain(`Zbiór ${code} jest już objęty inną sprawą zmiany dostawcy SD.`);
    expect(res.body).not.toContain(first);
  });

  it('after three verification rounds with discrepancies the case is ESCALATED to MRPiPS and the collections stay ACTIVE', async () => {
    const { caseId, fields } = await playCase('WITH_MIGRATION', 2, 'DISCREPANCIES');
    const escalated = await inbox.take(MRPIPS, [caseId, 'weryfikacja zbiorów — eskalacja']);
    expect(escalated.body.text).toContain('Nadal brakuje rekordów.');
    await inbox.take(JST, [caseId, 'weryfikacja zbiorów — eskalacja']);
    expect((await waitForExecution(sfn, executionArn(caseId))).status).toBe('SUCCEEDED');
    const record = await readItem<CaseRecord>(`CASE#${caseId}`, 'CASE');
    expect(record.status).toBe('ESCALATED');
    await expectNoTaskTokens(caseId);
    expect(record.verification).toMatchObject({ round: 3, result: 'DISCREPANCIES' });
    const collection = await readItem<{ state: string; lockedByCase?: string }>(`COLLECTION#${fields['areas.0.oldCollectionCode']}`, 'COLLECTION');
    expect(collection).toMatchObject({ state: 'ACTIVE', lockedByCase: caseId });
  });

  it('a step that fails for good is an incident operations are told of; one that keeps failing after the allowed retries fails the case visibly', async () => {
    // GIVEN MRPiPS staff registering an e-mailed notification through the API, with a TERYT code of no voivodeship
    const caseId = 'ZSD-2026-99001';
    const notification = {
      officeName: 'Gmina Testowa',
      teryt: '0301011',
      mztUnitCode: 'GT-1',
      areas: [{ area: 'pomoc społeczna', oldCollectionCode: notificationFields()['areas.0.oldCollectionCode'] }],
      plannedChangeDate: '2099-01-01',
      contact: { name: 'Jan Nowak', email: 'jan.nowak@gmina.pl', phone: '+48 600 100 200' },
      oldSd: { product: 'A', supplier: 'B' },
      newSd: { product: 'C', supplier: 'D' },
    };
    await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.procedureArn, name: caseId, input: JSON.stringify({ caseId, notification, timing: { responseTimeoutSeconds: 600, escalateAfterReminders: 2 }, incidentWaitSeconds: 600 }) }));
    const store = new CaseStore(db, stack.config.TABLE_NAME);
    const retry = () => retryIncidents({ store, workflow: new Workflow(sfn) }, { caseId, by: 'operator@mrpips.gov.pl' });

    for (let attempt = 1; attempt <= stack.config.MAX_INCIDENTS_PER_CASE; attempt++) {
      // WHEN registering fails (not a transient error: no automatic retry)
      // THEN the execution waits in an incident naming the failed state and the reason, and operations get one e-mail
      await expect.poll(async () => (await store.listIncidents(caseId)).filter((i) => i.status === 'OPEN').length, { timeout: 10_000 }).toBe(1);
      const [incident] = (await store.listIncidents(caseId)).filter((i) => i.status === 'OPEN');
      expect(incident).toMatchObject({ state: '1 Register notification', error: 'ValidationError', executionId: executionArn(caseId) });
      expect(incident!.reason).toContain('teryt: ');
      const mail = await inbox.take(stack.config.OPERATIONS_EMAIL, [caseId, 'incydent techniczny']);
      expect(mail.body.text).toContain('teryt: ');
      expect(mail.body.text).toContain(`npm run cases -- retry ${caseId}`);
      expect((await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(caseId) }))).status).toBe('RUNNING');
      // AND the operator retries without removing the cause
      expect((await retry()).retried).toMatchObject([{ outcome: 'retried', incident: { incidentId: incident!.incidentId } }]);
    }
    // THEN once the incidents per case are used up, the case fails visibly
    const execution = await waitForExecution(sfn, executionArn(caseId));
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('CaseFailed');
    const incidents = await store.listIncidents(caseId);
    expect(incidents).toHaveLength(stack.config.MAX_INCIDENTS_PER_CASE);
    expect(incidents.every((i) => i.status === 'RETRIED')).toBe(true);
    await expectNoTaskTokens(caseId);
  });
});
