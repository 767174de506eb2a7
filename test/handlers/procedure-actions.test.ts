import { PutItemCommand, UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { changeCollectionStates } from '../../lambdas/change-collection-states/index.js';
import { ValidationError } from '../../lambdas/core/errors.js';
import type { CaseMetric } from '../../lambdas/core/metrics.js';
import { escalateStep } from '../../lambdas/escalate-step/index.js';
import { recordFailure } from '../../lambdas/record-failure/index.js';
import { registerCase } from '../../lambdas/register-case/index.js';
import { sendNotice } from '../../lambdas/send-notice/index.js';
import { CASE_ID, DIRECTORY, JST_EMAIL, MRPIPS_EMAIL, NOW, STATUS_LINKS, SUPPLIER_EMAIL, adminOf, caseAfterStepA, caseRecord, notification } from '../unit/fixtures.js';
import { FakeTable, awsMocks, captureLogs, conditionalCheckFailed, readUpdate, queuedEmails, timelineWrites, updates } from './aws.js';

const { ddb, sqs, sfn, store, mailer } = awsMocks();
let table: FakeTable;
/** Business events the actions counted (the EMF lines themselves: test/handlers/metrics.test.ts). */
let counted: CaseMetric[];
const count = (metric: CaseMetric) => void counted.push(metric);

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  sfn.reset();
  table = new FakeTable(ddb);
  sqs.on(SendMessageCommand).resolves({ MessageId: 'msg-1' });
  captureLogs();
  counted = [];
});

afterEach(() => {
  vi.restoreAllMocks();
});

const caseWrites = () => updates(ddb, { pk: `CASE#${CASE_ID}`, sk: 'CASE' });

describe('registerCase (step 1)', () => {
  it('GIVEN a notification THEN the case is created once (conditional put) in voivodeship 14, holding no collection until its contact confirms', async () => {
    const result = await registerCase({ caseId: CASE_ID, notification: notification(), executionId: 'arn:exec' }, store, count, NOW.toISOString());
    expect(result).toEqual({ caseId: CASE_ID });
    const [put] = ddb.commandCalls(PutItemCommand);
    expect(put!.args[0].input.ConditionExpression).toBe('attribute_not_exists(pk)');
    const item = unmarshall(put!.args[0].input.Item!);
    expect(item).toMatchObject({ pk: `CASE#${CASE_ID}`, sk: 'CASE', status: 'IN_PROGRESS', voivodeship: '14', executionId: 'arn:exec' });
    expect(item.collections).toEqual([
      { area: 'świadczenia rodzinne', oldCode: 'SR-01' },
      { area: 'fundusz alimentacyjny', oldCode: 'FA-01' },
    ]);
    expect(updates(ddb, { sk: 'COLLECTION' })).toEqual([]);
    expect(counted).toEqual(['CaseStarted']);
  });

  it('GIVEN a retry after the case was created THEN it succeeds without a second case', async () => {
    ddb.on(PutItemCommand).rejects(conditionalCheckFailed());
    await expect(registerCase({ caseId: CASE_ID, notification: notification() }, store, count, NOW.toISOString())).resolves.toEqual({ caseId: CASE_ID });
    expect(counted).toEqual([]);
  });

  it('GIVEN a planned date that has passed since the form was sent THEN registration still succeeds (a retry after midnight)', async () => {
    await expect(registerCase({ caseId: CASE_ID, notification: notification({ plannedChangeDate: '2020-01-01' }) }, store, count)).resolves.toEqual({ caseId: CASE_ID });
  });

  it('GIVEN a malformed notification THEN ValidationError naming the field and nothing is written', async () => {
    const error = await registerCase({ caseId: CASE_ID, notification: { ...notification(), teryt: '0365011' } }, store, count).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain('teryt: ');
    expect(ddb.calls()).toHaveLength(0);
  });
});

const heldBy = (caseId: string) => {
  for (const code of ['SR-01', 'FA-01']) table.put(`COLLECTION#${code}`, 'COLLECTION', { code, state: 'ACTIVE', area: 'x', teryt: '1465011', kind: 'OLD', lockedByCase: caseId, lastCaseId: caseId, updatedAt: NOW.toISOString() });
};

describe('sendNotice', () => {
  it('GIVEN a rejection THEN the old collections are released, the JST gets the reason and the case becomes REJECTED', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseRecord({ agreement: { decision: 'REJECT', reason: 'Brak kodu MZT.' } }));
    heldBy(CASE_ID);
    await sendNotice({ caseId: CASE_ID, notice: 'NOTIFICATION_REJECTED' }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    expect(updates(ddb, { sk: 'COLLECTION' }).map((u) => [u.pk, u.update, u.values[':case']])).toEqual([
      ['COLLECTION#SR-01', 'SET #updatedAt = :now REMOVE #locked', CASE_ID],
      ['COLLECTION#FA-01', 'SET #updatedAt = :now REMOVE #locked', CASE_ID],
    ]);
    const [mail] = queuedEmails(sqs);
    expect(mail).toMatchObject({ to: [JST_EMAIL], cc: [] });
    expect(mail!.text).toContain('Powód: Brak kodu MZT.');
    expect(caseWrites()[0]!.set).toMatchObject({ status: 'REJECTED' });
    expect(timelineWrites(ddb)[0]!).toMatchObject({ id: 'notice:NOTIFICATION_REJECTED', action: 'NOTIFICATION_REJECTED' });
  });

  it('GIVEN the JST contact never confirmed the address THEN nothing is released (the case held nothing; another case\'s codes stay held), nobody is e-mailed, and the case becomes UNCONFIRMED', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseRecord());
    heldBy('ZSD-2026-00007');
    await sendNotice({ caseId: CASE_ID, notice: 'NOTIFICATION_UNCONFIRMED' }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    expect(updates(ddb, { sk: 'COLLECTION' })).toEqual([]);
    // No e-mail: the address was never confirmed, so nothing more is sent to it.
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(caseWrites()).toHaveLength(1);
    expect(caseWrites()[0]!.set).toMatchObject({ status: 'UNCONFIRMED' });
    expect(timelineWrites(ddb)[0]!).toMatchObject({ id: 'notice:NOTIFICATION_UNCONFIRMED', action: 'NOTIFICATION_UNCONFIRMED', actor: { role: 'SYSTEM' } });
    expect(String(timelineWrites(ddb)[0]!.summary)).toBe('Zgłoszenie wygasło: osoba kontaktowa nie potwierdziła adresu e-mail mimo przypomnień.');
  });

  it('GIVEN a lapsing case that holds its codes (notified before they waited for the confirmation) THEN it releases them', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseRecord());
    heldBy(CASE_ID);
    await sendNotice({ caseId: CASE_ID, notice: 'NOTIFICATION_UNCONFIRMED' }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    expect(updates(ddb, { sk: 'COLLECTION' }).map((u) => [u.pk, u.values[':case']])).toEqual([
      ['COLLECTION#SR-01', CASE_ID],
      ['COLLECTION#FA-01', CASE_ID],
    ]);
  });

  it('GIVEN a confirmed case whose code another case holds THEN the contact is told without naming that case, nothing is released, and the case becomes REJECTED', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseRecord({ contactConfirmedAt: NOW.toISOString() }));
    heldBy('ZSD-2026-00007');
    await sendNotice({ caseId: CASE_ID, notice: 'NOTIFICATION_COLLECTIONS_HELD' }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    expect(updates(ddb, { sk: 'COLLECTION' })).toEqual([]);
    const [mail] = queuedEmails(sqs);
    expect(mail).toMatchObject({ to: [JST_EMAIL], cc: [] });
    expect(mail!.text).toContain('co najmniej jeden z podanych w nim zbiorów CBB jest już objęty inną sprawą zmiany dostawcy SD');
    expect(mail!.text).not.toContain('ZSD-2026-00007');
    expect(caseWrites()[0]!.set).toMatchObject({ status: 'REJECTED' });
    expect(timelineWrites(ddb)[0]!).toMatchObject({ id: 'notice:NOTIFICATION_COLLECTIONS_HELD', action: 'NOTIFICATION_COLLECTIONS_HELD', actor: { role: 'SYSTEM' } });
    expect(String(timelineWrites(ddb)[0]!.summary)).not.toContain('ZSD-2026-00007');
  });

  it('GIVEN the lapse notice is retried after the collections were released THEN the release is idempotent and the case is still marked once', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseRecord());
    heldBy(CASE_ID);
    await sendNotice({ caseId: CASE_ID, notice: 'NOTIFICATION_UNCONFIRMED' }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    const [release] = updates(ddb, { pk: 'COLLECTION#SR-01' });
    // The condition lets the same case release again (a retry), not another case.
    expect(release!.condition).toBe('#locked = :case OR (attribute_not_exists(#locked) AND #last = :case)');
    expect(caseWrites()[0]!.values[':eventId']).toBe('notice:NOTIFICATION_UNCONFIRMED');
  });

  it.each(['NOTIFICATION_REGISTERED', 'NOTIFICATION_REJECTED', 'VERIFICATION_ESCALATED', 'CASE_COMPLETED'] as const)('GIVEN the %s notice THEN every e-mail carries the status link of the case', async (notice) => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ agreement: { decision: 'REJECT', reason: 'x' }, outcome: { collectionsState: 'ARCHIVED', at: NOW.toISOString() } }));
    await sendNotice({ caseId: CASE_ID, notice }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    const mails = queuedEmails(sqs);
    expect(mails.length).toBeGreaterThan(0);
    for (const mail of mails) expect(mail.text).toContain(`Przebieg i stan sprawy (tylko do odczytu): ${STATUS_LINKS({ caseId: CASE_ID })}`);
  });

  it('GIVEN the acknowledgement notice THEN the JST is thanked and the status is unchanged', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseRecord());
    await sendNotice({ caseId: CASE_ID, notice: 'NOTIFICATION_REGISTERED' }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    expect(queuedEmails(sqs)[0]!.subject).toContain('przyjęto zgłoszenie');
    expect(caseWrites()[0]!.set).not.toHaveProperty('status');
    expect(updates(ddb, { sk: 'COLLECTION' })).toHaveLength(0);
  });

  it('GIVEN a completed case THEN the JST (supplier in copy) learns what was done and the case becomes COMPLETED', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ outcome: { collectionsState: 'ARCHIVED', at: NOW.toISOString() } }));
    await sendNotice({ caseId: CASE_ID, notice: 'CASE_COMPLETED' }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    const [mail] = queuedEmails(sqs);
    expect(mail).toMatchObject({ to: [JST_EMAIL], cc: [SUPPLIER_EMAIL] });
    expect(mail!.text).toContain('SR-01: zarchiwizowany');
    expect(caseWrites()[0]!.set).toMatchObject({ status: 'COMPLETED' });
  });

  it('GIVEN verification escalated THEN MRPiPS and the JST each get their own message and the case becomes ESCALATED', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ verification: { round: 3, result: 'DISCREPANCIES', comment: 'Nadal brak danych.' } }));
    await sendNotice({ caseId: CASE_ID, notice: 'VERIFICATION_ESCALATED' }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    const mails = queuedEmails(sqs);
    expect(mails.map((m) => [m.to, m.cc])).toEqual([
      [[MRPIPS_EMAIL], []],
      [[JST_EMAIL], []],
    ]);
    for (const mail of mails) expect(mail.text).toContain('Nadal brak danych.');
    expect(caseWrites()[0]!.set).toMatchObject({ status: 'ESCALATED' });
  });

  it('GIVEN the e-mail fails THEN the timeline is not written (a retry re-sends rather than loses the notice)', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseRecord());
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error('Throttling'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));
    await expect(sendNotice({ caseId: CASE_ID, notice: 'NOTIFICATION_REGISTERED' }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW })).rejects.toThrow('Throttling');
    expect(caseWrites()).toHaveLength(0);
  });
});

describe('changeCollectionStates (step d)', () => {
  it.each(['ARCHIVED', 'CLOSED'] as const)('GIVEN target %s THEN old collections get that state, old and new are released, and the outcome is recorded', async (targetState) => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA());
    await changeCollectionStates({ caseId: CASE_ID, targetState }, { store, now: NOW });
    const releases = updates(ddb, { sk: 'COLLECTION' });
    expect(releases.map((r) => [r.pk, r.values[':state'] ?? null])).toEqual([
      ['COLLECTION#SR-01', targetState],
      ['COLLECTION#NSR-01', null],
      ['COLLECTION#FA-01', targetState],
      ['COLLECTION#NFA-01', null],
    ]);
    for (const release of releases) expect(release.update).toContain('REMOVE #locked');
    expect(caseWrites()[0]!.set.outcome).toEqual({ collectionsState: targetState, at: NOW.toISOString() });
    expect(timelineWrites(ddb)[0]!.action).toBe(targetState === 'ARCHIVED' ? 'OLD_COLLECTIONS_ARCHIVED' : 'OLD_COLLECTIONS_CLOSED');
  });
});

describe('recordFailure', () => {
  const failure = { Error: 'ConflictError', Cause: JSON.stringify({ errorType: 'ConflictError', errorMessage: 'Collection NFA-01 is held by case ZSD-2026-00007' }) };

  it('GIVEN a failed step THEN the step is marked FAILED and the case FAILED with a readable reason', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA()).put(`CASE#${CASE_ID}`, 'STEP#NEW_COLLECTIONS.1', { step: 'NEW_COLLECTIONS', status: 'PENDING' });
    const result = await recordFailure({ caseId: CASE_ID, step: 'NEW_COLLECTIONS', round: 1, failure }, { store, count, now: NOW });
    expect(result).toEqual({ reason: 'ConflictError: Collection NFA-01 is held by case ZSD-2026-00007' });
    expect(updates(ddb, { sk: 'STEP#NEW_COLLECTIONS.1' })[0]!.set).toEqual({ status: 'FAILED' });
    expect(caseWrites()[0]!.set).toMatchObject({ status: 'FAILED', failure: { step: 'NEW_COLLECTIONS.1', reason: result.reason, at: NOW.toISOString() } });
    expect(counted).toEqual(['CaseFailed']);
  });

  it('GIVEN a failure of the procedure itself THEN only the case is marked', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA());
    await recordFailure({ caseId: CASE_ID, step: 'PROCEDURE', round: 0, failure }, { store, count, now: NOW });
    expect(updates(ddb).map((u) => u.sk)).toEqual(['CASE']);
    expect(caseWrites()[0]!.set).toMatchObject({ status: 'FAILED', failure: { step: 'PROCEDURE' } });
  });

  it('GIVEN a case that was never registered THEN nothing fails (the failed execution is the record)', async () => {
    ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      if (readUpdate(input).sk === 'CASE') throw conditionalCheckFailed();
      return {};
    });
    await expect(recordFailure({ caseId: CASE_ID, step: 'PROCEDURE', round: 0, failure }, { store, count, now: NOW })).resolves.toMatchObject({ reason: expect.stringContaining('ConflictError') });
    expect(counted).toEqual([]);
  });
});

describe('escalateStep', () => {
  it('GIVEN an unanswered voivodeship step THEN MRPiPS is told who is awaited and in which voivodeship, and the step is marked escalated', async () => {
    table
      .put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA())
      .put(`CASE#${CASE_ID}`, 'STEP#MZT_DEACTIVATED.1', { step: 'MZT_DEACTIVATED', status: 'PENDING', recipient: adminOf('14'), requestedAt: '2026-03-01T08:00:00.000Z' });
    await escalateStep({ caseId: CASE_ID, step: 'MZT_DEACTIVATED', round: 1, remindersSent: 2, stalled: false }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    const [mail] = queuedEmails(sqs);
    expect(mail!.to).toEqual([MRPIPS_EMAIL]);
    expect(mail!.subject).toContain('brak odpowiedzi (eskalacja)');
    expect(mail!.text).toContain(`${adminOf('14')}, województwo mazowieckie`);
    expect(updates(ddb, { sk: 'STEP#MZT_DEACTIVATED.1' })[0]!.set).toEqual({ escalatedAt: NOW.toISOString() });
    expect(mail!.text).toContain(STATUS_LINKS({ caseId: CASE_ID }));
    expect(timelineWrites(ddb)[0]!).toMatchObject({ id: 'escalated:MZT_DEACTIVATED.1:2', action: 'STEP_ESCALATED' });
    // An escalation is not a stall: the case still waits within its deadlines.
    expect(counted).toEqual([]);
  });

  it('GIVEN a step handed to a colleague THEN MRPiPS is told the colleague is awaited', async () => {
    table
      .put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA())
      .put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', { step: 'OLD_SD_DEACTIVATED', status: 'PENDING', recipient: 'jan.nowak@mops.przykladowo.pl', delegatedBy: JST_EMAIL, requestedAt: '2026-03-01T08:00:00.000Z' });
    await escalateStep({ caseId: CASE_ID, step: 'OLD_SD_DEACTIVATED', round: 1, remindersSent: 2, stalled: false }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    expect(queuedEmails(sqs)[0]!.text).toContain('(jan.nowak@mops.przykladowo.pl) nie potwierdził(a) kroku');
  });

  it('GIVEN no such step THEN NotFoundError and nobody is e-mailed', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA());
    await expect(escalateStep({ caseId: CASE_ID, step: 'MZT_DEACTIVATED', round: 1, remindersSent: 2, stalled: false }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW })).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});
