import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createCaseTable } from '../../local/case-table.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CaseStore } from '../../lambdas/adapters/case-store.js';
import type { Mailer } from '../../lambdas/core/outbox.js';
import type { Workflow } from '../../lambdas/adapters/workflow.js';
import type { EmailMessage } from '../../lambdas/core/emails.js';
import { ConflictError, IncidentLimitReached, NotFoundError } from '../../lambdas/core/errors.js';
import { incidentIdOf } from '../../lambdas/core/incident.js';
import type { CaseMetric } from '../../lambdas/core/metrics.js';
import { closeWaitingIncidents, openIncident, retryIncidents } from '../../lambdas/services/incidents.js';
import { startStandIn, type StandIn } from '../../local/stand-ins/index.js';
import { captureLogs } from '../handlers/aws.js';
import { registeredEvent } from '../../lambdas/core/case.js';
import { NOW, STATUS_LINKS, caseRecord } from '../unit/fixtures.js';

/**
 * The incident use cases against DynamoDB's own behaviour (dynalite), with the mailer and Step Functions faked:
 * what is recorded, what is sent once, what a retry hands back, and how each converges when run twice.
 */
const TABLE = 'incidents-test';
let dynamodb: StandIn;
let store: CaseStore;
let seq = 0;
const OPERATIONS = 'operacje.di@mrpips.gov.pl';

beforeAll(async () => {
  dynamodb = await startStandIn('dynamodb', '127.0.0.1', 0);
  const db = new DynamoDBClient({ region: 'eu-central-1', endpoint: `http://127.0.0.1:${dynamodb.port}`, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createCaseTable(db, TABLE);
  store = new CaseStore(db, TABLE);
});

afterAll(async () => {
  await dynamodb?.close();
});

beforeEach(() => {
  captureLogs();
  counted = [];
});

/** A fresh case id per test (the table is shared). */
async function givenCase(status: 'IN_PROGRESS' | 'STALLED' = 'IN_PROGRESS'): Promise<string> {
  const caseId = `ZSD-2026-${String(10_000 + ++seq).padStart(5, '0')}`;
  const record = { ...caseRecord({ status }), caseId };
  await store.createCase(record, registeredEvent(record));
  return caseId;
}

function fakeMailer(fail?: Error) {
  const sent: EmailMessage[] = [];
  const mailer = { send: vi.fn(async (message: EmailMessage) => { if (fail) throw fail; sent.push(message); return `m-${sent.length}`; }) } as unknown as Mailer;
  return { mailer, sent };
}

function fakeWorkflow(answer: 'completed' | 'completed earlier' | 'gone' = 'completed') {
  const completed: { token: string; output: unknown }[] = [];
  const workflow = { completeTask: vi.fn(async (token: string, output: unknown) => { completed.push({ token, output }); return answer; }) } as unknown as Workflow;
  return { workflow, completed };
}

const failure = { Error: 'MessageRejected', Cause: JSON.stringify({ errorType: 'MessageRejected', errorMessage: 'Email address is not verified.' }) };
const input = (caseId: string, token = `token-${caseId}-${Math.random()}`) => ({ caseId, state: 'Request confirmation', failure, executionId: `arn:aws:states:eu-central-1:1:execution:confirmation:${caseId}-AGREE_VARIANT-1`, waitSeconds: 86_400, taskToken: token });
let counted: CaseMetric[] = [];
const deps = (mailer: Mailer) => ({ store, mailer, statusLinks: STATUS_LINKS, operationsEmail: OPERATIONS, maxIncidentsPerCase: 3, count: (metric: CaseMetric) => void counted.push(metric), now: NOW });

describe('openIncident', () => {
  it('GIVEN a failed action WHEN the incident state opens THEN the case is held, the incident keeps its token, operations get one e-mail naming the case, state and error', async () => {
    const caseId = await givenCase('STALLED');
    const { mailer, sent } = fakeMailer();
    const event = input(caseId);
    const result = await openIncident(deps(mailer), event);
    expect(result).toEqual({ incidentId: incidentIdOf(event.taskToken), opened: true });
    const record = (await store.getCase(caseId))!;
    expect(record).toMatchObject({ status: 'INCIDENT', statusBeforeIncident: 'STALLED' });
    expect((await store.getTimeline(caseId)).find((e) => e.action === 'INCIDENT_OPENED')).toMatchObject({ details: { state: 'Request confirmation', error: 'MessageRejected' } });
    const [incident] = await store.listIncidents(caseId);
    expect(incident).toMatchObject({ status: 'OPEN', state: 'Request confirmation', error: 'MessageRejected', reason: 'MessageRejected: Email address is not verified.', taskToken: event.taskToken, waitsUntil: '2026-03-11T09:00:00.000Z' });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.to).toEqual([OPERATIONS]);
    expect(sent[0]!.subject).toContain(caseId);
    expect(sent[0]!.text).toContain('Request confirmation');
    expect(sent[0]!.text).toContain('MessageRejected: Email address is not verified.');
    expect(sent[0]!.text).toContain(`npm run cases -- retry ${caseId}`);
    expect(sent[0]!.text).not.toContain(event.taskToken);
    // The alarm's metric, once.
    expect(counted).toEqual(['IncidentOpened']);
  });

  it('GIVEN the same invocation delivered twice THEN it is one incident, one timeline entry, one e-mail', async () => {
    const caseId = await givenCase();
    const { mailer, sent } = fakeMailer();
    const event = input(caseId);
    await openIncident(deps(mailer), event);
    expect(await openIncident(deps(mailer), event)).toMatchObject({ opened: false });
    expect(await store.listIncidents(caseId)).toHaveLength(1);
    expect((await store.getTimeline(caseId)).filter((e) => e.action === 'INCIDENT_OPENED')).toHaveLength(1);
    expect(sent).toHaveLength(1);
    expect(counted).toEqual(['IncidentOpened']);
  });

  it('GIVEN the outbox itself is what fails THEN the incident is still recorded and held (the alarm and the CLI list still show it)', async () => {
    const caseId = await givenCase();
    const { mailer } = fakeMailer(Object.assign(new Error('The specified queue does not exist.'), { name: 'AWS.SimpleQueueService.NonExistentQueue' }));
    await openIncident(deps(mailer), input(caseId));
    expect((await store.getCase(caseId))!.status).toBe('INCIDENT');
    expect(await store.listIncidents(caseId)).toHaveLength(1);
  });

  it('GIVEN a case that was never registered THEN the incident is recorded under its id all the same', async () => {
    const caseId = 'ZSD-2026-88888';
    const { mailer, sent } = fakeMailer();
    await openIncident(deps(mailer), input(caseId));
    expect(await store.listIncidents(caseId)).toHaveLength(1);
    expect(sent[0]!.text).toContain(`Incydent techniczny w sprawie ${caseId}`);
  });

  it('GIVEN the case has had as many incidents as allowed THEN one more is refused (IncidentLimitReached: the case is marked failed)', async () => {
    const caseId = await givenCase();
    const { mailer } = fakeMailer();
    for (let i = 0; i < 3; i++) await openIncident(deps(mailer), input(caseId));
    await expect(openIncident(deps(mailer), input(caseId))).rejects.toBeInstanceOf(IncidentLimitReached);
    expect(await store.listIncidents(caseId)).toHaveLength(3);
  });
});

describe('retryIncidents', () => {
  it('GIVEN an open incident WHEN retried THEN the case returns to its status, Step Functions gets the token, the incident keeps no token', async () => {
    const caseId = await givenCase('STALLED');
    const event = input(caseId);
    await openIncident(deps(fakeMailer().mailer), event);
    const { workflow, completed } = fakeWorkflow();
    const result = await retryIncidents({ store, workflow, now: NOW }, { caseId, by: 'operator@mrpips.gov.pl' });
    expect(result.retried).toMatchObject([{ outcome: 'retried', incident: { state: 'Request confirmation' } }]);
    expect(completed).toEqual([{ token: event.taskToken, output: { retriedBy: 'operator@mrpips.gov.pl', retriedAt: NOW.toISOString() } }]);
    expect(result.record).toMatchObject({ status: 'STALLED' });
    expect((await store.getTimeline(caseId)).find((e) => e.action === 'INCIDENT_RETRIED')).toMatchObject({ actor: { role: 'MRPIPS', email: 'operator@mrpips.gov.pl' } });
    const [incident] = await store.listIncidents(caseId);
    expect(incident).toMatchObject({ status: 'RETRIED', retriedBy: 'operator@mrpips.gov.pl' });
    expect(incident!.taskToken).toBeUndefined();
    // Nothing waits any more: a second retry is refused.
    await expect(retryIncidents({ store, workflow, now: NOW }, { caseId, by: 'operator@mrpips.gov.pl' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('GIVEN two incidents (both branches of b+c) THEN both are retried and the case is held until the last', async () => {
    const caseId = await givenCase();
    await openIncident(deps(fakeMailer().mailer), { ...input(caseId), state: 'b Record new SD feeding' });
    await openIncident(deps(fakeMailer().mailer), { ...input(caseId), state: 'c Record unit deactivation' });
    const statuses: string[] = [];
    const workflow = { completeTask: vi.fn(async () => { statuses.push((await store.getCase(caseId))!.status); return 'completed' as const; }) } as unknown as Workflow;
    const result = await retryIncidents({ store, workflow, now: NOW }, { caseId, by: 'operator@mrpips.gov.pl' });
    expect(result.retried.map((r) => r.incident.state).sort()).toEqual(['b Record new SD feeding', 'c Record unit deactivation']);
    expect(statuses).toEqual(['INCIDENT', 'IN_PROGRESS']);
    expect(result.record!.status).toBe('IN_PROGRESS');
  });

  it('GIVEN the execution no longer waits (its wait ran out) THEN the incident is closed and the operator told', async () => {
    const caseId = await givenCase();
    await openIncident(deps(fakeMailer().mailer), input(caseId));
    const result = await retryIncidents({ store, workflow: fakeWorkflow('gone').workflow, now: NOW }, { caseId, by: 'operator@mrpips.gov.pl' });
    expect(result.retried).toMatchObject([{ outcome: 'gone' }]);
    expect((await store.listIncidents(caseId))[0]).toMatchObject({ status: 'CLOSED', closedBecause: 'the execution no longer waited' });
  });

  it('GIVEN a retry that crashed after handing the token on THEN running it again finishes it (RETRYING → RETRIED), the task answered again is no error', async () => {
    const caseId = await givenCase();
    const event = input(caseId);
    await openIncident(deps(fakeMailer().mailer), event);
    const crashing = { completeTask: vi.fn(async () => { throw new Error('connection reset'); }) } as unknown as Workflow;
    await expect(retryIncidents({ store, workflow: crashing, now: NOW }, { caseId, by: 'operator@mrpips.gov.pl' })).rejects.toThrow('connection reset');
    expect((await store.listIncidents(caseId))[0]).toMatchObject({ status: 'RETRYING', taskToken: event.taskToken });
    const result = await retryIncidents({ store, workflow: fakeWorkflow('completed earlier').workflow, now: NOW }, { caseId, by: 'operator@mrpips.gov.pl' });
    expect(result.retried).toMatchObject([{ outcome: 'retried' }]);
    expect((await store.listIncidents(caseId))[0]!.status).toBe('RETRIED');
    expect((await store.getTimeline(caseId)).filter((e) => e.action === 'INCIDENT_RETRIED')).toHaveLength(1);
  });

  it('GIVEN an unknown case, or a case without incidents THEN a clear refusal', async () => {
    const { workflow } = fakeWorkflow();
    await expect(retryIncidents({ store, workflow }, { caseId: 'ZSD-2026-77777', by: 'x@mrpips.gov.pl' })).rejects.toBeInstanceOf(NotFoundError);
    const caseId = await givenCase();
    await expect(retryIncidents({ store, workflow }, { caseId, by: 'x@mrpips.gov.pl' })).rejects.toThrow(`Case ${caseId} has no incident waiting for a decision (status IN_PROGRESS)`);
  });
});

describe('closeWaitingIncidents', () => {
  it('GIVEN a cancelled or failed case THEN its waiting incidents are closed with the reason and lose their tokens; retried ones are left as they are', async () => {
    const caseId = await givenCase();
    await openIncident(deps(fakeMailer().mailer), input(caseId));
    await retryIncidents({ store, workflow: fakeWorkflow().workflow, now: NOW }, { caseId, by: 'x@mrpips.gov.pl' });
    const { incidentId } = await openIncident(deps(fakeMailer().mailer), input(caseId));
    expect(await closeWaitingIncidents(store, caseId, 'the case was cancelled', NOW)).toEqual([incidentId]);
    const incidents = await store.listIncidents(caseId);
    expect(incidents.map((i) => i.status).sort()).toEqual(['CLOSED', 'RETRIED']);
    expect(incidents.every((i) => i.taskToken === undefined)).toBe(true);
    expect(await closeWaitingIncidents(store, caseId, 'again', NOW)).toEqual([]);
  });
});
