import { PutItemCommand, UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DescribeExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CaseRecord } from '../../lambdas/core/case.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lambdas/core/errors.js';
import { hashLinkId, newLinkId, recipientTag, verifyLink } from '../../lambdas/core/links.js';
import type { StepRecord } from '../../lambdas/core/step-record.js';
import { cancelCase, cancellationRecipients, handOverStep, procedureExecutionArn, resendStepLink } from '../../lambdas/services/steps.js';
import { FakeTable, awsMocks, captureLogs, conditionalCheckFailed, readUpdate, queuedEmails, updates } from '../handlers/aws.js';
import { BASE_URL, CASE_ID, DIRECTORY, JST_EMAIL, LINK_KEYS, MRPIPS_EMAIL, NOW, STEP_LIMITS, SUPPLIER_EMAIL, adminOf, caseAfterStepA, caseRecord } from '../unit/fixtures.js';

/**
 * The shared step operations with mocked AWS clients: the order of the writes (so a crash and a retry
 * converge), what each one refuses, and who is told. The table fake applies the writes the way DynamoDB does.
 */
const { ddb, sqs, sfn, store, mailer, workflow } = awsMocks();
const PROCEDURE_ARN = 'arn:aws:states:eu-central-1:123456789012:stateMachine:ProcedureStateMachine';
const EXECUTION_ARN = 'arn:aws:states:eu-central-1:123456789012:execution:ProcedureStateMachine:ZSD-2026-00042';
const OPERATOR = { role: 'MRPIPS' as const, email: 'ops.di@mrpips.gov.pl' };
const NOW_S = NOW.getTime() / 1000;
const deps = () => ({ store, mailer, workflow, directory: DIRECTORY, keys: LINK_KEYS, baseUrl: BASE_URL, limits: STEP_LIMITS, now: NOW, procedureStateMachineArn: PROCEDURE_ARN });

let table: FakeTable;
let linkId: string;
let execution: string;

function step(key: string, overrides: Partial<StepRecord> = {}): StepRecord {
  const [id, round] = key.split('.') as [StepRecord['step'], string];
  return {
    caseId: CASE_ID,
    stepKey: key,
    step: id,
    round: Number(round),
    role: id === 'MZT_DEACTIVATED' ? 'VOIVODESHIP_ADMIN' : id === 'VERIFY_COLLECTIONS' ? 'MRPIPS' : 'JST',
    recipient: id === 'MZT_DEACTIVATED' ? adminOf('14') : JST_EMAIL,
    status: 'PENDING',
    taskToken: `token-${key}`,
    linkIdHash: hashLinkId(linkId),
    linkExpiresAt: NOW_S + 3600,
    deadline: new Date((NOW_S + 3600) * 1000).toISOString(),
    remindersSent: 0,
    requestedAt: '2026-03-10T08:00:00.000Z',
    lastSentAt: '2026-03-10T08:00:00.000Z',
    comment: null,
    ...overrides,
  };
}

const caseItem = () => table.items.get(`CASE#${CASE_ID}|CASE`) as unknown as CaseRecord & { appliedEventIds?: Set<string> };
/** The case's timeline entry items, oldest first. */
const timeline = () => store.getTimeline(CASE_ID);

/** UpdateItem as DynamoDB does it, for the writes these operations make (conditions checked, values applied). */
function tableAppliesUpdates() {
  ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
    const u = readUpdate(input);
    const key = `${u.pk}|${u.sk}`;
    const current = table.items.get(key) as Record<string, unknown> | undefined;
    if (u.sk === 'CASE') {
      const record = current as unknown as CaseRecord & { appliedEventIds?: Set<string> };
      const eventId = u.values[':eventId'] as string | undefined;
      if (!record || (eventId && record.appliedEventIds?.has(eventId))) throw conditionalCheckFailed();
      const allowed = Object.entries(u.values).filter(([name]) => name.startsWith(':allowed')).map(([, value]) => value);
      if (allowed.length && !allowed.includes(record.status)) throw conditionalCheckFailed();
      table.items.set(key, { ...record, ...u.set, ...(eventId ? { appliedEventIds: new Set([...(record.appliedEventIds ?? []), eventId]) } : {}) });
    } else if (u.sk.startsWith('STEP#')) {
      const s = current as unknown as StepRecord;
      if (u.condition === '#status = :pending' && s.status !== 'PENDING') throw conditionalCheckFailed();
      if (u.condition?.includes('#link = :currentLink') && (s.status !== 'PENDING' || s.linkIdHash !== u.values[':currentLink'])) throw conditionalCheckFailed();
      const next: Record<string, unknown> = { ...s, ...u.set };
      if (u.update.includes('REMOVE #token')) delete next.taskToken;
      table.items.set(key, next);
    } else if (u.sk.startsWith('INCIDENT#')) {
      const from = Object.entries(u.values).filter(([name]) => name.startsWith(':from')).map(([, value]) => value);
      if (!from.includes((current as { status?: string } | undefined)?.status)) throw conditionalCheckFailed();
      const next: Record<string, unknown> = { ...current, ...u.set };
      if (u.update.includes('REMOVE #token')) delete next.taskToken;
      table.items.set(key, next);
    } else if (u.sk === 'COLLECTION') {
      const c = current as { lockedByCase?: string };
      if (c.lockedByCase !== u.values[':case']) throw conditionalCheckFailed();
      const { lockedByCase: _l, ...rest } = { ...c, ...u.set };
      table.items.set(key, rest);
    }
    return {};
  });
  table.putsIfAbsent();
}

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  sfn.reset();
  linkId = newLinkId();
  execution = 'RUNNING';
  table = new FakeTable(ddb);
  tableAppliesUpdates();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
  sfn.on(DescribeExecutionCommand).callsFake(() => ({ status: execution }));
  sfn.on(StopExecutionCommand).callsFake(() => {
    execution = 'ABORTED';
    return { stopDate: NOW };
  });
  captureLogs();
});

afterEach(() => vi.restoreAllMocks());

describe('cancelCase', () => {
  beforeEach(() => {
    table
      .put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ contactConfirmedAt: '2026-03-01T09:00:00.000Z', oldSdDeactivatedOn: '2026-03-09', executionId: EXECUTION_ARN }))
      .put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', step('OLD_SD_DEACTIVATED.1', { status: 'COMPLETED', taskToken: undefined }))
      .put(`CASE#${CASE_ID}`, 'STEP#NEW_SD_FEEDING.1', step('NEW_SD_FEEDING.1'))
      .put(`CASE#${CASE_ID}`, 'STEP#MZT_DEACTIVATED.1', step('MZT_DEACTIVATED.1'));
    for (const code of ['SR-01', 'FA-01', 'NSR-01', 'NFA-01']) table.put(`COLLECTION#${code}`, 'COLLECTION', { code, state: 'ACTIVE', lockedByCase: CASE_ID, lastCaseId: CASE_ID });
  });

  it('writes the status first, then stops the execution, closes the steps, releases the collections, e-mails, and records that last', async () => {
    const result = await cancelCase(deps(), { caseId: CASE_ID, reason: 'Wycofane przez JST.', by: OPERATOR });

    const calls = ddb.commandCalls(UpdateItemCommand).map((c) => ({ call: c, u: readUpdate(c.args[0].input) }));
    const [first] = calls;
    expect(first!.u).toMatchObject({ pk: `CASE#${CASE_ID}`, sk: 'CASE', set: { status: 'CANCELLED', cancellation: { reason: 'Wycofane przez JST.', by: OPERATOR.email, at: NOW.toISOString() } } });
    expect(first!.u.condition).toBe('attribute_exists(pk) AND NOT contains(#ids, :eventId) AND #status IN (:allowed0, :allowed1, :allowed2, :allowed3, :allowed4)');
    // a case held by an incident may be cancelled too
    expect(Object.entries(first!.u.values).filter(([name]) => name.startsWith(':allowed')).map(([, value]) => value)).toEqual(['IN_PROGRESS', 'STALLED', 'INCIDENT', 'ESCALATED', 'FAILED']);
    const [stop] = sfn.commandCalls(StopExecutionCommand);
    expect(stop!.args[0].input).toEqual({ executionArn: EXECUTION_ARN, error: 'CaseCancelled', cause: `Case ${CASE_ID} cancelled by MRPiPS (reason on the case timeline)` });
    expect(first!.call.calledBefore(stop!)).toBe(true);
    const closes = calls.filter((c) => c.u.sk.startsWith('STEP#'));
    expect(closes.map((c) => c.u.sk).sort()).toEqual(['STEP#MZT_DEACTIVATED.1', 'STEP#NEW_SD_FEEDING.1']);
    expect(stop!.calledBefore(closes[0]!.call)).toBe(true);
    const releases = calls.filter((c) => c.u.sk === 'COLLECTION');
    expect(releases.map((c) => c.u.pk).sort()).toEqual(['COLLECTION#FA-01', 'COLLECTION#NFA-01', 'COLLECTION#NSR-01', 'COLLECTION#SR-01']);
    expect(releases.every((c) => !('state' in c.u.set))).toBe(true);
    const mails = sqs.commandCalls(SendMessageCommand);
    expect(closes.at(-1)!.call.calledBefore(mails[0]!)).toBe(true);
    const notified = ddb.commandCalls(PutItemCommand).find((c) => unmarshall(c.args[0].input.Item!).sk === 'EVENT#cancelled:notified')!;
    expect(mails.at(-1)!.calledBefore(notified)).toBe(true);

    expect(result).toMatchObject({ cancelledNow: true, execution: { arn: EXECUTION_ARN, status: 'ABORTED' }, releasedCollections: ['SR-01', 'NSR-01', 'FA-01', 'NFA-01'] });
    expect(result.record.status).toBe('CANCELLED');
    expect((await timeline()).map((e) => e.action).slice(-3)).toEqual(['CASE_CANCELLED', 'COLLECTIONS_RELEASED', 'CASE_CANCELLATION_SENT']);
    for (const key of ['NEW_SD_FEEDING.1', 'MZT_DEACTIVATED.1']) {
      const closed = table.items.get(`CASE#${CASE_ID}|STEP#${key}`) as unknown as StepRecord;
      expect(closed).toMatchObject({ status: 'CANCELLED', closedAt: NOW.toISOString() });
      expect(closed.taskToken).toBeUndefined();
    }
    expect((table.items.get(`CASE#${CASE_ID}|STEP#OLD_SD_DEACTIVATED.1`) as { status: string }).status).toBe('COMPLETED');
  });

  it('cancels a case held by an incident, and closes the incident so that no retry can resume it (its token goes)', async () => {
    // GIVEN the case waits for the operator in an incident; an earlier incident was retried
    const incident = { caseId: CASE_ID, state: 'Apply response', error: 'EmailRejected', reason: 'EmailRejected: x', waitsUntil: '2026-03-17T08:00:00.000Z', executionId: EXECUTION_ARN };
    table
      .put(`CASE#${CASE_ID}`, 'CASE', { ...caseItem(), status: 'INCIDENT' })
      .put(`CASE#${CASE_ID}`, 'INCIDENT#a1', { ...incident, incidentId: 'a1', openedAt: '2026-03-01T08:00:00.000Z', status: 'RETRIED', retriedAt: '2026-03-02T08:00:00.000Z' })
      .put(`CASE#${CASE_ID}`, 'INCIDENT#b2', { ...incident, incidentId: 'b2', openedAt: '2026-03-10T08:00:00.000Z', status: 'OPEN', taskToken: 'incident-token' });
    // WHEN
    const result = await cancelCase(deps(), { caseId: CASE_ID, reason: 'Wycofane przez JST.', by: OPERATOR });
    // THEN
    expect(result.record.status).toBe('CANCELLED');
    const waiting = table.items.get(`CASE#${CASE_ID}|INCIDENT#b2`) as Record<string, unknown>;
    expect(waiting).toMatchObject({ status: 'CLOSED', closedAt: NOW.toISOString() });
    expect(waiting).not.toHaveProperty('taskToken');
    expect(table.items.get(`CASE#${CASE_ID}|INCIDENT#a1`)).toMatchObject({ status: 'RETRIED' });
  });

  it('tells every participant, once each, with the reason: JST, MRPiPS, the voivodeship administrator, the supplier', async () => {
    const result = await cancelCase(deps(), { caseId: CASE_ID, reason: 'Wycofane przez JST.', by: OPERATOR });
    const mails = queuedEmails(sqs);
    expect(mails.map((m) => m.to)).toEqual([[JST_EMAIL], [MRPIPS_EMAIL], [adminOf('14')], [SUPPLIER_EMAIL]]);
    expect(result.notified).toEqual([JST_EMAIL, MRPIPS_EMAIL, adminOf('14'), SUPPLIER_EMAIL]);
    for (const mail of mails) {
      expect(mail.cc).toEqual([]);
      expect(mail.subject).toBe(`[${CASE_ID}] Miejski Ośrodek Pomocy Społecznej w Przykładowie (TERYT 1465011): sprawa anulowana`);
      expect(mail.text).toContain('Powód: Wycofane przez JST.');
      expect(mail.text).toContain('/sprawa?c=ZSD-2026-00042');
      expect(mail.text).not.toContain('/potwierdzenie');
    }
  });

  it('after a crash while e-mailing, a retry converges: no second status write or stop, the missing e-mails sent (each once), the first reason kept', async () => {
    let sent = 0;
    sqs.on(SendMessageCommand).callsFake(() => {
      if (++sent === 2) throw Object.assign(new Error('SES down'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
      return { MessageId: 'm' };
    });
    await expect(cancelCase(deps(), { caseId: CASE_ID, reason: 'Pierwszy powód.', by: OPERATOR })).rejects.toThrow('SES down');
    expect(caseItem().status).toBe('CANCELLED');
    expect((await timeline()).map((e) => e.id)).not.toContain('cancelled:notified');

    ddb.resetHistory();
    sfn.resetHistory();
    sqs.resetHistory();
    const again = await cancelCase(deps(), { caseId: CASE_ID, reason: 'Inny powód.', by: OPERATOR });
    expect(again).toMatchObject({ cancelledNow: false, closedSteps: [], releasedCollections: [], execution: { status: 'ABORTED' } });
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    expect(queuedEmails(sqs).every((m) => m.text.includes('Powód: Pierwszy powód.'))).toBe(true);
    // The JST's message went out before the crash: only the others are sent now.
    expect(queuedEmails(sqs).map((m) => m.to[0])).toEqual([MRPIPS_EMAIL, adminOf('14'), SUPPLIER_EMAIL]);
    expect(caseItem().cancellation!.reason).toBe('Pierwszy powód.');
    expect((await timeline()).filter((e) => e.action === 'CASE_CANCELLED')).toHaveLength(1);
    expect((await timeline()).at(-1)!.id).toBe('cancelled:notified');

    // A third run finds everything done and sends nothing.
    sqs.resetHistory();
    expect((await cancelCase(deps(), { caseId: CASE_ID, reason: 'x x x', by: OPERATOR })).notified).toEqual([]);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('leaves a collection another case took over alone', async () => {
    table.put('COLLECTION#SR-01', 'COLLECTION', { code: 'SR-01', state: 'ACTIVE', lockedByCase: 'ZSD-2026-00050', lastCaseId: 'ZSD-2026-00050' });
    const result = await cancelCase(deps(), { caseId: CASE_ID, reason: 'Wycofane.', by: OPERATOR });
    expect(result.releasedCollections).toEqual(['NSR-01', 'FA-01', 'NFA-01']);
    expect(updates(ddb, { pk: 'COLLECTION#SR-01' })).toHaveLength(0);
  });

  it('names the execution from the procedure ARN when the case has no execution id', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA());
    await cancelCase(deps(), { caseId: CASE_ID, reason: 'Wycofane.', by: OPERATOR });
    expect(sfn.commandCalls(StopExecutionCommand)[0]!.args[0].input.executionArn).toBe(EXECUTION_ARN);
  });

  it('refuses a case that has ended, an unknown case and an empty reason, writing nothing', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ status: 'COMPLETED' }));
    await expect(cancelCase(deps(), { caseId: CASE_ID, reason: 'Wycofane.', by: OPERATOR })).rejects.toThrow(new ConflictError(`Case ${CASE_ID} is COMPLETED (zakończona) and cannot be cancelled`));
    await expect(cancelCase(deps(), { caseId: 'ZSD-2026-00099', reason: 'Wycofane.', by: OPERATOR })).rejects.toBeInstanceOf(NotFoundError);
    await expect(cancelCase(deps(), { caseId: CASE_ID, reason: '  ', by: OPERATOR })).rejects.toBeInstanceOf(ValidationError);
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('loses the race with the end of the case cleanly: the conditional status write refuses, nothing else happens', async () => {
    ddb.on(UpdateItemCommand).callsFake(() => {
      table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ status: 'COMPLETED' }));
      throw conditionalCheckFailed();
    });
    await expect(cancelCase(deps(), { caseId: CASE_ID, reason: 'Wycofane.', by: OPERATOR })).rejects.toThrow(`Case ${CASE_ID} cannot be cancelled: Case ${CASE_ID} is COMPLETED`);
    expect(sfn.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });
});

describe('cancellationRecipients', () => {
  it('the contact, MRPiPS and every step recipient; the supplier only once the contact confirmed; each once', () => {
    const steps = [step('CONFIRM_CONTACT.1', { recipient: 'Anna.Kowalska@mops.przykladowo.pl' }), step('AGREE_VARIANT.1', { recipient: 'jan.nowak@mrpips.gov.pl' })];
    expect(cancellationRecipients(caseRecord(), steps, DIRECTORY)).toEqual([JST_EMAIL, MRPIPS_EMAIL, 'jan.nowak@mrpips.gov.pl']);
    expect(cancellationRecipients(caseRecord({ contactConfirmedAt: NOW.toISOString() }), [], DIRECTORY)).toEqual([JST_EMAIL, MRPIPS_EMAIL, SUPPLIER_EMAIL]);
    expect(cancellationRecipients(caseRecord({ mztDeactivatedOn: '2026-03-09' }), [], DIRECTORY)).toEqual([JST_EMAIL, MRPIPS_EMAIL, adminOf('14')]);
  });

  it('procedureExecutionArn: the recorded execution id, else built from the state machine ARN and the case id', () => {
    expect(procedureExecutionArn({ caseId: CASE_ID, executionId: 'arn:x' }, PROCEDURE_ARN)).toBe('arn:x');
    expect(procedureExecutionArn({ caseId: CASE_ID }, PROCEDURE_ARN)).toBe(EXECUTION_ARN);
    expect(() => procedureExecutionArn({ caseId: CASE_ID })).toThrow('no execution id');
  });
});

describe('resendStepLink', () => {
  beforeEach(() => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA()).put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', step('OLD_SD_DEACTIVATED.1', { delegatedBy: '' }));
  });

  it('replaces the link conditionally on the current one, e-mails the same recipient alone (the supplier is not copied) a link to the same task and deadline, and records it', async () => {
    const result = await resendStepLink(deps(), { caseId: CASE_ID, stepKey: 'OLD_SD_DEACTIVATED.1', by: OPERATOR });
    expect(result.recipient).toBe(JST_EMAIL);
    const [write] = updates(ddb, { sk: 'STEP#OLD_SD_DEACTIVATED.1' });
    // Counted in the same conditional write, against MAX_RESENDS_PER_STEP.
    expect(write!.condition).toBe('#status = :pending AND #link = :currentLink AND (attribute_not_exists(#count) OR #count < :max)');
    expect(write!.update).toBe('SET #link = :newLink, #lastSentAt = :now ADD #count :add');
    expect(write!.values).toMatchObject({ ':add': 1, ':max': STEP_LIMITS.MAX_RESENDS_PER_STEP });
    expect(write!.names['#count']).toBe('resends');
    expect(write!.values[':currentLink']).toBe(hashLinkId(linkId));
    const [mail, ...more] = queuedEmails(sqs);
    expect(more).toEqual([]);
    expect(mail).toMatchObject({ to: [JST_EMAIL], cc: [] });
    expect(mail!.subject).toContain('Deaktywacja dotychczasowego SD — link wysłany ponownie');
    expect(mail!.text).not.toContain('przekazał(a) Ci ten krok');
    const url = new URL(/(https:\/\/\S+\/potwierdzenie\?\S+)/.exec(mail!.text)![1]!);
    const check = verifyLink(Object.fromEntries(url.searchParams), LINK_KEYS, NOW_S);
    expect(check).toMatchObject({ ok: true, claims: { step: 'OLD_SD_DEACTIVATED.1', role: 'JST', recipientTag: recipientTag(JST_EMAIL, LINK_KEYS), expiresAt: NOW_S + 3600 } });
    expect(check.ok && hashLinkId(check.claims.linkId)).toBe(write!.values[':newLink']);
    expect(mail!.text).not.toContain('token-');
    expect((await timeline()).at(-1)).toMatchObject({ action: 'STEP_LINK_RESENT', actor: OPERATOR, step: 'OLD_SD_DEACTIVATED.1' });
  });

  it('gives the old link back when the e-mail cannot be sent, and rethrows', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('SES down'));
    await expect(resendStepLink(deps(), { caseId: CASE_ID, stepKey: 'OLD_SD_DEACTIVATED.1', by: OPERATOR })).rejects.toThrow('SES down');
    const [replace, giveBack] = updates(ddb, { sk: 'STEP#OLD_SD_DEACTIVATED.1' });
    expect(giveBack!.values).toMatchObject({ ':currentLink': replace!.values[':newLink'], ':newLink': hashLinkId(linkId) });
    expect((table.items.get(`CASE#${CASE_ID}|STEP#OLD_SD_DEACTIVATED.1`) as unknown as StepRecord).linkIdHash).toBe(hashLinkId(linkId));
    expect(updates(ddb, { sk: 'CASE' })).toHaveLength(0);
  });

  it('refuses a step that is not pending, a case that is not open, and a link past its deadline', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', step('OLD_SD_DEACTIVATED.1', { status: 'COMPLETED' }));
    await expect(resendStepLink(deps(), { caseId: CASE_ID, stepKey: 'OLD_SD_DEACTIVATED.1', by: OPERATOR })).rejects.toThrow('is COMPLETED, not pending');
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', step('OLD_SD_DEACTIVATED.1', { linkExpiresAt: NOW_S - 1 }));
    await expect(resendStepLink(deps(), { caseId: CASE_ID, stepKey: 'OLD_SD_DEACTIVATED.1', by: OPERATOR })).rejects.toThrow('deadline');
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ status: 'ESCALATED' }));
    await expect(resendStepLink(deps(), { caseId: CASE_ID, stepKey: 'OLD_SD_DEACTIVATED.1', by: OPERATOR })).rejects.toBeInstanceOf(ConflictError);
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('works on a STALLED case (MRPiPS decides after the final deadline)', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ status: 'STALLED' }));
    await expect(resendStepLink(deps(), { caseId: CASE_ID, stepKey: 'OLD_SD_DEACTIVATED.1', by: OPERATOR })).resolves.toMatchObject({ recipient: JST_EMAIL });
  });
});

describe('handOverStep by MRPiPS (no link)', () => {
  beforeEach(() => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA()).put(`CASE#${CASE_ID}`, 'STEP#MZT_DEACTIVATED.1', step('MZT_DEACTIVATED.1'));
  });

  it('moves the step through its current link, e-mails the new recipient, tells MRPiPS and the previous recipient, records MRPiPS as the actor', async () => {
    const to = 'zastepca.mzt.14@uw.gov.pl';
    await handOverStep(deps(), { caseId: CASE_ID, stepKey: 'MZT_DEACTIVATED.1', to: ' Zastepca.MZT.14@uw.gov.pl', by: OPERATOR });
    const [write] = updates(ddb, { sk: 'STEP#MZT_DEACTIVATED.1' });
    expect(write!.values).toMatchObject({ ':currentLink': hashLinkId(linkId), ':recipient': to, ':delegatedBy': OPERATOR.email });
    const mails = queuedEmails(sqs);
    expect(mails.map((m) => m.to[0])).toEqual([to, MRPIPS_EMAIL, adminOf('14')]);
    expect(mails[0]!.text).toContain(`${OPERATOR.email} przekazał(a) Ci ten krok do wykonania.`);
    expect(mails[1]!.text).toContain(`MRPiPS (${OPERATOR.email}) przekazało krok 3c/4c od ${adminOf('14')} osobie: ${to}.`);
    expect(mails[2]!.text).toContain('Nie musisz już wykonywać tego kroku.');
    expect((await timeline()).at(-1)).toMatchObject({ action: 'STEP_REASSIGNED', actor: OPERATOR, summary: `MRPiPS, Departament Informatyki: krok „Deaktywacja urzędników i jednostki w MZT CSIZS” przekazano z ${adminOf('14')} do ${to}.` });
  });

  it('GIVEN the JST\'s step b WHEN MRPiPS reassigns it THEN the new link goes to the new recipient alone, tagged for them; the supplier gets no e-mail and no copy', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', step('OLD_SD_DEACTIVATED.1', { delegatedBy: '' }));
    const to = 'zastepca@mops.przykladowo.pl';
    await handOverStep(deps(), { caseId: CASE_ID, stepKey: 'OLD_SD_DEACTIVATED.1', to, by: OPERATOR });
    const mails = queuedEmails(sqs);
    expect(mails.map((m) => m.to)).toEqual([[to], [MRPIPS_EMAIL], [JST_EMAIL]]);
    expect(mails.map((m) => m.cc)).toEqual([[], [], []]);
    const linked = mails.filter((m) => m.text.includes('/potwierdzenie'));
    expect(linked.map((m) => m.to)).toEqual([[to]]);
    const url = new URL(/(https:\/\/\S+\/potwierdzenie\?\S+)/.exec(linked[0]!.text)![1]!);
    expect(url.searchParams.get('t')).toBe(recipientTag(to, LINK_KEYS));
  });

  it('refuses the contact-address step, the current recipient, a bad address and a newer link, writing nothing', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#CONFIRM_CONTACT.1', step('CONFIRM_CONTACT.1'));
    await expect(handOverStep(deps(), { caseId: CASE_ID, stepKey: 'CONFIRM_CONTACT.1', to: 'x@y.pl', by: OPERATOR })).rejects.toBeInstanceOf(ValidationError);
    await expect(handOverStep(deps(), { caseId: CASE_ID, stepKey: 'MZT_DEACTIVATED.1', to: adminOf('14'), by: OPERATOR })).rejects.toThrow('already with');
    await expect(handOverStep(deps(), { caseId: CASE_ID, stepKey: 'MZT_DEACTIVATED.1', to: 'nope', by: OPERATOR })).rejects.toBeInstanceOf(ValidationError);
    await expect(handOverStep(deps(), { caseId: CASE_ID, stepKey: 'MZT_DEACTIVATED.1', to: 'x@y.pl', by: OPERATOR, expectedLinkIdHash: hashLinkId(newLinkId()) })).rejects.toBeInstanceOf(ConflictError);
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });
});

describe('the timeline entries of operations on the English status page', () => {
  it('are translated', async () => {
    const { t } = await import('../../lambdas/core/i18n.js');
    expect(t('en', 'Sprawa anulowana przez MRPiPS. Powód: Wycofane.')).toBe('The case was cancelled by MRPiPS. Reason: Wycofane.');
    expect(t('en', 'Zbiory CBB sprawy zwolnione bez zmiany stanu: SR-01, FA-01.')).toBe('The CBB collections of the case were released without a change of state: SR-01, FA-01.');
    expect(t('en', `Poinformowano o anulowaniu sprawy: ${JST_EMAIL}, ${MRPIPS_EMAIL}.`)).toBe(`Told of the cancellation: ${JST_EMAIL}, ${MRPIPS_EMAIL}.`);
    expect(t('en', `Wysłano ponownie link do kroku „Uzgodnienie trybu zmiany dostawcy SD” do: ${MRPIPS_EMAIL}; poprzednie linki przestały działać.`)).toBe(
      `The link to the step “Agreeing the mode of the SD supplier change” was sent again to: ${MRPIPS_EMAIL}; earlier links stopped working.`,
    );
    expect(t('en', 'anulowana przez MRPiPS')).toBe('cancelled by MRPiPS');
  });
});
