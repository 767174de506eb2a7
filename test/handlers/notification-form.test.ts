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

function post(form: Record<string, string>, now = NOW, ip = IP): Promise<PageResponse> {
  const request: PageRequest = { method: 'POST', path: '/zgloszenie', query: {}, rawQuery: '', body: new URLSearchParams(form).toString(), ip, userAgent: 'test' };
  return handleNotificationForm(request, { store, workflow, config: CONFIG, now });
}

const get = (path: string) => handleNotificationForm({ method: 'GET', path, query: {}, rawQuery: '', body: '', ip: '', userAgent: '' }, { store, workflow, config: CONFIG, now: NOW });

/**
 * Counters answer like DynamoDB's ADD, a submission claim like if_not_exists (and lands in the table, where
 * the next GetItem finds it), markSubmissionStarted like its condition; everything else succeeds.
 */
const claims = new Map<string, string>();
let uses = 0;
function counterAnswers() {
  ddb.on(UpdateItemCommand).callsFake(answer);
}
function answer(input: UpdateItemCommandInput) {
  {
    const update = readUpdate(input);
    if (update.pk.startsWith('COUNTER#')) return { Attributes: marshall({ seq: ++sequence }) };
    if (update.pk.startsWith('LIMIT#')) return { Attributes: marshall({ count: ++uses }) };
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
    const idOf = (body: string) => /<input type="hidden" name="submissionId" value="([^"]*)">/.exec(body)![1]!;
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
  it('GIVEN a valid notification WHEN posted THEN the next case number is taken, the collections locked for it, and the procedure started named by the case id', async () => {
    // WHEN
    const page = await post(notificationForm());
    // THEN: the yearly counter
    const [counter] = updates(ddb, { pk: 'COUNTER#CASE#2026' });
    expect(counter).toMatchObject({ sk: 'COUNTER', update: 'ADD #seq :one' });
    // the old collections, locked for the new case
    expect(locks().map((l) => [l.pk, l.values[':case'], l.values[':kind'], l.values[':teryt']])).toEqual([
      ['COLLECTION#SR-01', 'ZSD-2026-00001', 'OLD', '1465011'],
      ['COLLECTION#FA-01', 'ZSD-2026-00001', 'OLD', '1465011'],
    ]);
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
    // locks are taken before the procedure starts
    const lastLock = ddb.commandCalls(UpdateItemCommand).filter((c) => c.args[0].input.Key!.sk!.S === 'COLLECTION').at(-1)!;
    expect(lastLock.calledBefore(start!)).toBe(true);
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

describe('POST a notification for collections another case holds', () => {
  it('GIVEN a collection locked by another case THEN 409 naming that case, next to the field, and no number taken, nothing locked, nothing started', async () => {
    table.put('COLLECTION#FA-01', 'COLLECTION', { code: 'FA-01', state: 'ACTIVE', area: 'fundusz alimentacyjny', teryt: '1465011', kind: 'OLD', lockedByCase: 'ZSD-2026-00007', lastCaseId: 'ZSD-2026-00007', updatedAt: '2026-02-01T00:00:00Z' });
    const page = await post(notificationForm({ 'areas.1.oldCollectionCode': 'fa-01' }));
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('<p class="error" id="f-areas-1-oldCollectionCode-error">Błąd: Zbiór FA-01 jest już objęty sprawą ZSD-2026-00007.</p>');
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('GIVEN rows 0 and 2 filled and the code on row 2 held elsewhere THEN the error is shown on row 2', async () => {
    table.put('COLLECTION#PS-03', 'COLLECTION', { code: 'PS-03', state: 'ACTIVE', area: 'pomoc', teryt: '1465011', kind: 'OLD', lockedByCase: 'ZSD-2026-00009', lastCaseId: 'ZSD-2026-00009', updatedAt: '2026-02-01T00:00:00Z' });
    const page = await post(notificationForm({ 'areas.1.area': '', 'areas.1.oldCollectionCode': '', 'areas.2.area': 'pomoc społeczna', 'areas.2.oldCollectionCode': 'PS-03' }));
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('id="f-areas-2-oldCollectionCode-error">Błąd: Zbiór PS-03 jest już objęty sprawą ZSD-2026-00009.');
    expect(page.body).not.toContain('f-areas-1-oldCollectionCode-error');
  });

  it('GIVEN an archived collection THEN 409 saying it is archived', async () => {
    table.put('COLLECTION#SR-01', 'COLLECTION', { code: 'SR-01', state: 'ARCHIVED', area: 'x', teryt: '1465011', kind: 'OLD', lastCaseId: 'ZSD-2025-00003', updatedAt: '2025-06-01T00:00:00Z' });
    const page = await post(notificationForm());
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('Zbiór SR-01 jest już zarchiwizowany.');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('GIVEN another notification takes a collection between the check and the lock THEN 409 naming that case, the codes already locked are released, nothing started', async () => {
    ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      const update = readUpdate(input);
      if (update.pk === 'COLLECTION#FA-01' && update.update.startsWith('SET #code')) {
        table.put('COLLECTION#FA-01', 'COLLECTION', { code: 'FA-01', state: 'ACTIVE', area: 'x', teryt: '1465011', kind: 'OLD', lockedByCase: 'ZSD-2026-00011', lastCaseId: 'ZSD-2026-00011', updatedAt: '2026-03-10T09:00:00Z' });
        throw conditionalCheckFailed();
      }
      return answer(input);
    });
    const page = await post(notificationForm());
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('Zbiór FA-01 jest już objęty sprawą ZSD-2026-00011.');
    expect(releases().map((r) => [r.pk, r.values[':case']])).toEqual([['COLLECTION#SR-01', 'ZSD-2026-00001']]);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('GIVEN the procedure cannot be started THEN the locks are released and the error propagates (no half-registered case)', async () => {
    const error = Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    sfn.on(StartExecutionCommand).rejects(error);
    await expect(post(notificationForm())).rejects.toBe(error);
    expect(releases().map((r) => r.pk).sort()).toEqual(['COLLECTION#FA-01', 'COLLECTION#SR-01']);
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
    // claim → locks → start → started
    const calls = ddb.commandCalls(UpdateItemCommand);
    const claimCall = calls.find((c) => c.args[0].input.UpdateExpression!.includes('if_not_exists(#caseId'))!;
    const firstLock = calls.find((c) => c.args[0].input.Key!.sk!.S === 'COLLECTION')!;
    const startedCall = calls.find((c) => c.args[0].input.UpdateExpression === 'SET #started = :true')!;
    expect(claimCall.calledBefore(firstLock)).toBe(true);
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
    expect(limitWrites()).toHaveLength(1);
  });

  it('GIVEN two different submissions of the same unit THEN the second is a new submission (its collections are then held by the first case)', async () => {
    await post(notificationForm({ submissionId: SUBMISSION }));
    table.put('COLLECTION#SR-01', 'COLLECTION', { code: 'SR-01', state: 'ACTIVE', area: 'x', teryt: '1465011', kind: 'OLD', lockedByCase: 'ZSD-2026-00001', lastCaseId: 'ZSD-2026-00001', updatedAt: NOW.toISOString() });
    const page = await post(notificationForm({ submissionId: 'b3RoZXItc3VibWlzc2lvbi0x' }));
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('Zbiór SR-01 jest już objęty sprawą ZSD-2026-00001.');
    expect(starts()).toHaveLength(1);
  });

  it('GIVEN a submission claimed but not started (the earlier attempt failed) WHEN posted again THEN its case id is reused: no new number, not counted again, collections locked for it, the procedure started, the submission marked', async () => {
    table
      .put(`SUBMISSION#${SUBMISSION}`, 'SUBMISSION', { caseId: 'ZSD-2026-00017', digest: DIGEST, expiresAt: NOW.getTime() / 1000 + 1000 })
      // The earlier attempt had locked one collection for this very case: that is not "held elsewhere".
      .put('COLLECTION#SR-01', 'COLLECTION', { code: 'SR-01', state: 'ACTIVE', area: 'x', teryt: '1465011', kind: 'OLD', lockedByCase: 'ZSD-2026-00017', lastCaseId: 'ZSD-2026-00017', updatedAt: NOW.toISOString() });
    const page = await post(notificationForm({ submissionId: SUBMISSION }));
    expect(page.statusCode).toBe(201);
    expect(page.body).toContain('Numer sprawy: <strong>ZSD-2026-00017</strong>');
    expect(counterWrites()).toHaveLength(0);
    expect(limitWrites()).toHaveLength(0);
    expect(submissionWrites().map((u) => u.update)).toEqual(['SET #started = :true']);
    expect(locks().map((l) => [l.pk, l.values[':case']])).toEqual([
      ['COLLECTION#SR-01', 'ZSD-2026-00017'],
      ['COLLECTION#FA-01', 'ZSD-2026-00017'],
    ]);
    expect(starts().map((c) => c.args[0].input.name)).toEqual(['ZSD-2026-00017']);
  });

  it('GIVEN the execution of the case already exists (a retry after StartExecution succeeded) THEN it counts as started: the case is shown, the submission marked, nothing released', async () => {
    table.put(`SUBMISSION#${SUBMISSION}`, 'SUBMISSION', { caseId: 'ZSD-2026-00017', digest: DIGEST, expiresAt: NOW.getTime() / 1000 + 1000 });
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: { httpStatusCode: 400 } }));
    const page = await post(notificationForm({ submissionId: SUBMISSION }));
    expect(page.statusCode).toBe(201);
    expect(page.body).toContain('Numer sprawy: <strong>ZSD-2026-00017</strong>');
    expect(submissionWrites().map((u) => u.update)).toEqual(['SET #started = :true']);
    expect(releases()).toHaveLength(0);
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
    expect(locks().every((l) => l.values[':case'] === 'ZSD-2026-00005')).toBe(true);
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

describe('accepted notifications per address are limited', () => {
  it('GIVEN a new notification THEN one use is counted for the client address in the current hour window, expiring after the next one', async () => {
    await post(notificationForm({ submissionId: SUBMISSION }));
    const [count] = limitWrites();
    expect(count).toMatchObject({ pk: `LIMIT#notification#${IP}#${HOUR_WINDOW}`, sk: 'LIMIT', update: 'ADD #count :one SET #expiresAt = :expiresAt' });
    expect(count!.values).toEqual({ ':one': 1, ':expiresAt': (HOUR_WINDOW + 2) * 3600 });
    expect(count!.input.ReturnValues).toBe('UPDATED_NEW');
  });

  it('GIVEN the limit (20) reached in this hour WHEN one more notification comes THEN 429 with Retry-After until the next hour, and nothing is numbered, claimed, locked or started', async () => {
    uses = 20;
    const at = new Date('2026-03-10T09:45:10.000Z');
    const page = await post(notificationForm({ submissionId: SUBMISSION }), at);
    expect(page.statusCode).toBe(429);
    expect(page.headers['retry-after']).toBe(String(3600 - (45 * 60 + 10)));
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('<h1>Zbyt wiele zgłoszeń</h1>');
    expect(page.body).toContain('Nic nie zostało zapisane.');
    expect(limitWrites()).toHaveLength(1);
    expect(counterWrites()).toHaveLength(0);
    expect(submissionWrites()).toHaveLength(0);
    expect(locks()).toHaveLength(0);
    expect(starts()).toHaveLength(0);
    expect(logs()).toContain('notification rate limit hit');
    expect(logs()).not.toContain(IP);
  });

  it('GIVEN exactly the limit-th notification in the hour THEN it is still accepted', async () => {
    uses = 19;
    const page = await post(notificationForm({ submissionId: SUBMISSION }));
    expect(page.statusCode).toBe(201);
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

  it('GIVEN the limit reached WHEN a notification is refused for its fields or held collections THEN the form answers as usual (only accepted notifications are counted)', async () => {
    uses = 100;
    expect((await post(notificationForm({ teryt: 'zły' }))).statusCode).toBe(400);
    table.put('COLLECTION#FA-01', 'COLLECTION', { code: 'FA-01', state: 'ACTIVE', area: 'x', teryt: '1465011', kind: 'OLD', lockedByCase: 'ZSD-2026-00007', lastCaseId: 'ZSD-2026-00007', updatedAt: NOW.toISOString() });
    expect((await post(notificationForm())).statusCode).toBe(409);
    expect(limitWrites()).toHaveLength(0);
  });

  it('GIVEN another address THEN it has its own counter', async () => {
    await post(notificationForm(), NOW, '198.51.100.23');
    expect(limitWrites()[0]!.pk).toBe(`LIMIT#notification#198.51.100.23#${HOUR_WINDOW}`);
  });
});
