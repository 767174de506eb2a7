import { UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PageRequest } from '../../lambdas/adapters/http.js';
import type { FormConfig } from '../../lambdas/core/config.js';
import type { PageResponse } from '../../lambdas/core/pages.js';
import { handleNotificationForm } from '../../lambdas/notification-form/index.js';
import { NOW, SUPPLIER_EMAIL, notificationForm } from '../unit/fixtures.js';
import { FakeTable, awsMocks, captureLogs, conditionalCheckFailed, readUpdate, updates } from './aws.js';

const { ddb, ses, sfn, store, workflow } = awsMocks();
const CONFIG: FormConfig = {
  TABLE_NAME: 'zmiana-sd-test',
  PROCEDURE_STATE_MACHINE_ARN: 'arn:aws:states:eu-central-1:123456789012:stateMachine:procedure',
  RESPONSE_TIMEOUT_SECONDS: 604_800,
  ESCALATE_AFTER_REMINDERS: 2,
  NOTIFICATIONS_PER_HOUR_PER_IP: 20,
};

let table: FakeTable;
let sequence: number;

function post(form: Record<string, string>, now = NOW): Promise<PageResponse> {
  const request: PageRequest = { method: 'POST', path: '/zgloszenie', query: {}, rawQuery: '', body: new URLSearchParams(form).toString(), ip: '203.0.113.9', userAgent: 'test' };
  return handleNotificationForm(request, { store, workflow, config: CONFIG, now });
}

const get = (path: string) => handleNotificationForm({ method: 'GET', path, query: {}, rawQuery: '', body: '', ip: '', userAgent: '' }, { store, workflow, config: CONFIG, now: NOW });

/** Counters answer like DynamoDB's ADD, a submission claim like if_not_exists; everything else succeeds. */
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
      return { Attributes: marshall({ caseId: claims.get(update.pk) }) };
    }
    return {};
  }
}

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
  captureLogs();
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
      timing: { responseTimeoutSeconds: 604_800, escalateAfterReminders: 2 },
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
