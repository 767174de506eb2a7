import { QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { expect } from 'vitest';
import { CaseStore } from '../../lambdas/adapters/case-store.js';
import type { TimelineEntry } from '../../lambdas/core/case.js';
import type { LocalStack } from '../../local/stack.js';

/**
 * Plays the participants of the procedure the way people do: over HTTP only. E-mails are read from the SES
 * stand-in's store, links are taken from the messages, pages are opened and forms submitted.
 */
export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

export class Inbox {
  private seen = new Set<string>();
  constructor(private readonly url: string) {}

  async all(): Promise<StoredEmail[]> {
    const res = await fetch(`${this.url}/store`);
    const json = (await res.json()) as { emails: StoredEmail[] };
    return json.emails;
  }

  /** Waits for the next not-yet-taken e-mail to `to` whose subject contains every part of `subject`, and takes it. */
  async take(to: string, subject: string | string[], timeoutMs = 15_000): Promise<StoredEmail> {
    const parts = Array.isArray(subject) ? subject : [subject];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.all()).find((e) => !this.seen.has(e.messageId) && e.destination.to.includes(to) && parts.every((part) => e.subject.includes(part)));
      if (found) {
        this.seen.add(found.messageId);
        return found;
      }
      if (Date.now() > deadline) {
        const subjects = (await this.all()).map((e) => `${e.destination.to.join(',')}: ${e.subject}`);
        throw new Error(`No e-mail to ${to} with "${subject}" within ${timeoutMs} ms. Inbox:\n${subjects.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** E-mails to an address for one case, in order. */
  async to(address: string, caseId: string): Promise<StoredEmail[]> {
    return (await this.all()).filter((e) => (e.destination.to.includes(address) || e.destination.cc.includes(address)) && e.subject.includes(caseId));
  }
}

/** The signed status page link every e-mail carries. */
export function statusLinkIn(email: StoredEmail): string {
  const match = /(https?:\/\/\S+\/sprawa\?\S+)/.exec(email.body.text ?? '');
  if (!match) throw new Error(`No status link in "${email.subject}"`);
  return match[1]!;
}

/** The timeline entries of SES's delivery events of one kind (EMAIL_BOUNCED …) for one recipient. */
export function deliveryEntries(timeline: TimelineEntry[], action: string, recipient: string): TimelineEntry[] {
  return timeline.filter((e) => e.action === action && e.details?.recipient === recipient);
}

export function linkIn(email: StoredEmail): string {
  const match = /(https?:\/\/[^\s]+\/potwierdzenie\?[^\s]+)/.exec(email.body.text ?? '');
  if (!match) throw new Error(`No confirmation link in "${email.subject}"`);
  return match[1]!;
}

export async function postForm(url: string, fields: Record<string, string>): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(), redirect: 'manual' });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** The hidden fields a fresh rendering of the notification form carries: its submission id and form token. */
export async function openNotificationForm(formUrl: string): Promise<{ submissionId: string; formToken: string }> {
  const html = await (await fetch(formUrl)).text();
  const hidden = (name: string) => new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html)![1]!;
  return { submissionId: hidden('submissionId'), formToken: hidden('formToken') };
}

/** Sends the notification form as a browser does: opens it (at the same address, so `?lang=en` is kept) and posts it with `fields`. */
export async function submitForm(formUrl: string, fields: Record<string, string>): Promise<{ status: number; body: string; headers: Headers }> {
  return postForm(formUrl, { ...(await openNotificationForm(formUrl)), ...fields });
}

/** The step page's main form as a browser sees it: where it posts and its hidden fields (the form token). */
export async function openStepForm(link: string): Promise<{ action: string; hidden: Record<string, string> }> {
  const page = await fetch(link);
  expect(page.status).toBe(200);
  const html = await page.text();
  const form = /<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  expect(form, 'the step page has a form').not.toBeNull();
  const hidden: Record<string, string> = {};
  for (const [, name, value] of form![2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) hidden[name!] = value!.replace(/&amp;/g, '&');
  return { action: new URL(form![1]!.replace(/&amp;/g, '&'), link).toString(), hidden };
}

/** Opens the link (the page must show the step and change nothing), then presses the button with `fields`. */
export async function submitOnPage(link: string, fields: Record<string, string>): Promise<{ status: number; body: string; link: string }> {
  const { action, hidden } = await openStepForm(link);
  return { ...(await postForm(action, { ...hidden, ...fields })), link };
}

export async function confirmThroughLink(email: StoredEmail, fields: Record<string, string>): Promise<{ status: number; body: string; link: string }> {
  return submitOnPage(linkIn(email), fields);
}

export async function waitForExecution(sfn: SFNClient, executionArn: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== 'RUNNING') return out;
    if (Date.now() > deadline) throw new Error(`Execution ${executionArn} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every event of an execution's history, oldest first. */
export async function executionHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const out = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
    events.push(...(out.events ?? []));
    nextToken = out.nextToken;
  } while (nextToken);
  return events;
}

/** A step's child execution: the procedure names it `<caseId>-<step>-<round>` (statemachine/procedure.asl.json). */
export function stepExecutionArn(stack: Pick<LocalStack, 'stepFunctions'>, caseId: string, step: string, round = 1): string {
  return `${stack.stepFunctions.stateMachineArn('confirmation').replace(':stateMachine:', ':execution:')}:${caseId}-${step}-${round}`;
}

/** Where an execution waits: the task state whose TaskSubmitted is its last event, and that task's timeout. */
export interface Waiting {
  state: string;
  timeoutSeconds: number | undefined;
  /** Events in the history so far: the same number later means the execution has not moved. */
  events: number;
}

/**
 * Is the execution waiting (for a task token or for a child execution), and in which state? `undefined` while it
 * runs a task or moves between states. A Parallel state's branches are not told apart: its last event may be one
 * branch's while the other still works, so use this where the case waits outside b+c.
 */
export function waitingIn(events: HistoryEvent[]): Waiting | undefined {
  if (events.at(-1)?.type !== 'TaskSubmitted') return undefined;
  return {
    state: events.findLast((e) => e.type === 'TaskStateEntered')!.stateEnteredEventDetails!.name!,
    timeoutSeconds: events.findLast((e) => e.type === 'TaskScheduled')!.taskScheduledEventDetails!.timeoutInSeconds,
    events: events.length,
  };
}

/**
 * Waits until nothing more happens without a person: every running execution waits (for a participant, an operator
 * or a child that does), everything queued on the outbox has been sent, EventBridge's deliveries and SES's events are
 * handled, and no execution moved meanwhile. Returns where each running execution waits, by ARN. Tests that something
 * did NOT happen (a duplicate e-mail, a step started by a scanner) wait for this: whatever would have followed has.
 */
export async function untilWaitingForPeople(stack: LocalStack, timeoutMs = 20_000): Promise<Map<string, Waiting>> {
  const sfn = new SFNClient({ region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: stack.urls.stepFunctions });
  const waiting = async () => {
    const found = new Map<string, Waiting | undefined>();
    for (const machine of ['procedure', 'confirmation']) {
      let nextToken: string | undefined;
      do {
        const out = await sfn.send(new ListExecutionsCommand({ stateMachineArn: stack.stepFunctions.stateMachineArn(machine), statusFilter: 'RUNNING', nextToken }));
        for (const { executionArn } of out.executions ?? []) found.set(executionArn!, waitingIn(await executionHistory(sfn, executionArn!)));
        nextToken = out.nextToken;
      } while (nextToken);
    }
    return found;
  };
  const described = (found: Map<string, Waiting | undefined>) => [...found].map(([arn, at]) => `${arn.split(':').pop()}: ${at ? `${at.state} (${at.events} events)` : 'busy'}`).join(', ');
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const before = await waiting();
      if ([...before.values()].every(Boolean)) {
        await stack.outbox.settled();
        await Promise.all([stack.eventRules.settled(), stack.sesEvents.settled()]);
        const after = await waiting();
        if (described(after) === described(before)) return after as Map<string, Waiting>;
      }
      if (Date.now() > deadline) throw new Error(`Not every execution waits for a person after ${timeoutMs} ms: ${described(before)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    sfn.destroy();
  }
}

export function notificationFields(overrides: Record<string, string> = {}): Record<string, string> {
  const inAMonth = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  return {
    officeName: 'Miejski Ośrodek Pomocy Społecznej w Przykładowie',
    teryt: '1465011',
    mztUnitCode: 'MOPS-1465011',
    plannedChangeDate: inAMonth,
    'areas.0.area': 'świadczenia rodzinne',
    'areas.0.oldCollectionCode': `SR-${Math.random().toString(36).slice(2, 8).toUpperCase()}`,
    'areas.1.area': 'fundusz alimentacyjny',
    'areas.1.oldCollectionCode': `FA-${Math.random().toString(36).slice(2, 8).toUpperCase()}`,
    'contact.name': 'Anna Kowalska',
    'contact.email': 'anna.kowalska@mops.przykladowo.pl',
    'contact.phone': '+48 22 123 45 67',
    'oldSd.product': 'System Stary 5',
    'oldSd.supplier': 'Stary Dostawca sp. z o.o.',
    'newSd.product': 'Nowy System 2',
    'newSd.supplier': 'Nowy Dostawca S.A.',
    'newSd.contactEmail': 'wdrozenia@nowydostawca.pl',
    ...overrides,
  };
}

/** Step 1 as the JST does it: submit the form, then confirm the contact address from the e-mail. */
export async function notifyAndConfirmContact(formUrl: string, inbox: Inbox, fields: Record<string, string> = notificationFields()): Promise<string> {
  const res = await submitForm(formUrl, fields);
  expect(res.status, res.body).toBe(201);
  const caseId = /ZSD-\d{4}-\d{5}/.exec(res.body)![0];
  const request = await inbox.take(fields['contact.email']!, [caseId, 'prośba o potwierdzenie adresu e-mail']);
  const confirmed = await confirmThroughLink(request, { confirmed: 'tak' });
  expect(confirmed.status, confirmed.body).toBe(200);
  return caseId;
}

/** The timeline of a case as the status page and the CLI read it (its entry items, oldest first). */
export function readTimeline(db: DynamoDBClient, tableName: string, caseId: string): Promise<TimelineEntry[]> {
  return new CaseStore(db, tableName).getTimeline(caseId);
}

/** The sort keys of every item of the case (the whole partition, read from the table) that holds a task token. */
export async function itemsWithTaskToken(db: DynamoDBClient, tableName: string, caseId: string): Promise<string[]> {
  const holding: string[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await db.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `CASE#${caseId}` } }, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const item of out.Items ?? []) if (item.taskToken) holding.push(item.sk!.S!);
    start = out.LastEvaluatedKey;
  } while (start);
  return holding;
}
