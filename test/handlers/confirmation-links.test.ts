import { GetItemCommand, UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PageRequest } from '../../lambdas/adapters/http.js';
import { handleConfirmationLink } from '../../lambdas/confirmation-links/index.js';
import { hashLinkId, newLinkId, signLink, signingKeysSchema, type LinkClaims } from '../../lambdas/core/links.js';
import type { StepRecord } from '../../lambdas/core/step-record.js';
import { CASE_ID, JST_EMAIL, MRPIPS_EMAIL, NOW, caseAfterStepA, caseRecord } from '../unit/fixtures.js';
import { FakeTable, awsMocks, captureLogs, conditionalCheckFailed, readUpdate, serviceError, updates } from './aws.js';

const { ddb, ses, sfn, store, workflow } = awsMocks();
const KEYS = signingKeysSchema.parse({ current: 'k1', k1: 'k1-secret-0123456789abcdefghijklmnopqrstuvwxyz' });
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAS3cr3tT4skT0k3n-ZSD-2026-00042-OLD_SD';
const NOW_S = NOW.getTime() / 1000;
const TODAY = '2026-03-10';
const COMPLETE_CONDITION = '#status = :pending AND #link = :hash';
const REOPEN_CONDITION = '#status = :completed AND #completedLink = :hash';

let table: FakeTable;
let linkId: string;
let logs: () => string;

function pendingStep(overrides: Partial<StepRecord> = {}): StepRecord {
  return {
    caseId: CASE_ID,
    stepKey: 'OLD_SD_DEACTIVATED.1',
    step: 'OLD_SD_DEACTIVATED',
    round: 1,
    role: 'JST',
    recipient: JST_EMAIL,
    status: 'PENDING',
    taskToken: TOKEN,
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

function linkQuery(overrides: Partial<LinkClaims> = {}): string {
  return signLink({ caseId: CASE_ID, step: 'OLD_SD_DEACTIVATED.1', role: 'JST', expiresAt: NOW_S + 3600, linkId, ...overrides }, KEYS);
}

function pageRequest(method: string, rawQuery: string, form?: Record<string, string>): PageRequest {
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQuery)) if (!(name in query)) query[name] = value;
  return { method, path: '/potwierdzenie', query, rawQuery, body: form ? new URLSearchParams(form).toString() : '', ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (test)' };
}

const open = (method: string, rawQuery = linkQuery(), form?: Record<string, string>, now = NOW) => handleConfirmationLink(pageRequest(method, rawQuery, form), { store, workflow, keys: KEYS, now });

const GOOD_FORM = { deactivatedOn: TODAY, confirmed: 'tak' };

/** UpdateItem behaves like the table: completing a pending step returns it with the token (ReturnValues ALL_NEW). */
function completeStepSucceeds() {
  ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
    const update = readUpdate(input);
    if (update.condition === COMPLETE_CONDITION) {
      const completed = { ...pendingStep(), status: 'COMPLETED', response: update.values[':response'], completedAt: update.values[':now'], completedBy: update.values[':by'], completedLinkIdHash: update.values[':hash'] };
      return { Attributes: marshall({ pk: update.pk, sk: update.sk, ...completed }, { removeUndefinedValues: true }) };
    }
    return {};
  });
}

const writes = () => ddb.commandCalls(UpdateItemCommand).length;
const completions = () => updates(ddb).filter((u) => u.condition === COMPLETE_CONDITION);
const reopens = () => updates(ddb).filter((u) => u.condition === REOPEN_CONDITION);

beforeEach(() => {
  ddb.reset();
  ses.reset();
  sfn.reset();
  linkId = newLinkId();
  table = new FakeTable(ddb).put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA()).put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', pendingStep());
  sfn.on(SendTaskSuccessCommand).resolves({});
  logs = captureLogs();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('opening a link (GET/HEAD)', () => {
  it.each(['GET', 'HEAD'])('GIVEN a valid link WHEN opened with %s THEN the step page is shown and nothing is written or handed on', async (method) => {
    const page = await open(method);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Potwierdzasz jako: <strong>anna.kowalska@mops.przykladowo.pl</strong>');
    expect(page.body).toContain('Deaktywacja dotychczasowego SD');
    expect(page.body).not.toContain(TOKEN);
    expect(writes()).toBe(0);
    expect(sfn.calls()).toHaveLength(0);
    expect(ses.calls()).toHaveLength(0);
  });

  it.each([
    ['the link id', { l: 'AAAAAAAAAAAAAAAAAAAAAAAA' }],
    ['the role', { r: 'MRPIPS' }],
    ['the step', { s: 'NEW_SD_FEEDING.1' }],
    ['the case', { c: 'ZSD-2026-00041' }],
    ['the expiry', { e: String(NOW_S + 999_999) }],
  ])('GIVEN a link with %s changed WHEN opened THEN 403 and the store is not even read', async (_what, change) => {
    const query = new URLSearchParams(linkQuery());
    for (const [k, v] of Object.entries(change)) query.set(k, v);
    const page = await open('GET', query.toString());
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('Nieprawidłowy link');
    expect(ddb.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('GIVEN a tampered link WHEN posted THEN 403 and nothing is written or handed on', async () => {
    const query = new URLSearchParams(linkQuery());
    query.set('r', 'MRPIPS');
    const page = await open('POST', query.toString(), GOOD_FORM);
    expect(page.statusCode).toBe(403);
    expect(ddb.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('GIVEN an expired link THEN 410 "Link wygasł" and the store is not read', async () => {
    const page = await open('GET', linkQuery({ expiresAt: NOW_S - 1 }));
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('Link wygasł');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('GIVEN a link replaced by a newer one (reminder) THEN 410 "Link nieaktualny" and nothing is written', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', pendingStep({ linkIdHash: hashLinkId(newLinkId()) }));
    const page = await open('POST', linkQuery(), GOOD_FORM);
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('zastąpiony nowszym');
    expect(writes()).toBe(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('GIVEN a validly signed link for a role that is not the step\'s THEN 404 and nothing is written', async () => {
    const page = await open('POST', linkQuery({ role: 'MRPIPS' }), GOOD_FORM);
    expect(page.statusCode).toBe(404);
    expect(writes()).toBe(0);
  });

  it('GIVEN a case that is no longer in progress THEN 409 and nothing is written', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ status: 'FAILED' }));
    const page = await open('POST', linkQuery(), GOOD_FORM);
    expect(page.statusCode).toBe(409);
    expect(writes()).toBe(0);
  });

  it('GIVEN a method other than GET/HEAD/POST THEN 405 with Allow', async () => {
    const page = await open('PUT');
    expect(page.statusCode).toBe(405);
    expect(page.headers.allow).toBe('GET, HEAD, POST');
  });
});

describe('confirming (POST)', () => {
  it('GIVEN a valid form WHEN posted THEN the step is completed conditionally, then the task gets {response, participant, confirmedAt}', async () => {
    completeStepSucceeds();
    // WHEN
    const page = await open('POST', linkQuery(), GOOD_FORM);
    // THEN: the conditional completion, only through this link
    const [completion] = completions();
    expect(completion).toBeDefined();
    expect(completion!.sk).toBe('STEP#OLD_SD_DEACTIVATED.1');
    expect(completion!.values[':hash']).toBe(hashLinkId(linkId));
    expect(completion!.values[':response']).toEqual({ deactivatedOn: TODAY, confirmed: true });
    expect(completion!.values[':by']).toEqual({ email: JST_EMAIL, role: 'JST', ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (test)', linkId });
    expect(completion!.input.ReturnValues).toBe('ALL_NEW');
    // then the hand-over to the waiting task, with the token read from the store
    const [handOver] = sfn.commandCalls(SendTaskSuccessCommand);
    expect(handOver!.args[0].input.taskToken).toBe(TOKEN);
    expect(JSON.parse(handOver!.args[0].input.output!)).toEqual({
      response: { deactivatedOn: TODAY, confirmed: true },
      participant: { email: JST_EMAIL, role: 'JST' },
      confirmedAt: NOW.toISOString(),
    });
    const completeCall = ddb.commandCalls(UpdateItemCommand).find((c) => c.args[0].input.ConditionExpression === COMPLETE_CONDITION)!;
    expect(completeCall.calledBefore(handOver!)).toBe(true);
    // the page thanks, and the token is nowhere to be seen
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('potwierdzenie zapisane');
    expect(page.body).not.toContain(TOKEN);
    expect(logs()).not.toContain(TOKEN);
    expect(logs()).not.toContain(linkId);
  });

  it('GIVEN the task accepted the response THEN the token is removed from the step and the timeline records who confirmed', async () => {
    completeStepSucceeds();
    await open('POST', linkQuery(), GOOD_FORM);
    const forget = updates(ddb, { sk: 'STEP#OLD_SD_DEACTIVATED.1' }).find((u) => u.update === 'REMOVE #token');
    expect(forget).toBeDefined();
    expect(forget!.names['#token']).toBe('taskToken');
    const [caseWrite] = updates(ddb, { sk: 'CASE' });
    const event = (caseWrite!.values[':event'] as { id: string; action: string; actor: unknown }[])[0]!;
    expect(event).toMatchObject({ id: 'confirmed:OLD_SD_DEACTIVATED.1', action: 'STEP_CONFIRMED', actor: { role: 'JST', email: JST_EMAIL } });
    expect(reopens()).toHaveLength(0);
  });

  it('GIVEN a form without the ticked checkbox WHEN posted THEN 400 with the error inline and nothing written or handed on', async () => {
    const page = await open('POST', linkQuery(), { deactivatedOn: TODAY });
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('<p class="error" id="f-confirmed-error">Błąd: Zaznacz potwierdzenie, aby kontynuować.</p>');
    expect(page.body).toContain(`value="${TODAY}"`);
    expect(writes()).toBe(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('GIVEN a date in the future (Polish calendar) WHEN posted THEN 400 and nothing written', async () => {
    const page = await open('POST', linkQuery(), { deactivatedOn: '2026-03-11', confirmed: 'tak' });
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('Data nie może być w przyszłości.');
    expect(writes()).toBe(0);
  });

  it('GIVEN it is already the next day in Poland (23:30 UTC) THEN that date is accepted as today', async () => {
    completeStepSucceeds();
    const lateEvening = new Date('2026-03-10T23:30:00.000Z'); // 00:30 on 11 March in Warsaw
    const page = await open('POST', linkQuery({ expiresAt: lateEvening.getTime() / 1000 + 3600 }), { deactivatedOn: '2026-03-11', confirmed: 'tak' }, lateEvening);
    expect(page.statusCode).toBe(200);
  });

  it.each([
    ['TaskTimedOut', () => new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
    ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} })],
  ])('GIVEN the task is gone (%s) WHEN posted THEN the step is reopened for this link and a 410 page says to use the newest link', async (_name, error) => {
    completeStepSucceeds();
    sfn.on(SendTaskSuccessCommand).rejects(error());
    const page = await open('POST', linkQuery(), GOOD_FORM);
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('Link nieaktualny');
    expect(page.body).toContain('Nic nie zostało zmienione');
    const [reopen] = reopens();
    expect(reopen).toBeDefined();
    expect(reopen!.sk).toBe('STEP#OLD_SD_DEACTIVATED.1');
    expect(reopen!.values).toMatchObject({ ':pending': 'PENDING', ':completed': 'COMPLETED', ':hash': hashLinkId(linkId) });
    expect(reopen!.update).toMatch(/^SET #status = :pending REMOVE /);
    // Nothing claims the step was confirmed.
    expect(updates(ddb, { sk: 'CASE' })).toHaveLength(0);
    expect(updates(ddb).some((u) => u.update === 'REMOVE #token')).toBe(false);
  });

  it('GIVEN a transient Step Functions error WHEN posted THEN the step is reopened and the error is rethrown (the page handler shows 503)', async () => {
    completeStepSucceeds();
    const throttled = serviceError('ThrottlingException', 400, 'Rate exceeded');
    sfn.on(SendTaskSuccessCommand).rejects(throttled);
    await expect(open('POST', linkQuery(), GOOD_FORM)).rejects.toBe(throttled);
    expect(reopens()).toHaveLength(1);
    expect(reopens()[0]!.values[':hash']).toBe(hashLinkId(linkId));
    expect(updates(ddb, { sk: 'CASE' })).toHaveLength(0);
  });

  it('GIVEN another submission completed the step first WHEN the conditional write fails THEN 409 "already recorded" naming who confirmed, nothing handed on', async () => {
    ddb.on(UpdateItemCommand).callsFake(async () => {
      // The other submission won in between: the store now shows the step completed.
      table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', {
        ...pendingStep(),
        status: 'COMPLETED',
        completedAt: '2026-03-10T08:59:00.000Z',
        completedBy: { email: JST_EMAIL, role: 'JST', ip: '198.51.100.1', userAgent: 'x', linkId },
        completedLinkIdHash: hashLinkId(linkId),
      });
      throw conditionalCheckFailed();
    });
    const page = await open('POST', linkQuery(), GOOD_FORM);
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('Ten krok został już potwierdzony');
    expect(page.body).toContain(JST_EMAIL);
    expect(sfn.calls()).toHaveLength(0);
    expect(reopens()).toHaveLength(0);
    // The step was read again after the failed write, to show what the store says now.
    expect(ddb.commandCalls(GetItemCommand).filter((c) => c.args[0].input.Key!.sk!.S === 'STEP#OLD_SD_DEACTIVATED.1')).toHaveLength(2);
  });

  it('GIVEN the step was already completed before the page was posted THEN 409 at once, no write attempted', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', {
      ...pendingStep(),
      status: 'COMPLETED',
      completedAt: '2026-03-10T08:59:00.000Z',
      completedBy: { email: JST_EMAIL, role: 'JST', ip: '198.51.100.1', userAgent: 'x', linkId },
    });
    const page = await open('POST', linkQuery(), GOOD_FORM);
    expect(page.statusCode).toBe(409);
    expect(writes()).toBe(0);
  });

  it('GIVEN new collection codes that another case already holds WHEN posted THEN 409 with the error on that field and nothing completed', async () => {
    linkId = newLinkId();
    table
      .put(`CASE#${CASE_ID}`, 'CASE', caseRecord({ variant: 'WITH_MIGRATION' }))
      .put(`CASE#${CASE_ID}`, 'STEP#NEW_COLLECTIONS.1', pendingStep({ stepKey: 'NEW_COLLECTIONS.1', step: 'NEW_COLLECTIONS', role: 'MRPIPS', recipient: MRPIPS_EMAIL }))
      .put('COLLECTION#NFA-01', 'COLLECTION', { code: 'NFA-01', state: 'ACTIVE', area: 'x', teryt: '0201011', kind: 'NEW', lockedByCase: 'ZSD-2026-00007', lastCaseId: 'ZSD-2026-00007', updatedAt: '2026-01-01T00:00:00Z' });
    const page = await open('POST', linkQuery({ step: 'NEW_COLLECTIONS.1', role: 'MRPIPS' }), { 'newCollections.0.newCollectionCode': 'NSR-01', 'newCollections.1.newCollectionCode': 'nfa-01' });
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('<p class="error" id="f-newCollections-1-newCollectionCode-error">Błąd: Zbiór o kodzie NFA-01 jest już zarejestrowany w CBB.</p>');
    expect(writes()).toBe(0);
    expect(sfn.calls()).toHaveLength(0);
  });
});
