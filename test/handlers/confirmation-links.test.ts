import { GetItemCommand, UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { SendTaskSuccessCommand, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PageRequest } from '../../lambdas/adapters/http.js';
import { handleConfirmationLink } from '../../lambdas/confirmation-links/index.js';
import { formToken, hashLinkId, newLinkId, recipientTag, signLink, signingKeysSchema, verifyLink, verifyStatusLink, type LinkFor, type SigningKeys } from '../../lambdas/core/links.js';
import type { StepRecord } from '../../lambdas/core/step-record.js';
import { STEPS } from '../../lambdas/core/steps.js';
import { BASE_URL, CASE_ID, DIRECTORY, JST_EMAIL, MRPIPS_EMAIL, NOW, STEP_LIMITS, SUPPLIER_EMAIL, caseAfterStepA, caseRecord } from '../unit/fixtures.js';
import { FakeTable, awsMocks, captureLogs, conditionalCheckFailed, readUpdate, queuedEmails, serviceError, timelineWrites, updates } from './aws.js';

const { ddb, sqs, sfn, store, workflow, mailer } = awsMocks();
const KEY_1 = 'k1-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const KEY_2 = 'k2-secret-ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210';
const KEYS = signingKeysSchema.parse({ current: 'k1', k1: KEY_1 });
const COLLEAGUE = 'jan.nowak@mops.przykladowo.pl';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAS3cr3tT4skT0k3n-ZSD-2026-00042-OLD_SD';
const NOW_S = NOW.getTime() / 1000;
const TODAY = '2026-03-10';
// A submission completes the step through this link, or finds its own completion (the SDK's retry of the write).
const COMPLETE_CONDITION = '(#status = :pending AND #link = :hash) OR #completion = :completion';
// Only this submission's own completion is ever undone.
const REOPEN_CONDITION = '#status = :completed AND #completedLink = :hash AND #completion = :completion';
const REASSIGN_CONDITION = '#status = :pending AND #link = :currentLink AND (attribute_not_exists(#count) OR #count < :max)';
const GIVE_BACK_CONDITION = '#status = :pending AND #link = :newLink';

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

function linkQuery(overrides: Partial<LinkFor> = {}, keys: SigningKeys = KEYS): string {
  return signLink({ caseId: CASE_ID, step: 'OLD_SD_DEACTIVATED.1', role: 'JST', recipient: JST_EMAIL, expiresAt: NOW_S + 3600, linkId, ...overrides }, keys);
}

function pageRequest(method: string, rawQuery: string, form?: Record<string, string>): PageRequest {
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQuery)) if (!(name in query)) query[name] = value;
  return { method, path: '/potwierdzenie', query, rawQuery, body: form ? new URLSearchParams(form).toString() : '', ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (test)' };
}

const deps = (now = NOW, keys: SigningKeys = KEYS) => ({ store, workflow, mailer, directory: DIRECTORY, keys, baseUrl: BASE_URL, limits: STEP_LIMITS, now });
const open = (method: string, rawQuery = linkQuery(), form?: Record<string, string>, now = NOW, keys: SigningKeys = KEYS) => handleConfirmationLink(pageRequest(method, rawQuery, form), deps(now, keys));

/** The token the page opened by this link carries in its forms. */
function tokenOf(rawQuery: string, keys: SigningKeys = KEYS): string {
  const query = new URLSearchParams(rawQuery);
  return formToken(keys, query.get('k')!, query.get('sig')!);
}

/** POSTs a form from the link's own page (with its token), as a browser does. */
const submit = (rawQuery: string, form: Record<string, string>, now = NOW, keys: SigningKeys = KEYS) => open('POST', rawQuery, { csrf: tokenOf(rawQuery, keys), ...form }, now, keys);
const reassign = (delegateEmail: string, rawQuery = linkQuery()) => submit(rawQuery, { action: 'reassign', delegateEmail });

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
const reassignments = () => updates(ddb).filter((u) => u.condition === REASSIGN_CONDITION);
const nothingChanged = () => {
  expect(writes()).toBe(0);
  expect(sfn.calls()).toHaveLength(0);
  expect(sqs.calls()).toHaveLength(0);
};

function linkIn(text: string): URL {
  const match = /(https:\/\/zmiana-sd\.mrpips\.gov\.pl\/potwierdzenie\?\S+)/.exec(text);
  if (!match) throw new Error('no link in the e-mail');
  return new URL(match[1]!);
}

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  sfn.reset();
  linkId = newLinkId();
  table = new FakeTable(ddb).put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA()).put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', pendingStep());
  sfn.on(SendTaskSuccessCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: 'msg-1' });
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
    nothingChanged();
  });

  it('GIVEN a valid link WHEN opened THEN both forms (confirm, hand over) carry the token of this link\'s page', async () => {
    const page = await open('GET');
    const token = tokenOf(linkQuery());
    expect(page.body.match(new RegExp(`<input type="hidden" name="csrf" value="${token}">`, 'g'))).toHaveLength(2);
    expect(page.body).toContain('<input type="hidden" name="action" value="reassign">');
    expect(page.body).toContain('name="delegateEmail"');
  });

  it('GIVEN the language switch in the URL (lang=en) THEN the link still opens its page, and its forms post back with the same query', async () => {
    const query = `${linkQuery()}&lang=en`;
    const page = await open('GET', query);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html lang="en">');
    expect(page.body).toContain(`action="?${query.replace(/&/g, '&amp;')}"`);
    // The token belongs to the signed link, not to the language: the page in either language has the same one.
    expect(page.body).toContain(`name="csrf" value="${tokenOf(linkQuery())}"`);
  });

  it('GIVEN the page was opened in English WHEN its form is posted THEN the step is confirmed as usual', async () => {
    completeStepSucceeds();
    const page = await submit(`${linkQuery()}&lang=en`, GOOD_FORM);
    expect(page.statusCode).toBe(200);
    expect(completions()).toHaveLength(1);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
  });

  it.each([
    ['the link id', { l: 'AAAAAAAAAAAAAAAAAAAAAAAA' }],
    ['the role', { r: 'MRPIPS' }],
    ['the step', { s: 'NEW_SD_FEEDING.1' }],
    ['the case', { c: 'ZSD-2026-00041' }],
    ['the expiry', { e: String(NOW_S + 999_999) }],
    ['the recipient tag', { t: recipientTag(COLLEAGUE, KEYS) }],
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
    const page = await submit(query.toString(), GOOD_FORM);
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
    const page = await submit(linkQuery(), GOOD_FORM);
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('Ten link nie jest już aktualny');
    expect(writes()).toBe(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('GIVEN a validly signed link for a role that is not the step\'s THEN 404 and nothing is written', async () => {
    const page = await submit(linkQuery({ role: 'MRPIPS' }), GOOD_FORM);
    expect(page.statusCode).toBe(404);
    expect(writes()).toBe(0);
  });

  it('GIVEN a case that is no longer in progress THEN 409 and nothing is written', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ status: 'FAILED' }));
    const page = await submit(linkQuery(), GOOD_FORM);
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
    const page = await submit(linkQuery(), GOOD_FORM);
    // THEN: the conditional completion, only through this link
    const [completion] = completions();
    expect(completion).toBeDefined();
    expect(completion!.sk).toBe('STEP#OLD_SD_DEACTIVATED.1');
    expect(completion!.values[':hash']).toBe(hashLinkId(linkId));
    expect(completion!.values[':response']).toEqual({ deactivatedOn: TODAY, confirmed: true });
    expect(completion!.values[':by']).toEqual({ email: JST_EMAIL, role: 'JST', ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (test)', linkId });
    expect(completion!.input.ReturnValues).toBe('ALL_NEW');
    expect(completion!.set.completionId).toMatch(/^[0-9a-f-]{36}$/);
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
    await submit(linkQuery(), GOOD_FORM);
    const forget = updates(ddb, { sk: 'STEP#OLD_SD_DEACTIVATED.1' }).find((u) => u.update === 'REMOVE #token');
    expect(forget).toBeDefined();
    expect(forget!.names['#token']).toBe('taskToken');
    const [event] = timelineWrites(ddb);
    expect(event).toMatchObject({ id: 'confirmed:OLD_SD_DEACTIVATED.1', action: 'STEP_CONFIRMED', actor: { role: 'JST', email: JST_EMAIL } });
    expect(reopens()).toHaveLength(0);
  });

  it('GIVEN a form without the ticked checkbox WHEN posted THEN 400 with the error inline and nothing written or handed on', async () => {
    const page = await submit(linkQuery(), { deactivatedOn: TODAY });
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('<p class="error" id="f-confirmed-error">Błąd: Zaznacz potwierdzenie, aby kontynuować.</p>');
    expect(page.body).toContain(`value="${TODAY}"`);
    expect(writes()).toBe(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it.each([
    ['pl', 'Pole zawiera niedozwolone znaki sterujące lub niewidoczne znaki formatujące'],
    ['en', 'The field contains control characters or invisible formatting characters'],
  ])('GIVEN a note with a direction override (lang=%s) WHEN posted THEN 400 with the message on the note, nothing written or handed on', async (lang, message) => {
    const query = lang === 'en' ? `${linkQuery()}&lang=en` : linkQuery();
    const page = await submit(query, { ...GOOD_FORM, note: 'Zgodnie z umową \u202Egnp.exe' });
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('id="f-note-error"');
    expect(page.body).toContain(message);
    expect(writes()).toBe(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('GIVEN a date in the future (Polish calendar) WHEN posted THEN 400 and nothing written', async () => {
    const page = await submit(linkQuery(), { deactivatedOn: '2026-03-11', confirmed: 'tak' });
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('Data nie może być w przyszłości.');
    expect(writes()).toBe(0);
  });

  it('GIVEN it is already the next day in Poland (23:30 UTC) THEN that date is accepted as today', async () => {
    completeStepSucceeds();
    const lateEvening = new Date('2026-03-10T23:30:00.000Z'); // 00:30 on 11 March in Warsaw
    const page = await submit(linkQuery({ expiresAt: lateEvening.getTime() / 1000 + 3600 }), { deactivatedOn: '2026-03-11', confirmed: 'tak' }, lateEvening);
    expect(page.statusCode).toBe(200);
  });

  it.each([
    ['TaskTimedOut', () => new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
    ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} })],
  ])('GIVEN the task is gone (%s) as its link expires (it timed out) WHEN posted THEN the step is reopened for this link and a 410 page says to use the newest link', async (_name, error) => {
    completeStepSucceeds();
    sfn.on(SendTaskSuccessCommand).rejects(error());
    const page = await submit(linkQuery({ expiresAt: NOW_S + 30 }), GOOD_FORM);
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('Link nieaktualny');
    expect(page.body).toContain('Nic nie zostało zmienione');
    const [reopen] = reopens();
    expect(reopen).toBeDefined();
    expect(reopen!.sk).toBe('STEP#OLD_SD_DEACTIVATED.1');
    expect(reopen!.values).toMatchObject({ ':pending': 'PENDING', ':completed': 'COMPLETED', ':hash': hashLinkId(linkId), ':completion': completions()[0]!.values[':completion'] });
    expect(reopen!.update).toMatch(/^SET #status = :pending REMOVE /);
    // Nothing claims the step was confirmed.
    expect(updates(ddb, { sk: 'CASE' })).toHaveLength(0);
    expect(updates(ddb).some((u) => u.update === 'REMOVE #token')).toBe(false);
  });

  it('GIVEN the task is gone long before its link expires (the execution was stopped or ended) WHEN posted THEN 409 "no longer waits", reopened, nothing claimed', async () => {
    completeStepSucceeds();
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    const page = await submit(linkQuery(), GOOD_FORM);
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('Krok nie oczekuje na potwierdzenie');
    expect(page.body).toContain('Nic nie zostało zmienione');
    expect(page.body).not.toContain('wysyłamy nowy link');
    expect(reopens()).toHaveLength(1);
    expect(updates(ddb, { sk: 'CASE' })).toHaveLength(0);
  });

  it('GIVEN a transient Step Functions error WHEN posted THEN the step is reopened and the error is rethrown (the page handler shows 503)', async () => {
    completeStepSucceeds();
    const throttled = serviceError('ThrottlingException', 400, 'Rate exceeded');
    sfn.on(SendTaskSuccessCommand).rejects(throttled);
    await expect(submit(linkQuery(), GOOD_FORM)).rejects.toBe(throttled);
    expect(reopens()).toHaveLength(1);
    expect(reopens()[0]!.values[':hash']).toBe(hashLinkId(linkId));
    expect(updates(ddb, { sk: 'CASE' })).toHaveLength(0);
  });

  it('GIVEN the answer of the completion write is lost (the SDK gave up) THEN this submission\'s completion is undone, if it happened, and the error propagates (503 "nothing saved")', async () => {
    const lost = serviceError('InternalServerError', 500);
    ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      if (readUpdate(input).condition === COMPLETE_CONDITION) throw lost;
      return {};
    });
    await expect(submit(linkQuery(), GOOD_FORM)).rejects.toBe(lost);
    const [reopen] = reopens();
    expect(reopen!.values[':completion']).toBe(completions()[0]!.values[':completion']);
    expect(sfn.calls()).toHaveLength(0);
    expect(updates(ddb, { sk: 'CASE' })).toHaveLength(0);
  });

  it('GIVEN the SDK had to resend SendTaskSuccess and the retry finds the task closed THEN the first attempt delivered it: confirmed, not reopened', async () => {
    completeStepSucceeds();
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: { attempts: 2 } }));
    const page = await submit(linkQuery(), GOOD_FORM);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('potwierdzenie zapisane');
    expect(reopens()).toHaveLength(0);
    expect(timelineWrites(ddb)[0]!.id).toBe('confirmed:OLD_SD_DEACTIVATED.1');
    expect(logs()).toContain('task answer lost; its retry found the task closed by it');
  });

  it('GIVEN the task took the response but the bookkeeping after it fails THEN the participant still sees the confirmation (apply-response finishes the record)', async () => {
    ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      const update = readUpdate(input);
      if (update.condition === COMPLETE_CONDITION) {
        const completed = { ...pendingStep(), status: 'COMPLETED', response: update.values[':response'], completedAt: update.values[':now'], completedBy: update.values[':by'], completedLinkIdHash: update.values[':hash'] };
        return { Attributes: marshall({ pk: update.pk, sk: update.sk, ...completed }, { removeUndefinedValues: true }) };
      }
      throw serviceError('ProvisionedThroughputExceededException', 400);
    });
    const page = await submit(linkQuery(), GOOD_FORM);
    expect(page.statusCode).toBe(200);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
    expect(reopens()).toHaveLength(0);
    expect(logs()).toContain('step confirmed; its record is completed by apply-response');
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
    const page = await submit(linkQuery(), GOOD_FORM);
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
    const page = await submit(linkQuery(), GOOD_FORM);
    expect(page.statusCode).toBe(409);
    expect(writes()).toBe(0);
  });

  it('GIVEN new collection codes that another case already holds WHEN posted THEN 409 with the error on that field and nothing completed', async () => {
    linkId = newLinkId();
    table
      .put(`CASE#${CASE_ID}`, 'CASE', caseRecord({ variant: 'WITH_MIGRATION' }))
      .put(`CASE#${CASE_ID}`, 'STEP#NEW_COLLECTIONS.1', pendingStep({ stepKey: 'NEW_COLLECTIONS.1', step: 'NEW_COLLECTIONS', role: 'MRPIPS', recipient: MRPIPS_EMAIL }))
      .put('COLLECTION#NFA-01', 'COLLECTION', { code: 'NFA-01', state: 'ACTIVE', area: 'x', teryt: '0201011', kind: 'NEW', lockedByCase: 'ZSD-2026-00007', lastCaseId: 'ZSD-2026-00007', updatedAt: '2026-01-01T00:00:00Z' });
    const page = await submit(linkQuery({ step: 'NEW_COLLECTIONS.1', role: 'MRPIPS', recipient: MRPIPS_EMAIL }), { 'newCollections.0.newCollectionCode': 'NSR-01', 'newCollections.1.newCollectionCode': 'nfa-01' });
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('<p class="error" id="f-newCollections-1-newCollectionCode-error">Błąd: Zbiór o kodzie NFA-01 jest już zarejestrowany w CBB.</p>');
    expect(writes()).toBe(0);
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('the page token (csrf)', () => {
  it('GIVEN a valid form posted without the page token THEN 403 "Formularz nieważny" and nothing is written, handed on or sent', async () => {
    completeStepSucceeds();
    const page = await open('POST', linkQuery(), GOOD_FORM);
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('Formularz nieważny');
    nothingChanged();
  });

  it('GIVEN an invalid form posted without the token THEN 403 (the token is checked before the form is read)', async () => {
    const page = await open('POST', linkQuery(), { deactivatedOn: 'x' });
    expect(page.statusCode).toBe(403);
    expect(page.body).not.toContain('class="error"');
  });

  it('GIVEN the token of another link (another page) THEN 403 and nothing written', async () => {
    const other = linkQuery({ linkId: newLinkId() });
    const page = await open('POST', linkQuery(), { ...GOOD_FORM, csrf: tokenOf(other) });
    expect(page.statusCode).toBe(403);
    nothingChanged();
  });

  it('GIVEN the link\'s signature posted as the token THEN 403', async () => {
    const page = await open('POST', linkQuery(), { ...GOOD_FORM, csrf: new URLSearchParams(linkQuery()).get('sig')! });
    expect(page.statusCode).toBe(403);
    nothingChanged();
  });

  it('GIVEN a token computed with another key than the link\'s (during a rotation) THEN 403', async () => {
    const during = signingKeysSchema.parse({ current: 'k2', k1: KEY_1, k2: KEY_2 });
    const query = linkQuery({}, KEYS); // signed with k1 before the rotation
    const wrongKey = formToken(during, 'k2', new URLSearchParams(query).get('sig')!);
    const page = await open('POST', query, { ...GOOD_FORM, csrf: wrongKey }, NOW, during);
    expect(page.statusCode).toBe(403);
    nothingChanged();
  });

  it('GIVEN a link signed before a key rotation WHEN its page is posted during the rotation THEN the step is confirmed', async () => {
    completeStepSucceeds();
    const during = signingKeysSchema.parse({ current: 'k2', k1: KEY_1, k2: KEY_2 });
    const query = linkQuery({}, KEYS);
    const page = await submit(query, GOOD_FORM, NOW, during);
    expect(page.statusCode).toBe(200);
    expect(completions()).toHaveLength(1);
  });

  it('GIVEN a hand-over posted without the token THEN 403, the step is not handed over and nobody is e-mailed', async () => {
    const page = await open('POST', linkQuery(), { action: 'reassign', delegateEmail: COLLEAGUE });
    expect(page.statusCode).toBe(403);
    nothingChanged();
  });

  it.each([
    ['empty', ''],
    ['truncated', 'x'],
  ])('GIVEN a token that is %s THEN 403', async (_what, csrf) => {
    const page = await open('POST', linkQuery(), { ...GOOD_FORM, csrf });
    expect(page.statusCode).toBe(403);
    nothingChanged();
  });
});

describe('links are bound to their recipient', () => {
  it('GIVEN a link whose recipient tag is not the step\'s recipient (the step was handed over) WHEN opened THEN 410 "Link nieaktualny" and nothing is written', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', pendingStep({ recipient: COLLEAGUE, delegatedBy: JST_EMAIL }));
    const page = await open('GET');
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('Ten link nie jest już aktualny');
    nothingChanged();
  });

  it('GIVEN a link whose recipient tag does not match WHEN posted with its page token THEN 410 and nothing is completed or handed on', async () => {
    completeStepSucceeds();
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', pendingStep({ recipient: COLLEAGUE }));
    const page = await submit(linkQuery(), GOOD_FORM);
    expect(page.statusCode).toBe(410);
    nothingChanged();
  });

  it('GIVEN a link signed for another person but carrying the current link id THEN 410 (the tag alone refuses it)', async () => {
    const page = await submit(linkQuery({ recipient: 'ktos.inny@mops.przykladowo.pl' }), GOOD_FORM);
    expect(page.statusCode).toBe(410);
    nothingChanged();
  });

  it('GIVEN a step handed to a colleague WHEN the colleague opens and confirms with their own link THEN it is confirmed as the colleague', async () => {
    completeStepSucceeds();
    const colleagueLinkId = newLinkId();
    const step = pendingStep({ recipient: COLLEAGUE, delegatedBy: JST_EMAIL, linkIdHash: hashLinkId(colleagueLinkId) });
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', step);
    ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      const update = readUpdate(input);
      if (update.condition !== COMPLETE_CONDITION) return {};
      return { Attributes: marshall({ pk: update.pk, sk: update.sk, ...step, status: 'COMPLETED', response: update.values[':response'], completedBy: update.values[':by'] }, { removeUndefinedValues: true }) };
    });
    const query = linkQuery({ recipient: COLLEAGUE, linkId: colleagueLinkId });
    expect((await open('GET', query)).body).toContain(`Potwierdzasz jako: <strong>${COLLEAGUE}</strong>`);
    const page = await submit(query, GOOD_FORM);
    expect(page.statusCode).toBe(200);
    expect(completions()[0]!.values[':by']).toMatchObject({ email: COLLEAGUE, role: 'JST', linkId: colleagueLinkId });
    expect(JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output!).participant).toEqual({ email: COLLEAGUE, role: 'JST' });
    const event = timelineWrites(ddb)[0]!;
    expect(event.actor).toEqual({ role: 'JST', email: COLLEAGUE });
  });
});

describe('a superseded link shows nothing of the step', () => {
  const SECRET_NOTE = 'Uwagi poufne: serwer SD-7 wyłączono po awarii';
  const otherLink = hashLinkId(newLinkId());
  const handOver = (by: { role: 'JST' | 'MRPIPS'; email: string }) => ({ id: 'reassigned:OLD_SD_DEACTIVATED.1:abcdef012345', fromLinkIdHash: hashLinkId(linkId), from: JST_EMAIL, to: COLLEAGUE, by, at: '2026-03-10T08:30:00.000Z' });
  const superseded: [string, () => Partial<StepRecord>][] = [
    ['replaced by a reminder', () => ({ linkIdHash: otherLink, remindersSent: 1 })],
    ['sent again by MRPiPS (resend)', () => ({ linkIdHash: otherLink, resends: 1 })],
    ['handed over through the link page', () => ({ linkIdHash: otherLink, recipient: COLLEAGUE, delegatedBy: JST_EMAIL, handOvers: 1, handOver: handOver({ role: 'JST', email: JST_EMAIL }) })],
    ['reassigned by MRPiPS', () => ({ linkIdHash: otherLink, recipient: COLLEAGUE, delegatedBy: MRPIPS_EMAIL, reassignments: 1, handOver: handOver({ role: 'MRPIPS', email: MRPIPS_EMAIL }) })],
  ];
  const cases = superseded.flatMap(([how, change]) => (['pl', 'en'] as const).map((lang): [string, string, () => Partial<StepRecord>, 'pl' | 'en'] => [how, lang, change, lang]));

  it.each(cases)('GIVEN a link %s and the step then confirmed WHEN the old link is opened (lang=%s) THEN a neutral page: no name, address, date, answer or note', async (_how, _lang, change, lang) => {
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', {
      ...pendingStep(change()),
      status: 'COMPLETED',
      taskToken: undefined,
      response: { deactivatedOn: '2026-03-09', confirmed: true, note: SECRET_NOTE },
      completedAt: '2026-03-10T08:59:00.000Z',
      completedBy: { email: COLLEAGUE, role: 'JST', ip: '198.51.100.1', userAgent: 'x', linkId: 'the-current-link-id-0123' },
    });
    const query = lang === 'en' ? `${linkQuery()}&lang=en` : linkQuery();
    for (const page of [await open('GET', query), await submit(query, GOOD_FORM)]) {
      expect(page.statusCode).toBe(410);
      expect(page.body).toContain(lang === 'en' ? 'This link is no longer valid' : 'Ten link nie jest już aktualny. Jeżeli otrzymali Państwo nowszą wiadomość');
      for (const secret of [COLLEAGUE, JST_EMAIL, MRPIPS_EMAIL, SECRET_NOTE, '2026-03-09', '9 marca 2026', '10 marca 2026', 'March 2026', '08:59', '09:59', 'potwierdzon', 'confirmed by']) expect(page.body).not.toContain(secret);
    }
    nothingChanged();
  });

  it('GIVEN the link that confirmed the step WHEN opened again THEN it still shows who confirmed and what (it is the step\'s current link)', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', {
      ...pendingStep(),
      status: 'COMPLETED',
      response: { deactivatedOn: '2026-03-09', confirmed: true, note: SECRET_NOTE },
      completedAt: '2026-03-10T08:59:00.000Z',
      completedBy: { email: JST_EMAIL, role: 'JST', ip: '198.51.100.1', userAgent: 'x', linkId },
    });
    const page = await open('GET');
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('Ten krok został już potwierdzony');
    expect(page.body).toContain(SECRET_NOTE);
  });

  it('GIVEN a step cancelled after its link was replaced WHEN the old link is opened THEN the same neutral page', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', { ...pendingStep({ linkIdHash: otherLink }), status: 'CANCELLED' });
    const page = await open('GET');
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('Ten link nie jest już aktualny');
  });
});

describe('handing the step to a colleague (action=reassign)', () => {
  it('GIVEN the contact-confirmation step THEN it cannot be handed over: the form error is shown and nothing changes', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#CONFIRM_CONTACT.1', { ...pendingStep({ stepKey: 'CONFIRM_CONTACT.1', step: 'CONFIRM_CONTACT' }) });
    const page = await reassign(COLLEAGUE, linkQuery({ step: 'CONFIRM_CONTACT.1' }));
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('Tego kroku nie można przekazać');
    nothingChanged();
  });

  it('GIVEN the e-mail to the colleague fails THEN the step is given back to this link (conditional on the new link) and the error propagates', async () => {
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error('SES down'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }));
    await expect(reassign(COLLEAGUE)).rejects.toThrow('SES down');
    const [handOver] = reassignments();
    const [giveBack] = updates(ddb).filter((u) => u.condition === GIVE_BACK_CONDITION);
    expect(handOver!.set).toMatchObject({ recipient: COLLEAGUE });
    expect(handOver!.update).toContain('ADD #count :one');
    expect(giveBack!.set).toMatchObject({ recipient: JST_EMAIL, linkIdHash: hashLinkId(linkId) });
    expect(giveBack!.update).toContain('ADD #count :minusOne');
    expect(giveBack!.values[':newLink']).toBe(handOver!.values[':newLink']);
  });

  it('GIVEN a colleague\'s address WHEN the hand-over is posted THEN the step is moved conditionally on this link, to the colleague, with a new link id', async () => {
    const page = await reassign(' Jan.Nowak@MOPS.przykladowo.pl ');
    expect(page.statusCode).toBe(200);
    const [write] = reassignments();
    expect(write).toBeDefined();
    expect(write!).toMatchObject({ pk: `CASE#${CASE_ID}`, sk: 'STEP#OLD_SD_DEACTIVATED.1' });
    expect(write!.values).toMatchObject({ ':currentLink': hashLinkId(linkId), ':pending': 'PENDING', ':recipient': COLLEAGUE, ':delegatedBy': JST_EMAIL });
    expect(write!.set).toMatchObject({ recipient: COLLEAGUE, linkIdHash: write!.values[':newLink'], delegatedBy: JST_EMAIL });
    expect(write!.values[':newLink']).not.toBe(hashLinkId(linkId));
    // Only the hand-over: nothing completed, nothing handed to Step Functions, the token stays where it is.
    expect(completions()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
    expect(JSON.stringify(write)).not.toContain(TOKEN);
  });

  it('GIVEN a hand-over THEN the colleague gets a request with their own link (same step, same expiry), naming who handed it over, without the task token', async () => {
    await reassign(COLLEAGUE);
    const [toColleague] = queuedEmails(sqs);
    // The colleague's link goes to the colleague alone: nobody (not the supplier) is copied.
    expect(toColleague).toMatchObject({ to: [COLLEAGUE], cc: [] });
    expect(toColleague!.subject).toContain(`${STEPS.OLD_SD_DEACTIVATED.title} — prośba o potwierdzenie`);
    expect(toColleague!.text).toContain(`${JST_EMAIL} przekazał(a) Ci ten krok do wykonania.`);
    const link = linkIn(toColleague!.text);
    const check = verifyLink(Object.fromEntries(link.searchParams), KEYS, NOW_S);
    expect(check).toMatchObject({ ok: true, claims: { caseId: CASE_ID, step: 'OLD_SD_DEACTIVATED.1', role: 'JST', recipientTag: recipientTag(COLLEAGUE, KEYS), expiresAt: NOW_S + 3600 } });
    expect(check.ok && hashLinkId(check.claims.linkId)).toBe(reassignments()[0]!.values[':newLink']);
    expect(JSON.stringify(toColleague)).not.toContain(TOKEN);
  });

  it('GIVEN a hand-over THEN MRPiPS is told who handed which step to whom, and both e-mails link the status page', async () => {
    await reassign(COLLEAGUE);
    const mails = queuedEmails(sqs);
    expect(mails).toHaveLength(2);
    // Two messages, two keys: send-email would take a second message under one key for a copy of the first.
    expect(new Set(mails.map((m) => m.mailKey)).size).toBe(2);
    const [, toMrpips] = mails;
    expect(toMrpips).toMatchObject({ to: [MRPIPS_EMAIL], cc: [] });
    expect(toMrpips!.subject).toContain('przekazano innej osobie');
    expect(toMrpips!.text).toContain(`${JST_EMAIL} przekazał(a) krok ${STEPS.OLD_SD_DEACTIVATED.ref} osobie: ${COLLEAGUE}.`);
    expect(toMrpips!.text).not.toContain('/potwierdzenie');
    for (const mail of mails) {
      const status = new URL(/Przebieg i stan sprawy \(tylko do odczytu\): (\S+)/.exec(mail.text)![1]!);
      expect(status.pathname).toBe('/sprawa');
      expect(verifyStatusLink(Object.fromEntries(status.searchParams), KEYS, NOW_S)).toEqual({ ok: true, caseId: CASE_ID });
    }
    // Nobody is copied, and no message goes to the supplier: the hand-over changes nothing the supplier does.
    expect(mails.map((m) => m.cc)).toEqual([[], []]);
    expect(mails.flatMap((m) => m.to)).not.toContain(SUPPLIER_EMAIL);
  });

  it('GIVEN a hand-over THEN the timeline records STEP_REASSIGNED by the person who handed it over, after the write and the e-mails', async () => {
    await reassign(COLLEAGUE);
    const event = timelineWrites(ddb)[0]!;
    expect(event).toMatchObject({ action: 'STEP_REASSIGNED', actor: { role: 'JST', email: JST_EMAIL }, step: 'OLD_SD_DEACTIVATED.1', at: NOW.toISOString() });
    expect(event.id).toMatch(/^reassigned:OLD_SD_DEACTIVATED\.1:[0-9a-f]{12}$/);
    expect(event.summary).toContain(`z ${JST_EMAIL} do ${COLLEAGUE}`);
    const calls = ddb.commandCalls(UpdateItemCommand);
    const stepCall = calls.find((c) => c.args[0].input.ConditionExpression === REASSIGN_CONDITION)!;
    const caseCall = calls.find((c) => c.args[0].input.Key!.sk!.S === 'CASE')!;
    const [firstMail, lastMail] = sqs.commandCalls(SendMessageCommand);
    expect(stepCall.calledBefore(firstMail!)).toBe(true);
    expect(lastMail!.calledBefore(caseCall)).toBe(true);
  });

  it('GIVEN a hand-over THEN the page says it was handed over, to whom, and that this link stopped working', async () => {
    const page = await reassign(COLLEAGUE);
    expect(page.body).toContain('<h1>Krok przekazany</h1>');
    expect(page.body).toContain(`<strong>${COLLEAGUE}</strong>`);
    expect(page.body).toContain('Twój link przestał działać');
    expect(page.body).not.toContain(TOKEN);
    expect(logs()).not.toContain(TOKEN);
  });

  it('GIVEN a step handed over before (A → B) WHEN B hands it on to C THEN C is told B handed it over', async () => {
    const bLinkId = newLinkId();
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', pendingStep({ recipient: COLLEAGUE, delegatedBy: JST_EMAIL, linkIdHash: hashLinkId(bLinkId) }));
    const page = await reassign('ewa.zielinska@mops.przykladowo.pl', linkQuery({ recipient: COLLEAGUE, linkId: bLinkId }));
    expect(page.statusCode).toBe(200);
    expect(reassignments()[0]!.values).toMatchObject({ ':currentLink': hashLinkId(bLinkId), ':recipient': 'ewa.zielinska@mops.przykladowo.pl', ':delegatedBy': COLLEAGUE });
    expect(queuedEmails(sqs)[0]!.text).toContain(`${COLLEAGUE} przekazał(a) Ci ten krok`);
  });

  it.each([
    ['an invalid address', 'jan@', 'Wpisz poprawny adres e-mail, np. jan.kowalski@gmina.pl.'],
    ['no address', '', 'Pole jest wymagane.'],
    ['the address the link was sent to', 'ANNA.Kowalska@mops.przykladowo.pl', 'To jest adres, na który wysłano ten link. Podaj adres innej osoby.'],
  ])('GIVEN %s THEN 400 with the error next to the colleague field, the page token kept, and nothing written or sent', async (_what, address, message) => {
    const page = await reassign(address);
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain(`<p class="error" id="f-delegateEmail-error">Błąd: ${message}</p>`);
    expect(page.body.match(new RegExp(`name="csrf" value="${tokenOf(linkQuery())}"`, 'g'))).toHaveLength(2);
    nothingChanged();
  });

  it('GIVEN the hand-over form without the address field THEN 400 asking for it', async () => {
    const page = await submit(linkQuery(), { action: 'reassign' });
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('id="f-delegateEmail-error">Błąd: Pole jest wymagane.');
    nothingChanged();
  });

  it('GIVEN the step was confirmed between opening the page and handing it over THEN 409 "already confirmed", nobody is e-mailed, the timeline untouched', async () => {
    ddb.on(UpdateItemCommand).callsFake(() => {
      table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', {
        ...pendingStep(),
        status: 'COMPLETED',
        response: { deactivatedOn: '2026-03-09', confirmed: true },
        completedAt: '2026-03-10T08:59:00.000Z',
        completedBy: { email: JST_EMAIL, role: 'JST', ip: '198.51.100.1', userAgent: 'x', linkId },
      });
      throw conditionalCheckFailed();
    });
    const page = await reassign(COLLEAGUE);
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('Ten krok został już potwierdzony');
    expect(reassignments()).toHaveLength(1);
    expect(updates(ddb, { sk: 'CASE' })).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('GIVEN a reminder replaced the link between opening the page and handing it over THEN 410 "Link nieaktualny", nobody is e-mailed', async () => {
    ddb.on(UpdateItemCommand).callsFake(() => {
      table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', pendingStep({ linkIdHash: hashLinkId(newLinkId()), remindersSent: 1 }));
      throw conditionalCheckFailed();
    });
    const page = await reassign(COLLEAGUE);
    expect(page.statusCode).toBe(410);
    expect(sqs.calls()).toHaveLength(0);
    expect(updates(ddb, { sk: 'CASE' })).toHaveLength(0);
  });

  it('GIVEN the same link handed over twice (a double click) THEN the second is refused: the first one changed the link', async () => {
    ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      const update = readUpdate(input);
      if (update.condition !== REASSIGN_CONDITION) return {};
      const current = table.items.get(`CASE#${CASE_ID}|STEP#OLD_SD_DEACTIVATED.1`) as unknown as StepRecord;
      if (current.linkIdHash !== update.values[':currentLink']) throw conditionalCheckFailed();
      table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', { ...current, recipient: update.values[':recipient'], linkIdHash: update.values[':newLink'], delegatedBy: update.values[':delegatedBy'] });
      return {};
    });
    const first = await reassign(COLLEAGUE);
    const second = await reassign('ewa.zielinska@mops.przykladowo.pl');
    expect([first.statusCode, second.statusCode]).toEqual([200, 410]);
    expect(queuedEmails(sqs).map((m) => m.to[0])).toEqual([COLLEAGUE, MRPIPS_EMAIL]);
  });

  it('GIVEN a step already confirmed WHEN a hand-over is posted THEN 409 at once, no write attempted', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', {
      ...pendingStep(),
      status: 'COMPLETED',
      completedAt: '2026-03-10T08:59:00.000Z',
      completedBy: { email: JST_EMAIL, role: 'JST', ip: '198.51.100.1', userAgent: 'x', linkId },
    });
    const page = await reassign(COLLEAGUE);
    expect(page.statusCode).toBe(409);
    nothingChanged();
  });

  it('GIVEN a case that is no longer in progress THEN a hand-over is refused with 409 and nothing changes', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ status: 'ESCALATED' }));
    const page = await reassign(COLLEAGUE);
    expect(page.statusCode).toBe(409);
    nothingChanged();
  });

  it('GIVEN a GET or HEAD carrying a hand-over form (token included) THEN nothing is handed over (only POST acts)', async () => {
    for (const method of ['GET', 'HEAD']) {
      const page = await open(method, linkQuery(), { action: 'reassign', delegateEmail: COLLEAGUE, csrf: tokenOf(linkQuery()) });
      expect(page.statusCode).toBe(200);
    }
    nothingChanged();
  });

  it('GIVEN DynamoDB fails on the hand-over THEN the error propagates and nobody is e-mailed', async () => {
    const throttled = serviceError('ThrottlingException', 400, 'Rate exceeded');
    ddb.on(UpdateItemCommand).rejects(throttled);
    await expect(reassign(COLLEAGUE)).rejects.toBe(throttled);
    expect(sqs.calls()).toHaveLength(0);
  });
});

describe('the bounds of hand-overs and a hand-over that is only half done', () => {
  /** The step item as DynamoDB keeps it through hand-overs: the conditional write applied, its count added. */
  function tableAppliesHandOvers() {
    ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      const update = readUpdate(input);
      const key = `${update.pk}|${update.sk}`;
      const current = table.items.get(key) as unknown as StepRecord;
      if (update.condition === REASSIGN_CONDITION) {
        const count = current.handOvers ?? 0;
        if (current.linkIdHash !== update.values[':currentLink'] || count >= Number(update.values[':max'])) throw conditionalCheckFailed();
        table.items.set(key, { ...current, ...update.set, handOvers: count + 1 });
      }
      return {};
    });
    table.putsIfAbsent();
  }
  const stepItem = () => table.items.get(`CASE#${CASE_ID}|STEP#OLD_SD_DEACTIVATED.1`) as unknown as StepRecord;

  it('GIVEN a step handed over as often as allowed THEN its page has no hand-over form but says MRPiPS can reassign it, and a posted hand-over is refused with 409, nothing changed', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', pendingStep({ handOvers: STEP_LIMITS.MAX_HAND_OVERS_PER_STEP }));
    const page = await open('GET');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('name="action" value="reassign"');
    expect(page.body).toContain('Tego kroku nie można już przekazać za pomocą linku');
    expect(page.body).toContain('MRPiPS (Departament Informatyki), które może przypisać go innej osobie');
    // The step itself can still be confirmed.
    expect(page.body).toContain(STEPS.OLD_SD_DEACTIVATED.submitLabel);

    const refused = await reassign(COLLEAGUE);
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('<h1>Nie można przekazać kroku</h1>');
    expect(refused.body).toContain('Nic nie zostało zmienione.');
    nothingChanged();
  });

  it('GIVEN one hand-over left WHEN the write finds the bound reached meanwhile (a concurrent hand-over) THEN 409 with the same page, nobody e-mailed', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', pendingStep({ handOvers: STEP_LIMITS.MAX_HAND_OVERS_PER_STEP - 1 }));
    ddb.on(UpdateItemCommand).callsFake(() => {
      table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', pendingStep({ handOvers: STEP_LIMITS.MAX_HAND_OVERS_PER_STEP }));
      throw conditionalCheckFailed();
    });
    const page = await reassign(COLLEAGUE);
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('Tego kroku nie można już przekazać za pomocą linku');
    expect(reassignments()[0]!.values[':max']).toBe(STEP_LIMITS.MAX_HAND_OVERS_PER_STEP);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('GIVEN the colleague got the link but the notice to MRPiPS fails THEN the page says the step was handed over (202, never "Nic nie zostało zapisane"); the same POST again sends only the missing notice and records the hand-over once', async () => {
    tableAppliesHandOvers();
    let sent = 0;
    sqs.on(SendMessageCommand).callsFake(() => {
      if (++sent === 2) throw Object.assign(new Error('SES down'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
      return { MessageId: `m${sent}` };
    });
    const first = await reassign(COLLEAGUE);
    expect(first.statusCode).toBe(202);
    expect(first.body).toContain('<h1>Krok przekazany</h1>');
    expect(first.body).toContain(`został przekazany osobie: <strong>${COLLEAGUE}</strong>`);
    expect(first.body).toContain('Prosimy za kilka minut wysłać formularz ponownie');
    expect(first.body).not.toContain('Nic nie zostało zapisane');
    // The step stays with the colleague (their link works), counted once; nothing recorded on the timeline yet.
    expect(stepItem()).toMatchObject({ recipient: COLLEAGUE, delegatedBy: JST_EMAIL, handOvers: 1, handOver: { from: JST_EMAIL, to: COLLEAGUE, fromLinkIdHash: hashLinkId(linkId) } });
    expect(updates(ddb).filter((u) => u.condition === GIVE_BACK_CONDITION)).toHaveLength(0);
    expect(timelineWrites(ddb)).toHaveLength(0);

    sqs.resetHistory();
    const again = await reassign(COLLEAGUE);
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('<h1>Krok przekazany</h1>');
    // Only the notice that failed; the colleague is not e-mailed a second link, the step not handed over twice.
    expect(queuedEmails(sqs).map((m) => m.to)).toEqual([[MRPIPS_EMAIL]]);
    expect(stepItem()).toMatchObject({ recipient: COLLEAGUE, handOvers: 1 });
    expect(timelineWrites(ddb)).toMatchObject([{ id: stepItem().handOver!.id, action: 'STEP_REASSIGNED', actor: { role: 'JST', email: JST_EMAIL } }]);

    // A third time: everything is done, nothing is sent or recorded again.
    sqs.resetHistory();
    ddb.resetHistory();
    expect((await reassign(COLLEAGUE)).statusCode).toBe(200);
    expect(sqs.calls()).toHaveLength(0);
    expect(table.items.has(`CASE#${CASE_ID}|EVENT#${stepItem().handOver!.id}`)).toBe(true);
    expect(reassignments()).toHaveLength(0);
  });

  it('GIVEN a half-done hand-over WHEN the old link posts a hand-over to someone else THEN it is refused as superseded (only the same hand-over is finished)', async () => {
    tableAppliesHandOvers();
    sqs.on(SendMessageCommand).callsFake(() => {
      if (sqs.commandCalls(SendMessageCommand).length === 2) throw Object.assign(new Error('SES down'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
      return { MessageId: 'm' };
    });
    expect((await reassign(COLLEAGUE)).statusCode).toBe(202);
    const other = await reassign('ewa.zielinska@mops.przykladowo.pl');
    expect(other.statusCode).toBe(410);
    expect(stepItem()).toMatchObject({ recipient: COLLEAGUE, handOvers: 1 });
  });
});

describe('a second click after the step was confirmed', () => {
  it('GIVEN a confirmed step WHEN its link is opened again THEN 409 shows who confirmed, when, and the confirmed data; nothing changes', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', {
      ...pendingStep(),
      status: 'COMPLETED',
      taskToken: undefined,
      response: { deactivatedOn: '2026-03-09', confirmed: true },
      completedAt: '2026-03-10T08:59:00.000Z',
      completedBy: { email: JST_EMAIL, role: 'JST', ip: '198.51.100.1', userAgent: 'x', linkId },
    });
    const page = await open('GET');
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain(`potwierdził(a) <strong>${JST_EMAIL}</strong>`);
    expect(page.body).toContain('<h2>Potwierdzone dane</h2>');
    expect(page.body).toContain('<dt>Data deaktywacji dotychczasowego SD</dt><dd>2026-03-09</dd>');
    expect(page.body).not.toContain('<form');
    nothingChanged();
  });
});
