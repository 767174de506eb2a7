import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { expect } from 'vitest';
import { CaseStore } from '../../lambdas/adapters/case-store.js';
import type { CaseRecord } from '../../lambdas/core/case.js';
import type { OutboxMessage } from '../../lambdas/core/outbox.js';
import type { StepRecord } from '../../lambdas/core/step-record.js';
import { STEP_IDS } from '../../lambdas/core/steps.js';
import { AWS_ERRORS, SDK_ATTEMPTS, type FaultLayer, type FaultRequest } from '../../local/faults.js';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack.js';
import { Inbox, confirmThroughLink, executionHistory, notificationFields, notifyAndConfirmContact, stepExecutionArn, waitForExecution, type StoredEmail } from '../e2e/participants.js';

/**
 * The fault-injection suites play whole cases over HTTP and e-mail, exactly as test/e2e does, on a local
 * stack whose fault layer is on; then they compare what every participant received and what the case
 * recorded with a case played without faults ("nothing lost, nothing duplicated").
 */
export const MRPIPS = 'sekretariat.di@mrpips.gov.pl';
export const JST = 'anna.kowalska@mops.przykladowo.pl';
export const SUPPLIER = 'wdrozenia@nowydostawca.pl';
export const VOIVODESHIP_14 = 'administrator.mzt.14@uw.local';
export const PARTICIPANTS = [JST, MRPIPS, SUPPLIER, VOIVODESHIP_14];

export interface FaultWorld {
  stack: LocalStack & { faults: FaultLayer };
  faults: FaultLayer;
  inbox: Inbox;
  sfn: SFNClient;
  db: DynamoDBClient;
}

/** A local stack with the fault layer on, every port free, and the state machines' retry waits scaled down. */
export async function startFaultWorld(overrides: Parameters<typeof startLocalStack>[0] = {}, options: Omit<LocalStackOptions, 'faults'> = {}): Promise<FaultWorld> {
  const stack = await startLocalStack(
    { PAGES_PORT: 0, SES_PORT: 0, DYNAMODB_PORT: 0, SFN_PORT: 0, SQS_PORT: 0, RESPONSE_TIMEOUT_SECONDS: 600, RETRY_INTERVAL_SCALE: 0.01, ...overrides },
    { ...options, faults: true },
  );
  const clientConfig = { region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  return {
    stack,
    faults: stack.faults,
    inbox: new Inbox(stack.urls.inbox),
    // The test's own clients talk to the stand-ins directly: they see no faults.
    sfn: new SFNClient({ ...clientConfig, endpoint: stack.urls.stepFunctions }),
    db: new DynamoDBClient({ ...clientConfig, endpoint: stack.urls.dynamodb }),
  };
}

export const executionArn = (world: FaultWorld, caseId: string) => world.stack.procedureArn.replace(':stateMachine:', ':execution:') + `:${caseId}`;
export const childExecutionArn = (world: FaultWorld, caseId: string, step: string, round = 1) => stepExecutionArn(world.stack, caseId, step, round);

export async function readItem<T>(world: FaultWorld, pk: string, sk: string): Promise<T | undefined> {
  const out = await world.db.send(new GetItemCommand({ TableName: world.stack.config.TABLE_NAME, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }));
  return out.Item ? (unmarshall(out.Item) as T) : undefined;
}

export const readCase = async (world: FaultWorld, caseId: string) => (await readItem<CaseRecord>(world, `CASE#${caseId}`, 'CASE'))!;
/** The case's timeline entries, oldest first, read with the test's own client (no faults). */
export const readTimeline = (world: FaultWorld, caseId: string) => new CaseStore(world.db, world.stack.config.TABLE_NAME).getTimeline(caseId);
export const readStep = async (world: FaultWorld, caseId: string, stepKey: string) => (await readItem<StepRecord>(world, `CASE#${caseId}`, `STEP#${stepKey}`))!;

export async function readSteps(world: FaultWorld, caseId: string): Promise<StepRecord[]> {
  const out = await world.db.send(
    new QueryCommand({
      TableName: world.stack.config.TABLE_NAME,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :step)',
      ExpressionAttributeValues: { ':pk': { S: `CASE#${caseId}` }, ':step': { S: 'STEP#' } },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map((item) => unmarshall(item) as StepRecord);
}

/** How a participant step is answered; the default opens the link and presses the button (expects 200). */
export type Answer = (email: StoredEmail, fields: Record<string, string>) => Promise<void>;
export const answerOnPage: Answer = async (email, fields) => {
  const res = await confirmThroughLink(email, fields);
  expect(res.status, res.body).toBe(200);
  expect(res.body).toContain('potwierdzenie zapisane');
};

export interface PlayedCase {
  caseId: string;
  fields: Record<string, string>;
}

/**
 * A whole case WITH data migration, every participant played from their e-mail: notification, contact
 * confirmation, variant, new codes, step b, b+c in parallel, verification OK; ends COMPLETED with the old
 * collections ARCHIVED. `answer` can be replaced per step (the step's subject part is passed as `step`);
 * `voivodeshipAdmin` is where step c's request is expected (another address once the step was handed on).
 */
export async function playCase(world: FaultWorld, answer: (step: string) => Answer = () => answerOnPage, { voivodeshipAdmin = VOIVODESHIP_14 } = {}): Promise<PlayedCase> {
  const { inbox } = world;
  const fields = notificationFields();
  const caseId = await notifyAndConfirmContact(world.stack.urls.form, inbox, fields);
  await inbox.take(JST, [caseId, 'przyjęto zgłoszenie']);
  await answer('Uzgodnienie trybu')(await inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']), { decision: 'WITH_MIGRATION', note: 'Uzgodniono telefonicznie.' });
  await inbox.take(JST, [caseId, 'uzgodniono tryb zmiany']);
  await answer('Utworzenie nowych zbiorów')(await inbox.take(MRPIPS, [caseId, 'Utworzenie nowych zbiorów']), {
    'newCollections.0.newCollectionCode': `N${fields['areas.0.oldCollectionCode']}`,
    'newCollections.1.newCollectionCode': `N${fields['areas.1.oldCollectionCode']}`,
  });
  await inbox.take(JST, [caseId, 'kody nowych zbiorów']);
  const today = new Date().toISOString().slice(0, 10);
  await answer('Deaktywacja dotychczasowego SD')(await inbox.take(JST, [caseId, 'Deaktywacja dotychczasowego SD']), { deactivatedOn: today, confirmed: 'tak' });
  await inbox.take(MRPIPS, [caseId, 'Deaktywacja dotychczasowego SD — potwierdzono']);
  const [feeding, mzt] = await Promise.all([inbox.take(JST, [caseId, 'Aktywacja nowego SD']), inbox.take(voivodeshipAdmin, [caseId, 'Deaktywacja urzędników i jednostki'])]);
  await answer('Deaktywacja urzędników')(mzt, { deactivatedOn: today, confirmed: 'tak' });
  await answer('Aktywacja nowego SD')(feeding, { feedingStartedOn: today, confirmed: 'tak' });
  await inbox.take(MRPIPS, [caseId, 'Deaktywacja urzędników i jednostki w MZT CSIZS — potwierdzono']);
  await inbox.take(MRPIPS, [caseId, 'Aktywacja nowego SD i zasilenie nowych zbiorów CBB — potwierdzono']);
  await answer('Weryfikacja zbiorów')(await inbox.take(MRPIPS, [caseId, 'Weryfikacja zbiorów']), { result: 'OK' });
  await inbox.take(JST, [caseId, 'zmiana dostawcy SD zakończona']);
  const execution = await waitForExecution(world.sfn, executionArn(world, caseId));
  expect(execution.status).toBe('SUCCEEDED');
  return { caseId, fields };
}

/** Everything that must be the same for any two cases played alike, whatever faults one of them met. */
export interface CaseOutcome {
  status: string;
  variant?: string;
  collectionsState?: string;
  /** Subjects (without the case id) each participant received, as To or Cc, sorted. */
  emails: Record<string, string[]>;
  /** Timeline event ids, sorted (ids name the event, e.g. `confirmed:AGREE_VARIANT.1`). */
  timelineIds: string[];
  /** Timeline actions, sorted. */
  actions: string[];
  /** Step instance → status, and whether it still keeps a task token. */
  steps: Record<string, string>;
  /** Old and new collection codes → state and holder. */
  collections: string[];
}

/**
 * What a played case left: its record, timeline, steps, collections, and the e-mails each participant got. E-mail
 * is sent asynchronously (the outbox), so the outbox is settled first: a second copy still on its way is counted.
 */
export async function outcomeOf(world: FaultWorld, played: PlayedCase): Promise<CaseOutcome> {
  const { caseId, fields } = played;
  await world.stack.outbox.settled();
  const record = await readCase(world, caseId);
  const timeline = await readTimeline(world, caseId);
  const emails: Record<string, string[]> = {};
  for (const address of PARTICIPANTS) emails[address] = (await world.inbox.to(address, caseId)).map((e) => e.subject.split(': ').slice(1).join(': ')).sort();
  const steps = await readSteps(world, caseId);
  const collections: string[] = [];
  for (const index of [0, 1]) {
    const old = fields[`areas.${index}.oldCollectionCode`]!;
    for (const [kind, code] of [['old', old], ['new', `N${old}`]] as const) {
      const item = await readItem<{ state: string; lockedByCase?: string }>(world, `COLLECTION#${code}`, 'COLLECTION');
      collections.push(`${kind}${index}: ${item?.state ?? 'MISSING'}${item?.lockedByCase ? ` held by ${item.lockedByCase === caseId ? 'this case' : item.lockedByCase}` : ''}`);
    }
  }
  return {
    status: record.status,
    variant: record.variant,
    collectionsState: record.outcome?.collectionsState,
    emails,
    timelineIds: timeline.map((e) => e.id).sort(),
    actions: timeline.map((e) => e.action).sort(),
    steps: Object.fromEntries(steps.map((s) => [s.stepKey, `${s.status}${s.taskToken ? ' (token kept)' : ''}${s.response ? '' : ' (no response)'}`])),
    collections,
  };
}

/** The e-mails and the timeline of a case played without faults, as every suite expects them. */
export function expectCompletedCase(outcome: CaseOutcome): void {
  expect(outcome.status).toBe('COMPLETED');
  expect(outcome.variant).toBe('WITH_MIGRATION');
  expect(outcome.collectionsState).toBe('ARCHIVED');
  expect(outcome.collections).toEqual(['old0: ARCHIVED', 'new0: ACTIVE', 'old1: ARCHIVED', 'new1: ACTIVE']);
  expect(outcome.emails[JST]).toEqual(
    [
      'prośba o potwierdzenie adresu e-mail',
      'przyjęto zgłoszenie zmiany dostawcy SD',
      'uzgodniono tryb zmiany: z migracją danych',
      'kody nowych zbiorów CBB',
      'Deaktywacja dotychczasowego SD — prośba o potwierdzenie',
      'Aktywacja nowego SD i zasilenie nowych zbiorów CBB — prośba o potwierdzenie',
      'zmiana dostawcy SD zakończona',
    ].sort(),
  );
  expect(outcome.emails[MRPIPS]).toEqual(
    [
      'Uzgodnienie trybu zmiany dostawcy SD — prośba o potwierdzenie',
      'Utworzenie nowych zbiorów CBB — prośba o potwierdzenie',
      'Deaktywacja dotychczasowego SD — potwierdzono',
      'Aktywacja nowego SD i zasilenie nowych zbiorów CBB — potwierdzono',
      'Deaktywacja urzędników i jednostki w MZT CSIZS — potwierdzono',
      'Weryfikacja zbiorów starych z nowymi — prośba o potwierdzenie',
    ].sort(),
  );
  // The supplier is in copy of the codes and the final notice, and told of both step-b requests in messages of its own (no link).
  expect(outcome.emails[SUPPLIER]).toEqual(
    [
      'kody nowych zbiorów CBB',
      'Deaktywacja dotychczasowego SD — informacja dla nowego dostawcy SD (prośba o potwierdzenie)',
      'Aktywacja nowego SD i zasilenie nowych zbiorów CBB — informacja dla nowego dostawcy SD (prośba o potwierdzenie)',
      'zmiana dostawcy SD zakończona',
    ].sort(),
  );
  expect(outcome.emails[VOIVODESHIP_14]).toEqual(['Deaktywacja urzędników i jednostki w MZT CSIZS — prośba o potwierdzenie']);
  // One timeline entry per event: seven confirmations, each applied once, each requested once.
  const count = (action: string) => outcome.actions.filter((a) => a === action).length;
  expect(count('STEP_CONFIRMED')).toBe(7);
  expect(count('CONFIRMATION_REQUESTED')).toBe(7);
  expect(count('REMINDER_SENT')).toBe(0);
  expect(new Set(outcome.timelineIds).size).toBe(outcome.timelineIds.length);
  expect(outcome.actions).not.toContain('CASE_FAILED');
  for (const [stepKey, state] of Object.entries(outcome.steps)) expect(`${stepKey}: ${state}`).toBe(`${stepKey}: COMPLETED`);
  expect(Object.keys(outcome.steps).sort()).toEqual(
    ['CONFIRM_CONTACT.1', 'AGREE_VARIANT.1', 'NEW_COLLECTIONS.1', 'OLD_SD_DEACTIVATED.1', 'NEW_SD_FEEDING.1', 'MZT_DEACTIVATED.1', 'VERIFY_COLLECTIONS.1'].sort(),
  );
}

/** Events of an execution's history (the test's own client: no faults). */
export const historyOf = (world: FaultWorld, executionArn: string): Promise<HistoryEvent[]> => executionHistory(world.sfn, executionArn);

/** Task failures the state machine saw in an execution (what its Retry acted on), as error names. */
export async function taskFailures(world: FaultWorld, executionArn: string): Promise<string[]> {
  return (await historyOf(world, executionArn)).filter((e) => e.type === 'TaskFailed' || e.type === 'LambdaFunctionFailed').map((e) => e.taskFailedEventDetails?.error ?? e.lambdaFunctionFailedEventDetails?.error ?? '?');
}

/** Task failures in a case's parent execution and every step's child it started, as the state machines saw them. */
export async function caseTaskFailures(world: FaultWorld, caseId: string): Promise<string[]> {
  const arns = [executionArn(world, caseId), ...STEP_IDS.map((step) => childExecutionArn(world, caseId, step))];
  // A step the case has not reached has no child yet.
  const failures = (arn: string) => taskFailures(world, arn).catch((error: Error) => (error.name === 'ExecutionDoesNotExist' ? [] : Promise.reject(error)));
  return (await Promise.all(arns.map(failures))).flat();
}

/** Functions that failed so far (threw or timed out: what Lambda's Errors metric counts and alarms on), by name. */
export const functionErrors = (world: FaultWorld): Record<string, number> =>
  Object.fromEntries(Object.entries(world.stack.functionStats()).flatMap(([name, stats]) => (stats && stats.errors > 0 ? [[name, stats.errors]] : [])));

/** Matches an SES SendEmail (query protocol) to `to` whose subject contains `subjectPart`. */
export function sesMessageTo(to: string, subjectPart = ''): (request: FaultRequest) => boolean {
  return (request) => {
    const params = new URLSearchParams(request.body);
    return params.get('Destination.ToAddresses.member.1') === to && (params.get('Message.Subject.Data') ?? '').includes(subjectPart);
  };
}

/** The outbox queue's name (the last part of its URL), as IAM's messages name the resource. */
export const outboxQueueName = (stack: Pick<LocalStack, 'outbox'>) => stack.outbox.queueUrl.split('/').pop()!;

/** One SendMessage to the outbox as it reached SQS: the request's MessageBody, the e-mail in it, its DelaySeconds. */
export interface OutboxSend {
  body: string;
  queued: OutboxMessage;
  delaySeconds: number;
}

/**
 * Records every SendMessage to the outbox from now on (what the product put on the queue, and what it put back):
 * a rule that never faults, added before any other so that it sees every request.
 */
export function watchOutbox(faults: FaultLayer): OutboxSend[] {
  const sends: OutboxSend[] = [];
  const record = (request: FaultRequest) => {
    const { MessageBody: body, DelaySeconds: delaySeconds = 0 } = JSON.parse(request.body) as { MessageBody: string; DelaySeconds?: number };
    sends.push({ body, queued: JSON.parse(body) as OutboxMessage, delaySeconds });
    return false;
  };
  faults.add({ service: 'sqs', operation: 'SendMessage', match: record, fault: AWS_ERRORS.sqsInternalFailure, times: Infinity, label: 'watch (never faults)' });
  return sends;
}

/** Matches the outbox's SendMessage (AWS JSON protocol) of an e-mail to `to` whose subject contains `subjectPart`. */
export function queuedMessageTo(to: string, subjectPart = ''): (request: FaultRequest) => boolean {
  return (request) => {
    try {
      const { message } = JSON.parse((JSON.parse(request.body) as { MessageBody: string }).MessageBody) as OutboxMessage;
      return message.to.includes(to) && message.subject.includes(subjectPart);
    } catch {
      return false;
    }
  };
}

/**
 * "A crash between two writes": the write matching `match` reaches DynamoDB, its answer is lost, and every
 * attempt the SDK makes after it fails, so the action sees a failure although its write happened.
 */
export function crashAfterWrite(faults: FaultLayer, operation: 'UpdateItem' | 'PutItem', match: (request: FaultRequest) => boolean, label: string) {
  const written = faults.add({ service: 'dynamodb', operation, match, fault: { kind: 'lose-response' }, times: 1, label: `${label} (written, answer lost)` });
  const failing = faults.add({ service: 'dynamodb', operation, match, fault: AWS_ERRORS.dynamoInternal, times: SDK_ATTEMPTS.dynamodb - 1, label: `${label} (SDK retries fail)` });
  return { get exhausted() { return written.exhausted && failing.exhausted; } };
}
