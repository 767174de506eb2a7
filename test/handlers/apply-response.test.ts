import { UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { applyResponse } from '../../lambdas/apply-response/index.js';
import type { CaseRecord, Role } from '../../lambdas/core/case.js';
import { ConflictError, ValidationError } from '../../lambdas/core/errors.js';
import type { StepId } from '../../lambdas/core/steps.js';
import { verifyStatusLink, type StatusLinkSubject } from '../../lambdas/core/links.js';
import { CASE_ID, DIRECTORY, JST_EMAIL, MRPIPS_EMAIL, NOW, STATUS_KEYS, STATUS_LINKS, SUPPLIER_EMAIL, adminOf, caseAfterStepA, caseRecord } from '../unit/fixtures.js';
import { FakeTable, awsMocks, captureLogs, conditionalCheckFailed, readUpdate, queuedEmails, timelineWrites, updates } from './aws.js';

const { ddb, sqs, sfn, store, mailer } = awsMocks();
let table: FakeTable;

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  sfn.reset();
  table = new FakeTable(ddb).put(`CASE#${CASE_ID}`, 'CASE', caseRecord());
  sqs.on(SendMessageCommand).resolves({ MessageId: 'msg-1' });
  statusCalls.length = 0;
  captureLogs();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const statusCalls: string[] = [];
const statusUrl = (subject: StatusLinkSubject) => {
  statusCalls.push(subject.caseId);
  return STATUS_LINKS(subject);
};

/** The read-only status link in a message, checked to open this case. */
function statusLinkIn(text: string): string {
  const match = /Przebieg i stan sprawy \(tylko do odczytu\): (\S+)/.exec(text);
  if (!match) throw new Error('no status link in the e-mail');
  const url = new URL(match[1]!);
  expect(url.pathname).toBe('/sprawa');
  expect(verifyStatusLink(Object.fromEntries(url.searchParams), STATUS_KEYS)).toEqual({ ok: true, caseId: CASE_ID, generation: 0 });
  return match[1]!;
}

function apply(step: StepId, response: Record<string, unknown>, opts: { round?: number; by?: string; role?: Role } = {}) {
  return applyResponse(
    {
      caseId: CASE_ID,
      step,
      round: opts.round ?? 1,
      confirmation: { response, participant: { email: opts.by ?? MRPIPS_EMAIL, role: opts.role ?? 'MRPIPS' }, confirmedAt: '2026-03-10T08:55:00.000Z' },
    },
    { store, mailer, directory: DIRECTORY, statusUrl, now: NOW },
  );
}

const caseUpdate = () => {
  const [write] = updates(ddb, { pk: `CASE#${CASE_ID}`, sk: 'CASE' });
  return write!;
};

describe('applyResponse', () => {
  it('GIVEN the JST contact confirmed the address (step 1) THEN the confirmation time is stored, the old collections are taken for the case now, nobody is e-mailed here (the acknowledgement follows)', async () => {
    const result = await apply('CONFIRM_CONTACT', { confirmed: true }, { by: JST_EMAIL, role: 'JST' });
    expect(result).toEqual({ collections: 'TAKEN' });
    expect(updates(ddb, { sk: 'COLLECTION' }).map((u) => [u.pk, u.values[':case'], u.values[':kind'], u.values[':teryt']])).toEqual([
      ['COLLECTION#SR-01', CASE_ID, 'OLD', '1465011'],
      ['COLLECTION#FA-01', CASE_ID, 'OLD', '1465011'],
    ]);
    expect(caseUpdate().set).toEqual({ contactConfirmedAt: '2026-03-10T08:55:00.000Z', updatedAt: NOW.toISOString() });
    expect(caseUpdate().values[':eventId']).toBe('applied:CONFIRM_CONTACT.1');
    expect(timelineWrites(ddb).at(-1)).toMatchObject({
      id: 'applied:CONFIRM_CONTACT.1',
      actor: { role: 'JST', email: JST_EMAIL },
      summary: `Osoba kontaktowa JST potwierdziła adres e-mail ${JST_EMAIL}.`,
    });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('GIVEN a case confirmed first holds one of the codes WHEN the contact confirms THEN what was taken is given back, the other case keeps its code, and the procedure is told the collections are unavailable', async () => {
    table.put('COLLECTION#FA-01', 'COLLECTION', { code: 'FA-01', state: 'ACTIVE', area: 'x', teryt: '1465011', kind: 'OLD', lockedByCase: 'ZSD-2026-00007', lastCaseId: 'ZSD-2026-00007', updatedAt: NOW.toISOString() });
    ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      const update = readUpdate(input);
      if (update.pk === 'COLLECTION#FA-01' && update.values[':case'] !== 'ZSD-2026-00007') throw conditionalCheckFailed();
      return {};
    });
    const result = await apply('CONFIRM_CONTACT', { confirmed: true }, { by: JST_EMAIL, role: 'JST' });
    expect(result).toEqual({ collections: 'UNAVAILABLE' });
    const writes = updates(ddb, { sk: 'COLLECTION' });
    expect(writes.map((u) => [u.pk, u.update.startsWith('SET #code') ? 'take' : 'give back', u.values[':case']])).toEqual([
      ['COLLECTION#SR-01', 'take', CASE_ID],
      ['COLLECTION#FA-01', 'take', CASE_ID],
      ['COLLECTION#SR-01', 'give back', CASE_ID],
    ]);
    // The contact did confirm: that is recorded; the procedure then ends the case.
    expect(caseUpdate().set).toMatchObject({ contactConfirmedAt: '2026-03-10T08:55:00.000Z' });
  });

  it('GIVEN a contact confirmation without the ticked box THEN ValidationError and nothing is written', async () => {
    await expect(apply('CONFIRM_CONTACT', { confirmed: false }, { by: JST_EMAIL, role: 'JST' })).rejects.toBeInstanceOf(ValidationError);
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it.each([
    ['AGREE_VARIANT', { decision: 'WITHOUT_MIGRATION' }, MRPIPS_EMAIL, 'MRPIPS', caseRecord()],
    ['NEW_COLLECTIONS', { newCollections: [{ oldCollectionCode: 'SR-01', newCollectionCode: 'NSR-01' }, { oldCollectionCode: 'FA-01', newCollectionCode: 'NFA-01' }] }, MRPIPS_EMAIL, 'MRPIPS', caseRecord({ variant: 'WITH_MIGRATION' })],
    ['OLD_SD_DEACTIVATED', { deactivatedOn: '2026-03-09', confirmed: true }, JST_EMAIL, 'JST', caseAfterStepA()],
    ['MZT_DEACTIVATED', { deactivatedOn: '2026-03-09', confirmed: true }, adminOf('14'), 'VOIVODESHIP_ADMIN', caseAfterStepA()],
  ] as const)('GIVEN %s THEN every e-mail sent carries the read-only status link of the case', async (step, response, by, role, record) => {
    table.put(`CASE#${CASE_ID}`, 'CASE', record);
    await apply(step, response as Record<string, unknown>, { by, role });
    const mails = queuedEmails(sqs);
    expect(mails.length).toBeGreaterThan(0);
    for (const mail of mails) {
      const link = statusLinkIn(mail.text);
      expect(mail.html).toContain(`href="${link.replace(/&/g, '&amp;')}"`);
    }
    expect(new Set(statusCalls)).toEqual(new Set([CASE_ID]));
  });

  it('GIVEN MRPiPS agreed WITH_MIGRATION THEN the case gets the variant and the agreement, the JST is e-mailed, the decision returned', async () => {
    const result = await apply('AGREE_VARIANT', { decision: 'WITH_MIGRATION', note: 'Uzgodniono telefonicznie.' });
    expect(result).toEqual({ decision: 'WITH_MIGRATION' });
    expect(caseUpdate().set).toMatchObject({ variant: 'WITH_MIGRATION', agreement: { decision: 'WITH_MIGRATION', note: 'Uzgodniono telefonicznie.' } });
    expect(caseUpdate().values[':eventId']).toBe('applied:AGREE_VARIANT.1');
    const mails = queuedEmails(sqs);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ to: [JST_EMAIL], cc: [] });
    expect(mails[0]!.subject).toContain('uzgodniono tryb zmiany: z migracją danych');
    expect(mails[0]!.text).toContain('Ustalenia MRPiPS: Uzgodniono telefonicznie.');
    expect(mails[0]!.text).toContain('Tryb zmiany: z migracją danych');
  });

  it('GIVEN MRPiPS rejected the notification THEN the reason is stored, no variant, no e-mail here (the reject notice sends it), REJECT returned', async () => {
    const result = await apply('AGREE_VARIANT', { decision: 'REJECT', reason: 'Brak kodu MZT.' });
    expect(result).toEqual({ decision: 'REJECT' });
    expect(caseUpdate().set).toMatchObject({ agreement: { decision: 'REJECT', reason: 'Brak kodu MZT.' } });
    expect(caseUpdate().set).not.toHaveProperty('variant');
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('GIVEN new collection codes THEN each new code is locked for the case as NEW, the case maps them, and the JST is e-mailed with the supplier in copy', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseRecord({ variant: 'WITH_MIGRATION' }));
    const result = await apply('NEW_COLLECTIONS', {
      newCollections: [
        { oldCollectionCode: 'SR-01', newCollectionCode: 'NSR-01' },
        { oldCollectionCode: 'FA-01', newCollectionCode: 'NFA-01' },
      ],
    });
    expect(result).toEqual({});
    const locks = updates(ddb, { sk: 'COLLECTION' });
    expect(locks.map((l) => [l.pk, l.values[':case'], l.values[':kind'], l.values[':area']])).toEqual([
      ['COLLECTION#NSR-01', CASE_ID, 'NEW', 'świadczenia rodzinne'],
      ['COLLECTION#NFA-01', CASE_ID, 'NEW', 'fundusz alimentacyjny'],
    ]);
    expect(caseUpdate().set.collections).toEqual([
      { area: 'świadczenia rodzinne', oldCode: 'SR-01', newCode: 'NSR-01' },
      { area: 'fundusz alimentacyjny', oldCode: 'FA-01', newCode: 'NFA-01' },
    ]);
    const [mail] = queuedEmails(sqs);
    expect(mail).toMatchObject({ to: [JST_EMAIL], cc: [SUPPLIER_EMAIL] });
    expect(mail!.subject).toContain('kody nowych zbiorów CBB');
    expect(mail!.text).toContain('NSR-01 (zastępuje SR-01)');
    expect(mail!.text).toContain('NFA-01 (zastępuje FA-01)');
  });

  it('GIVEN a new code another case holds THEN ConflictError naming that case; the case is not changed and nobody is e-mailed', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseRecord({ variant: 'WITH_MIGRATION' }));
    table.put('COLLECTION#NFA-01', 'COLLECTION', { code: 'NFA-01', state: 'ACTIVE', area: 'x', teryt: '0201011', kind: 'NEW', lockedByCase: 'ZSD-2026-00007', lastCaseId: 'ZSD-2026-00007', updatedAt: '2026-01-01T00:00:00Z' });
    ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      if (readUpdate(input).pk === 'COLLECTION#NFA-01') throw conditionalCheckFailed();
      return {};
    });
    const error = await apply('NEW_COLLECTIONS', {
      newCollections: [
        { oldCollectionCode: 'SR-01', newCollectionCode: 'NSR-01' },
        { oldCollectionCode: 'FA-01', newCollectionCode: 'NFA-01' },
      ],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe('Collection NFA-01 is held by case ZSD-2026-00007');
    expect(updates(ddb, { sk: 'CASE' })).toHaveLength(0);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('GIVEN the JST confirmed the old SD deactivation THEN the date is stored and MRPiPS is informed with the confirmed data', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA());
    const result = await apply('OLD_SD_DEACTIVATED', { deactivatedOn: '2026-03-09', confirmed: true }, { by: JST_EMAIL, role: 'JST' });
    expect(result).toEqual({});
    expect(caseUpdate().set).toMatchObject({ oldSdDeactivatedOn: '2026-03-09' });
    expect(timelineWrites(ddb).at(-1)!.actor).toEqual({ role: 'JST', email: JST_EMAIL });
    const mails = queuedEmails(sqs);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ to: [MRPIPS_EMAIL], cc: [] });
    expect(mails[0]!.subject).toContain('Deaktywacja dotychczasowego SD — potwierdzono');
    expect(mails[0]!.text).toContain('Data deaktywacji dotychczasowego SD: 2026-03-09');
    expect(mails[0]!.text).toContain(`(${JST_EMAIL}) potwierdził(a)`);
  });

  it('GIVEN the voivodeship administrator confirmed THEN MRPiPS is informed too', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA());
    await apply('MZT_DEACTIVATED', { deactivatedOn: '2026-03-09', confirmed: true }, { by: adminOf('14'), role: 'VOIVODESHIP_ADMIN' });
    expect(caseUpdate().set).toMatchObject({ mztDeactivatedOn: '2026-03-09' });
    expect(queuedEmails(sqs)[0]).toMatchObject({ to: [MRPIPS_EMAIL] });
    expect(queuedEmails(sqs)[0]!.text).toContain(adminOf('14'));
  });

  it.each([
    [1, { result: 'OK' }, { round: 1, result: 'OK', comment: null }],
    [2, { result: 'DISCREPANCIES', comment: 'Brakuje 12 rekordów.' }, { round: 2, result: 'DISCREPANCIES', comment: 'Brakuje 12 rekordów.' }],
  ])('GIVEN verification round %i THEN {round, result, comment} is returned for the procedure and stored', async (round, response, expected) => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA());
    expect(await apply('VERIFY_COLLECTIONS', response, { round })).toEqual(expected);
    expect(caseUpdate().set.verification).toEqual({ round, result: expected.result, ...(expected.comment ? { comment: expected.comment } : {}) });
    expect(caseUpdate().values[':eventId']).toBe(`applied:VERIFY_COLLECTIONS.${round}`);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it.each([
    ['AGREE_VARIANT', { decision: 'MAYBE' }, /decision/],
    ['AGREE_VARIANT', { decision: 'REJECT' }, /reason/],
    ['VERIFY_COLLECTIONS', { result: 'DISCREPANCIES' }, /comment/],
    ['OLD_SD_DEACTIVATED', { deactivatedOn: '2026-03-09' }, /confirmed/],
    ['OLD_SD_DEACTIVATED', { deactivatedOn: '2026-03-09', confirmed: true, taskToken: 'x' }, /Invalid response for OLD_SD_DEACTIVATED/],
    ['NEW_COLLECTIONS', { newCollections: [{ oldCollectionCode: 'SR-01', newCollectionCode: 'NSR-01' }] }, /newCollections/],
  ] as const)('GIVEN an invalid %s response payload THEN ValidationError and nothing is written or sent', async (step, response, message) => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA() as CaseRecord);
    const error = await apply(step, response as Record<string, unknown>).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(message);
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('GIVEN an unknown case THEN NotFoundError and nothing written', async () => {
    table.items.clear();
    await expect(apply('VERIFY_COLLECTIONS', { result: 'OK' })).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });
});
