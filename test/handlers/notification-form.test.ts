import { GetItemCommand, UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PageRequest } from '../../lambdas/adapters/http.js';
import type { FormConfig } from '../../lambdas/core/config.js';
import type { PageResponse } from '../../lambdas/core/pages.js';
import { handleNotificationForm } from '../../lambdas/notification-form/index.js';
import { STEP_IDS } from '../../lambdas/core/steps.js';
import { notificationDigest, parseNotificationForm } from '../../lambdas/core/notification.js';
import { todayInPoland } from '../../lambdas/core/fields.js';
import { FORM_TOKEN_TTL_SECONDS, issueFormToken } from '../../lambdas/core/form.js';
import { signingKeysSchema } from '../../lambdas/core/links.js';
import { NOW, SUPPLIER_EMAIL, notificationForm } from '../unit/fixtures.js';
import { FakeTable, awsMocks, captureLogs, conditionalCheckFailed, readUpdate, serviceError, updates } from './aws.js';

const { ddb, ses, sfn, store, workflow } = awsMocks();
/** The content digest of the default form's notification (what the handler stores with a submission). */
const DIGEST = (() => {
  const parsed = parseNotificationForm(notificationForm(), todayInPoland(NOW));
  if (!parsed.ok) throw new Error('fixture form is invalid');
  return notificationDigest(parsed.notification);
})();
const CONFIG: FormConfig = {
  TABLE_NAME: 'zmiana-sd-test',
  PROCEDURE_STATE_MACHINE_ARN: 'arn:aws:states:eu-central-1:123456789012:stateMachine:procedure',
  RESPONSE_TIMEOUT_SECONDS: 604_800,
  ESCALATE_AFTER_REMINDERS: 2,
  NOTIFICATIONS_PER_HOUR_PER_IP: 20,
  NOTIFICATIONS_PER_HOUR_PER_CONTACT: 5,
  PUBLIC_BASE_URL: 'https://zmiana-sd.example.gov.pl',
  STALLED_AFTER_REMINDERS: 4,
  STALLED_WAIT_SECONDS: 15_552_000,
  REMINDER_SCHEDULE: {},
  // Unlike any other wait here, so the execution input shows it is this one.
  INCIDENT_WAIT_SECONDS: 259_200,
};

let table: FakeTable;
let sequence: number;
let logs: () => string;

const IP = '203.0.113.9';
const SUBMISSION = 'c3VibWlzc2lvbi1pZC0wMTIz';
const HOUR_WINDOW = Math.floor(NOW.getTime() / 1000 / 3600);

const FORM_KEYS = signingKeysSchema.parse({ current: 'f2', f1: 'form-key-one-0123456789abcdefghijklmnop', f2: 'form-key-two-0123456789abcdefghijklmnop' });
const nowSecondsOf = (date: Date) => Math.floor(date.getTime() / 1000);

/** Posts the form as a browser does from our page: with the token a rendering issued (unless the form gives its own). */
function post(form: Record<string, string>, now = NOW, ip = IP, headers: Pick<PageRequest, 'origin' | 'fetchSite'> = { origin: CONFIG.PUBLIC_BASE_URL, fetchSite: 'same-origin' }): Promise<PageResponse> {
  const body = { formToken: issueFormToken(FORM_KEYS, form.submissionId ?? '', ip, nowSecondsOf(now)), ...form };
  const request: PageRequest = { method: 'POST', path: '/zgloszenie', query: {}, rawQuery: '', body: new URLSearchParams(body).toString(), ip, userAgent: 'test', ...headers };
  return handleNotificationForm(request, { store, workflow, config: CONFIG, formKeys: FORM_KEYS, now });
}

const get = (path: string, ip = IP) => handleNotificationForm({ method: 'GET', path, query: {}, rawQuery: '', body: '', ip, userAgent: '' }, { store, workflow, config: CONFIG, formKeys: FORM_KEYS, now: NOW });
const hidden = (body: string, name: string) => new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(body)?.[1];

/**
 * Counters answer like DynamoDB's ADD, a submission claim like if_not_exists (and lands in the table, where
 * the next GetItem finds it), markSubmissionStarted like its condition; everything else succeeds.
 */
const claims = new Map<string, string>();
/** Uses already taken this hour: of the client address's limit, and of the contact address's. */
let uses = 0;
let contactUses = 0;
const counts = new Map<string, number>();
function counterAnswers() {
  ddb.on(UpdateItemCommand).callsFake(answer);
}
function answer(input: UpdateItemCommandInput) {
  {
    const update = readUpdate(input);
    if (update.pk.startsWith('COUNTER#')) return { Attributes: marshall({ seq: ++sequence }) };
    if (update.pk.startsWith('LIMIT#')) {
      // As DynamoDB evaluates takeUse's and giveBackUse's conditions.
      const current = counts.get(update.pk) ?? (update.pk.startsWith('LIMIT#notification-contact#') ? contactUses : uses);
      const max = update.values[':max'] as number | undefined;
      if (max !== undefined ? current >= max : current <= 0) throw conditionalCheckFailed();
      counts.set(update.pk, current + (update.values[':one'] as number ?? update.values[':minusOne'] as number));
      return {};
    }
    if (update.pk.startsWith('SUBMISSION#') && update.update.includes('if_not_exists')) {
      if (!claims.has(update.pk)) claims.set(update.pk, update.values[':caseId'] as string);
      const existing = table.items.get(`${update.pk}|SUBMISSION`) ?? {};
      table.put(update.pk, 'SUBMISSION', { digest: update.values[':digest'], ...existing, caseId: claims.get(update.pk), expiresAt: update.values[':expiresAt'] });
      return { Attributes: marshall({ caseId: claims.get(update.pk) }) };
    }
    if (update.pk.startsWith('SUBMISSION#') && update.update === 'SET #started = :true') {
      const existing = table.items.get(`${update.pk}|SUBMISSION`);
      if (!existing) throw conditionalCheckFailed();
      table.put(update.pk, 'SUBMISSION', { ...existing, started: true });
    }
    return {};
  }
}

const starts = () => sfn.commandCalls(StartExecutionCommand);
const submissionWrites = () => updates(ddb).filter((u) => u.pk.startsWith('SUBMISSION#'));
const limitWrites = () => updates(ddb).filter((u) => u.pk.startsWith('LIMIT#'));
const counterWrites = () => updates(ddb).filter((u) => u.pk.startsWith('COUNTER#'));

const locks = () => updates(ddb, { sk: 'COLLECTION' }).filter((u) => u.update.startsWith('SET #code'));
const releases = () => updates(ddb, { sk: 'COLLECTION' }).filter((u) => u.update.includes('REMOVE #locked'));

beforeEach(() => {
  ddb.reset();
  ses.reset();
  sfn.reset();
  sequence = 0;
  uses = 0;
  contactUses = 0;
  counts.clear();
  claims.clear();
  table = new FakeTable(ddb);
  counterAnswers();
  sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `arn:aws:states:eu-central-1:123456789012:execution:procedure:${input.name}`, startDate: NOW }));
  logs = captureLogs();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('GET', () => {
  it('GIVEN / THEN it redirects to the form', async () => {
    const page = await get('/');
    expect(page.statusCode).toBe(302);
    expect(page.headers.location).toBe('/zgloszenie');
  });

  it('GIVEN /zgloszenie THEN the empty form is shown and nothing is touched', async () => {
    const page = await get('/zgloszenie');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<form method="post" action="/zgloszenie" novalidate>');
    expect(ddb.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('GIVEN /zgloszenie THEN every rendering carries a fresh random submission id', async () => {
    const idOf = (body: string) => hidden(body, 'submissionId')!;
    const first = idOf((await get('/zgloszenie')).body);
    const second = idOf((await get('/zgloszenie')).body);
    expect(first).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(second).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(first).not.toBe(second);
  });
});

describe('POST an invalid notification', () => {
  it('GIVEN wrong fields WHEN posted THEN 400 with the errors inline, the typed values kept, and nothing stored or started', async () => {
    const page = await post(notificationForm({ teryt: '0365011', 'contact.email': 'anna@' }));
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('<p class="error" id="f-teryt-error">Błąd: Pierwsze dwie cyfry kodu TERYT muszą być kodem województwa (02, 04, …, 32).</p>');
    expect(page.body).toContain('<p class="error" id="f-contact-email-error">Błąd: Wpisz poprawny adres e-mail, np. jan.kowalski@gmina.pl.</p>');
    expect(page.body).toContain('value="0365011"');
    expect(ddb.calls()).toHaveLength(0);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('GIVEN an invalid notification with a submission id THEN the form comes back with the same id (the corrected form is the same submission)', async () => {
    const page = await post(notificationForm({ teryt: 'zły', submissionId: SUBMISSION }));
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain(`<input type="hidden" name="submissionId" value="${SUBMISSION}">`);
  });

  it('GIVEN "add another area" pressed THEN the form comes back with one more row and nothing is validated or stored', async () => {
    const page = await post({ ...notificationForm({ teryt: 'zły' }), action: 'addArea', rows: '3' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('id="f-areas-3-area"');
    expect(page.body).not.toContain('class="error"');
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('POST a valid notification', () => {
  it('GIVEN a valid notification WHEN posted THEN the next case number is taken and the procedure started named by the case id; no collection is held before the contact confirms', async () => {
    // WHEN
    const page = await post(notificationForm());
    // THEN: the yearly counter
    const [counter] = updates(ddb, { pk: 'COUNTER#CASE#2026' });
    expect(counter).toMatchObject({ sk: 'COUNTER', update: 'ADD #seq :one' });
    // an unconfirmed notification holds nothing: the codes are taken when the contact confirms (apply-response)
    expect(locks()).toHaveLength(0);
    // the execution
    const [start] = sfn.commandCalls(StartExecutionCommand);
    const input = start!.args[0].input;
    expect(input.stateMachineArn).toBe(CONFIG.PROCEDURE_STATE_MACHINE_ARN);
    expect(input.name).toBe('ZSD-2026-00001');
    const execution = JSON.parse(input.input!);
    expect(execution).toEqual({
      caseId: 'ZSD-2026-00001',
      notification: expect.objectContaining({ teryt: '1465011', areas: [
        { area: 'świadczenia rodzinne', oldCollectionCode: 'SR-01' },
        { area: 'fundusz alimentacyjny', oldCollectionCode: 'FA-01' },
      ] }),
      // One timing per step (a per-step schedule may override the defaults).
      timing: Object.fromEntries(STEP_IDS.map((step) => [step, { responseTimeoutSeconds: 604_800, escalateAfterReminders: 2, stalledAfterReminders: 4, stalledWaitSeconds: 15_552_000 }])),
      // How long an incident of this case waits for the operator (the incident states read it from the input).
      incidentWaitSeconds: 259_200,
    });
    expect(execution.notification.contact.email).toBe('anna.kowalska@mops.przykladowo.pl');
    expect(execution.notification.newSd.contactEmail).toBe(SUPPLIER_EMAIL);
    // the person sees the case number
    expect(page.statusCode).toBe(201);
    expect(page.body).toContain('Numer sprawy: <strong>ZSD-2026-00001</strong>');
    expect(releases()).toHaveLength(0);
  });

  it('GIVEN the counter is at 41 THEN the case id is ZSD-2026-00042', async () => {
    sequence = 41;
    await post(notificationForm());
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.name).toBe('ZSD-2026-00042');
  });

  it('GIVEN it is already New Year in Poland (23:30 UTC on 31 December) THEN the case is numbered in the new year', async () => {
    await post(notificationForm({ plannedChangeDate: '2027-01-15' }), new Date('2026-12-31T23:30:00.000Z'));
    expect(updates(ddb, { pk: 'COUNTER#CASE#2027' })).toHaveLength(1);
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.name).toBe('ZSD-2027-00001');
  });
});

describe('POST a notification for collections a confirmed case holds', () => {
  it('GIVEN a collection held by another case THEN 409 next to the field naming no case, and no number taken, nothing held, nothing started', async () => {
    table.put('COLLECTION#FA-01', 'COLLECTION', { code: 'FA-01', state: 'ACTIVE', area: 'fundusz alimentacyjny', teryt: '1465011', kind: 'OLD', lockedByCase: 'ZSD-2026-00007', lastCaseId: 'ZSD-2026-00007', updatedAt: '2026-02-01T00:00:00Z' });
    const page = await post(notificationForm({ 'areas.1.oldCollectionCode': 'fa-01' }));
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('<p class="error" id="f-areas-1-oldCollectionCode-error">Błąd: Zbiór FA-01 jest już objęty inną sprawą zmiany dostawcy SD.</p>');
    expect(page.body).not.toContain('ZSD-2026-00007');
    expect(counterWrites()).toHaveLength(0);
    expect(submissionWrites()).toHaveLength(0);
    expect(locks()).toHaveLength(0);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('GIVEN rows 0 and 2 filled and the code on row 2 held elsewhere THEN the error is shown on row 2', async () => {
    table.put('COLLECTION#PS-03', 'COLLECTION', { code: 'PS-03', state: 'ACTIVE', area: 'pomoc', teryt: '1465011', kind: 'OLD', lockedByCase: 'ZSD-2026-00009', lastCaseId: 'ZSD-2026-00009', updatedAt: '2026-02-01T00:00:00Z' });
    const page = await post(notificationForm({ 'areas.1.area': '', 'areas.1.oldCollectionCode': '', 'areas.2.area': 'pomoc społeczna', 'areas.2.oldCollectionCode': 'PS-03' }));
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('id="f-areas-2-oldCollectionCode-error">Błąd: Zbiór PS-03 jest już objęty inną sprawą zmiany dostawcy SD.');
    expect(page.body).not.toContain('f-areas-1-oldCollectionCode-error');
  });

  it('GIVEN an archived collection THEN 409 saying it is archived', async () => {
    table.put('COLLECTION#SR-01', 'COLLECTION', { code: 'SR-01', state: 'ARCHIVED', area: 'x', teryt: '1465011', kind: 'OLD', lastCaseId: 'ZSD-2025-00003', updatedAt: '2025-06-01T00:00:00Z' });
    const page = await post(notificationForm());
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('Zbiór SR-01 jest już zarchiwizowany.');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('GIVEN a collection a case once held and gave back (ACTIVE, no holder) THEN the notification is accepted', async () => {
    table.put('COLLECTION#SR-01', 'COLLECTION', { code: 'SR-01', state: 'ACTIVE', area: 'x', teryt: '1465011', kind: 'OLD', lastCaseId: 'ZSD-2025-00003', updatedAt: '2025-06-01T00:00:00Z' });
    expect((await post(notificationForm())).statusCode).toBe(201);
  });

  it('GIVEN the procedure cannot be started THEN the error propagates (the page handler shows 503) and nothing was held', async () => {
    const error = Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    sfn.on(StartExecutionCommand).rejects(error);
    await expect(post(notificationForm())).rejects.toBe(error);
    expect(locks()).toHaveLength(0);
    expect(releases()).toHaveLength(0);
  });
});

describe('a submission creates its case once', () => {
  it('GIVEN a valid notification with its submission id THEN the submission is looked up, claimed for the new case (if_not_exists, expiring in 30 days) and marked started after the execution', async () => {
    const page = await post(notificationForm({ submissionId: SUBMISSION }));
    expect(page.statusCode).toBe(201);
    const lookup = ddb.commandCalls(GetItemCommand).find((c) => c.args[0].input.Key!.pk!.S === `SUBMISSION#${SUBMISSION}`);
    expect(lookup).toBeDefined();
    expect(lookup!.args[0].input.ConsistentRead).toBe(true);
    const [claim, started] = submissionWrites();
    expect(claim).toMatchObject({ pk: `SUBMISSION#${SUBMISSION}`, sk: 'SUBMISSION', update: 'SET #caseId = if_not_exists(#caseId, :caseId), #digest = if_not_exists(#digest, :digest), #expiresAt = :expiresAt' });
    expect(claim!.values).toEqual({ ':caseId': 'ZSD-2026-00001', ':digest': DIGEST, ':expiresAt': NOW.getTime() / 1000 + 30 * 86_400 });
    expect(claim!.input.ReturnValues).toBe('ALL_NEW');
    expect(started).toMatchObject({ pk: `SUBMISSION#${SUBMISSION}`, update: 'SET #started = :true', condition: 'attribute_exists(pk)' });
    // claim → start → started
    const calls = ddb.commandCalls(UpdateItemCommand);
    const claimCall = calls.find((c) => c.args[0].input.UpdateExpression!.includes('if_not_exists(#caseId'))!;
    const startedCall = calls.find((c) => c.args[0].input.UpdateExpression === 'SET #started = :true')!;
    expect(claimCall.calledBefore(starts()[0]!)).toBe(true);
    expect(starts()[0]!.calledBefore(startedCall)).toBe(true);
  });

  it('GIVEN the same submission posted again after it succeeded (double click, browser retry) THEN the same case is shown and nothing is numbered, counted, locked or started again', async () => {
    const first = await post(notificationForm({ submissionId: SUBMISSION }));
    const before = { updates: ddb.commandCalls(UpdateItemCommand).length, starts: starts().length };
    const second = await post(notificationForm({ submissionId: SUBMISSION }));
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.body).toContain('Numer sprawy: <strong>ZSD-2026-00001</strong>');
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(before.updates);
    expect(starts()).toHaveLength(before.starts);
    expect(starts()).toHaveLength(1);
    expect(counterWrites()).toHaveLength(1);
    expect(limitWrites()).toHaveLength(2);
  });

  it('GIVEN two different submissions for the same collections THEN both are accepted as cases of their own (neither holds a code until its contact confirms)', async () => {
    const first = await post(notificationForm({ submissionId: SUBMISSION }));
    const second = await post(notificationForm({ submissionId: 'b3RoZXItc3VibWlzc2lvbi0x' }));
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(starts().map((c) => c.args[0].input.name)).toEqual(['ZSD-2026-00001', 'ZSD-2026-00002']);
    expect(locks()).toHaveLength(0);
  });

  it('GIVEN a submission claimed but not started (the earlier attempt failed) WHEN posted again THEN its case id is reused: no new number, not counted again, the procedure started, the submission marked', async () => {
    table.put(`SUBMISSION#${SUBMISSION}`, 'SUBMISSION', { caseId: 'ZSD-2026-00017', digest: DIGEST, expiresAt: NOW.getTime() / 1000 + 1000 });
    const page = await post(notificationForm({ submissionId: SUBMISSION }));
    expect(page.statusCode).toBe(201);
    expect(page.body).toContain('Numer sprawy: <strong>ZSD-2026-00017</strong>');
    expect(counterWrites()).toHaveLength(0);
    expect(limitWrites()).toHaveLength(0);
    expect(submissionWrites().map((u) => u.update)).toEqual(['SET #started = :true']);
    expect(starts().map((c) => c.args[0].input.name)).toEqual(['ZSD-2026-00017']);
  });

  it('GIVEN the execution of the case already exists (a retry after StartExecution succeeded) THEN it counts as started: the case is shown, the submission marked', async () => {
    table.put(`SUBMISSION#${SUBMISSION}`, 'SUBMISSION', { caseId: 'ZSD-2026-00017', digest: DIGEST, expiresAt: NOW.getTime() / 1000 + 1000 });
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: { httpStatusCode: 400 } }));
    const page = await post(notificationForm({ submissionId: SUBMISSION }));
    expect(page.statusCode).toBe(201);
    expect(page.body).toContain('Numer sprawy: <strong>ZSD-2026-00017</strong>');
    expect(submissionWrites().map((u) => u.update)).toEqual(['SET #started = :true']);
    expect(logs()).not.toContain('"level":"ERROR"');
  });

  it('GIVEN the same submission id with corrected content (the form sent again after an edit) THEN it is a new notification with a fresh submission id', async () => {
    table.put(`SUBMISSION#${SUBMISSION}`, 'SUBMISSION', { caseId: 'ZSD-2026-00017', digest: 'another-content', started: true, expiresAt: NOW.getTime() / 1000 + 1000 });
    const page = await post(notificationForm({ submissionId: SUBMISSION }));
    expect(page.statusCode).toBe(201);
    expect(page.body).not.toContain('ZSD-2026-00017');
    const [claim] = submissionWrites();
    expect(claim!.pk).not.toBe(`SUBMISSION#${SUBMISSION}`);
    expect(starts()).toHaveLength(1);
  });

  it('GIVEN a twin request claimed the submission between the lookup and the claim THEN the twin\'s case id is used (one case per submission)', async () => {
    claims.set(`SUBMISSION#${SUBMISSION}`, 'ZSD-2026-00005');
    const page = await post(notificationForm({ submissionId: SUBMISSION }));
    expect(page.body).toContain('Numer sprawy: <strong>ZSD-2026-00005</strong>');
    expect(starts().map((c) => c.args[0].input.name)).toEqual(['ZSD-2026-00005']);
  });

  it.each([
    ['missing', undefined],
    ['too short', 'abc'],
    ['hostile', '"><img src=x onerror=1>AAAAAAAAAAAAAAAA'],
    ['a key of another item', 'x#CASE#ZSD-2026-00042#12'],
  ])('GIVEN a submission id that is %s THEN a fresh one is used instead', async (_what, submissionId) => {
    const form = notificationForm(submissionId === undefined ? {} : { submissionId });
    const page = await post(form);
    expect(page.statusCode).toBe(201);
    const [claim] = submissionWrites();
    expect(claim!.pk).toMatch(/^SUBMISSION#[A-Za-z0-9_-]{24}$/);
    if (submissionId) expect(claim!.pk).not.toContain(submissionId);
  });

  it('GIVEN a hostile submission id with invalid fields THEN the form comes back with a fresh id, never the hostile one', async () => {
    const page = await post(notificationForm({ teryt: 'zły', submissionId: '"><img src=x onerror=1>' }));
    expect(page.statusCode).toBe(400);
    expect(page.body).not.toContain('<img');
    expect(page.body).toMatch(/<input type="hidden" name="submissionId" value="[A-Za-z0-9_-]{24}">/);
  });

  it('GIVEN marking the submission started fails THEN the error propagates (the page handler shows 503)', async () => {
    const error = serviceError('InternalServerError', 500);
    ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      if (readUpdate(input).update === 'SET #started = :true') throw error;
      return answer(input);
    });
    await expect(post(notificationForm({ submissionId: SUBMISSION }))).rejects.toBe(error);
    expect(starts()).toHaveLength(1);
  });
});

describe('notifications are limited per client address and per contact address', () => {
  const CONTACT_KEY = /^LIMIT#notification-contact#[A-Za-z0-9_-]{43}#\d+$/;

  it('GIVEN a new notification THEN one use is taken, each by one conditional increment, of the client address and of a hash of the contact address, in the hour window, expiring after the next one', async () => {
    await post(notificationForm({ submissionId: SUBMISSION }));
    const [source, contact] = limitWrites();
    expect(source).toMatchObject({ pk: `LIMIT#notification#${IP}#${HOUR_WINDOW}`, sk: 'LIMIT', update: 'ADD #count :one SET #expiresAt = :expiresAt', condition: 'attribute_not_exists(#count) OR #count < :max' });
    expect(source!.values).toEqual({ ':one': 1, ':max': 20, ':expiresAt': (HOUR_WINDOW + 2) * 3600 });
    expect(contact!.pk).toMatch(CONTACT_KEY);
    expect(contact!.pk.endsWith(`#${HOUR_WINDOW}`)).toBe(true);
    expect(contact!.values[':max']).toBe(5);
    // The address itself is never a key.
    expect(JSON.stringify(limitWrites())).not.toContain('kowalska');
  });

  it('GIVEN the same contact address typed differently (case, spaces) THEN it is one counter', async () => {
    await post(notificationForm({ 'contact.email': 'anna.kowalska@mops.przykladowo.pl' }));
    await post(notificationForm({ 'contact.email': '  ANNA.Kowalska@mops.PRZYKLADOWO.pl ' }), NOW, '198.51.100.23');
    const contactKeys = limitWrites().map((w) => w.pk).filter((pk) => CONTACT_KEY.test(pk));
    expect(new Set(contactKeys).size).toBe(1);
  });

  it('GIVEN the client address limit (20) reached in this hour WHEN one more notification comes THEN 429 with Retry-After until the next hour, nothing numbered, claimed or started, and the refusal takes nothing', async () => {
    uses = 20;
    const at = new Date('2026-03-10T09:45:10.000Z');
    const page = await post(notificationForm({ submissionId: SUBMISSION }), at);
    expect(page.statusCode).toBe(429);
    expect(page.headers['retry-after']).toBe(String(3600 - (45 * 60 + 10)));
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('<h1>Zbyt wiele zgłoszeń</h1>');
    expect(page.body).toContain('Z tego adresu sieciowego wysłano w ciągu ostatniej godziny zbyt wiele zgłoszeń. Nic nie zostało zapisane.');
    expect(counts.get(`LIMIT#notification#${IP}#${HOUR_WINDOW}`)).toBeUndefined();
    expect(counterWrites()).toHaveLength(0);
    expect(submissionWrites()).toHaveLength(0);
    expect(starts()).toHaveLength(0);
    expect(logs()).toContain('notification rate limit hit');
    expect(logs()).not.toContain(IP);
  });

  it('GIVEN the contact address limit (5) reached WHEN a notification for it comes from a new client address THEN 429 saying so, and the client address gets its use back', async () => {
    contactUses = 5;
    const page = await post(notificationForm(), NOW, '198.51.100.23');
    expect(page.statusCode).toBe(429);
    expect(page.body).toContain('Na ten adres e-mail osoby kontaktowej wysłano w ciągu ostatniej godziny zbyt wiele zgłoszeń.');
    expect(counts.get(`LIMIT#notification#198.51.100.23#${HOUR_WINDOW}`)).toBe(0);
    expect(starts()).toHaveLength(0);
    expect(logs()).not.toContain('kowalska');
  });

  it('GIVEN one under the limit THEN the limit-th notification in the hour is still accepted, the next refused', async () => {
    uses = 19;
    expect((await post(notificationForm({ submissionId: SUBMISSION }))).statusCode).toBe(201);
    expect((await post(notificationForm({ 'contact.email': 'inna.osoba@mops.przykladowo.pl' }))).statusCode).toBe(429);
    expect(starts()).toHaveLength(1);
  });

  it('GIVEN the limit was hit WHEN the same address posts in the next hour THEN it counts in a new window', async () => {
    await post(notificationForm({ submissionId: SUBMISSION }), new Date('2026-03-10T10:00:00.000Z'));
    expect(limitWrites()[0]!.pk).toBe(`LIMIT#notification#${IP}#${HOUR_WINDOW + 1}`);
  });

  it('GIVEN the limit reached WHEN a submission already claimed is retried THEN it is not counted and goes through', async () => {
    uses = 100;
    table.put(`SUBMISSION#${SUBMISSION}`, 'SUBMISSION', { caseId: 'ZSD-2026-00017', digest: DIGEST, expiresAt: NOW.getTime() / 1000 + 1000 });
    const page = await post(notificationForm({ submissionId: SUBMISSION }));
    expect(page.statusCode).toBe(201);
    expect(limitWrites()).toHaveLength(0);
  });

  it('GIVEN invalid fields THEN the form answers as usual and nothing is counted', async () => {
    uses = 100;
    expect((await post(notificationForm({ teryt: 'zły' }))).statusCode).toBe(400);
    expect(limitWrites()).toHaveLength(0);
  });

  it('GIVEN the limit reached WHEN codes are probed THEN 429 before any collection is looked up (asking which codes are taken is limited like notifying)', async () => {
    uses = 20;
    table.put('COLLECTION#FA-01', 'COLLECTION', { code: 'FA-01', state: 'ACTIVE', area: 'x', teryt: '1465011', kind: 'OLD', lockedByCase: 'ZSD-2026-00007', lastCaseId: 'ZSD-2026-00007', updatedAt: NOW.toISOString() });
    const page = await post(notificationForm());
    expect(page.statusCode).toBe(429);
    expect(page.body).not.toContain('FA-01');
    expect(ddb.commandCalls(GetItemCommand).filter((c) => c.args[0].input.Key!.pk!.S!.startsWith('COLLECTION#'))).toHaveLength(0);
  });

  it('GIVEN a probe refused with 409 THEN it took a use (each look at the codes counts)', async () => {
    table.put('COLLECTION#FA-01', 'COLLECTION', { code: 'FA-01', state: 'ACTIVE', area: 'x', teryt: '1465011', kind: 'OLD', lockedByCase: 'ZSD-2026-00007', lastCaseId: 'ZSD-2026-00007', updatedAt: NOW.toISOString() });
    expect((await post(notificationForm())).statusCode).toBe(409);
    expect(counts.get(`LIMIT#notification#${IP}#${HOUR_WINDOW}`)).toBe(1);
  });

  it('GIVEN another address THEN it has its own counter', async () => {
    await post(notificationForm(), NOW, '198.51.100.23');
    expect(limitWrites()[0]!.pk).toBe(`LIMIT#notification#198.51.100.23#${HOUR_WINDOW}`);
  });
});

describe('the form token', () => {
  const nowSeconds = nowSecondsOf(NOW);

  it('GIVEN the form is shown THEN it carries a token for its submission id and the client address, which its POST is accepted with', async () => {
    const page = await get('/zgloszenie');
    const submissionId = hidden(page.body, 'submissionId')!;
    const formToken = hidden(page.body, 'formToken')!;
    expect(formToken).toBe(issueFormToken(FORM_KEYS, submissionId, IP, nowSeconds));
    expect((await post(notificationForm({ submissionId, formToken }))).statusCode).toBe(201);
  });

  it.each([
    ['missing', () => ''],
    ['forged', () => `f2.${nowSeconds}.${'A'.repeat(43)}`],
    ['issued for another submission id', () => issueFormToken(FORM_KEYS, 'b3RoZXItc3VibWlzc2lvbi0x', IP, nowSeconds)],
    ['issued to another client address', () => issueFormToken(FORM_KEYS, SUBMISSION, '198.51.100.23', nowSeconds)],
    ['signed with a key the secret does not hold', () => issueFormToken(signingKeysSchema.parse({ current: 'f9', f9: 'another-form-key-0123456789abcdefghijklm' }), SUBMISSION, IP, nowSeconds)],
    ['issued in the future', () => issueFormToken(FORM_KEYS, SUBMISSION, IP, nowSeconds + 3600)],
  ])('GIVEN a token that is %s THEN the form comes back with the values, a fresh token and a message, and nothing is saved', async (_what, token) => {
    const page = await post(notificationForm({ submissionId: SUBMISSION, formToken: token() }));
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('Nie można potwierdzić, że formularz wypełniono na tej stronie. Nic nie zostało zapisane. Prosimy sprawdzić dane i wysłać formularz ponownie.');
    expect(page.body).toContain('value="Anna Kowalska"');
    expect(hidden(page.body, 'formToken')).toBe(issueFormToken(FORM_KEYS, SUBMISSION, IP, nowSeconds));
    expect(ddb.calls()).toHaveLength(0);
    expect(starts()).toHaveLength(0);
  });

  it('GIVEN a token older than 24 hours THEN the form comes back saying it expired; one just within is accepted', async () => {
    const expired = await post(notificationForm({ submissionId: SUBMISSION, formToken: issueFormToken(FORM_KEYS, SUBMISSION, IP, nowSeconds - FORM_TOKEN_TTL_SECONDS - 1) }));
    expect(expired.statusCode).toBe(400);
    expect(expired.body).toContain('Formularz był otwarty dłużej niż 24 godziny. Nic nie zostało zapisane.');
    expect(ddb.calls()).toHaveLength(0);
    const within = await post(notificationForm({ submissionId: SUBMISSION, formToken: issueFormToken(FORM_KEYS, SUBMISSION, IP, nowSeconds - FORM_TOKEN_TTL_SECONDS) }));
    expect(within.statusCode).toBe(201);
  });

  it('GIVEN a token signed with an older key still in the secret (rotation) THEN it is accepted', async () => {
    const older = signingKeysSchema.parse({ current: 'f1', f1: 'form-key-one-0123456789abcdefghijklmnop' });
    expect((await post(notificationForm({ submissionId: SUBMISSION, formToken: issueFormToken(older, SUBMISSION, IP, nowSeconds) }))).statusCode).toBe(201);
  });

  it('GIVEN a page re-rendered for errors or another area row THEN it carries a fresh token for its submission id', async () => {
    for (const form of [notificationForm({ teryt: 'zły', submissionId: SUBMISSION }), { ...notificationForm({ submissionId: SUBMISSION }), action: 'addArea', rows: '3' }]) {
      const page = await post(form, new Date(NOW.getTime() + 60_000));
      expect(hidden(page.body, 'formToken')).toBe(issueFormToken(FORM_KEYS, SUBMISSION, IP, nowSeconds + 60));
    }
  });
});

describe('cross-site posts', () => {
  it.each([
    ['another Origin', { origin: 'https://evil.example', fetchSite: 'cross-site' }],
    ['another Origin, no Sec-Fetch-Site (an older browser)', { origin: 'https://evil.example' }],
    ['Origin "null" from another site (a sandboxed frame)', { origin: 'null', fetchSite: 'cross-site' }],
    ['Sec-Fetch-Site cross-site', { fetchSite: 'cross-site' }],
    ['Sec-Fetch-Site same-site (a sibling host)', { origin: 'https://inna.example.gov.pl', fetchSite: 'same-site' }],
    ['our host over plain http', { origin: 'http://zmiana-sd.example.gov.pl', fetchSite: 'cross-site' }],
  ])('GIVEN %s THEN 403 with a Polish page and nothing saved, even with a valid token', async (_what, headers) => {
    const page = await post(notificationForm({ submissionId: SUBMISSION }), NOW, IP, headers);
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('<h1>Formularz wysłany z innej strony</h1>');
    expect(page.body).toContain('Nic nie zostało zapisane.');
    expect(ddb.calls()).toHaveLength(0);
    expect(starts()).toHaveLength(0);
  });

  it.each([
    ['our Origin, same-origin', { origin: 'https://zmiana-sd.example.gov.pl', fetchSite: 'same-origin' }],
    ['no Origin nor Sec-Fetch-Site (not a browser)', {}],
    ['Origin "null" from our own page (its Referrer-Policy is no-referrer), same-origin', { origin: 'null', fetchSite: 'same-origin' }],
    ['Sec-Fetch-Site none (typed by the user), our Origin', { origin: 'https://zmiana-sd.example.gov.pl', fetchSite: 'none' }],
  ])('GIVEN %s THEN the notification is accepted', async (_what, headers) => {
    expect((await post(notificationForm({ submissionId: SUBMISSION }), NOW, IP, headers)).statusCode).toBe(201);
  });
});
