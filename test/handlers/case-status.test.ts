import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PageRequest } from '../../lambdas/adapters/http.js';
import { handleCaseStatus } from '../../lambdas/case-status/index.js';
import { ROLE_LABEL } from '../../lambdas/core/case.js';
import { hashLinkId, signingKeysSchema, statusUrl, type SigningKeys } from '../../lambdas/core/links.js';
import type { StepRecord } from '../../lambdas/core/step-record.js';
import { STEPS } from '../../lambdas/core/steps.js';
import { BASE_URL, CASE_ID, JST_EMAIL, LINK_KEYS, MRPIPS_EMAIL, NOW, STATUS_KEYS, STATUS_LINKS, caseAfterStepA } from '../unit/fixtures.js';
import { FakeTable, awsMocks, captureLogs, serviceError } from './aws.js';

const { ddb, ses, sfn, store } = awsMocks();
const NOW_S = NOW.getTime() / 1000;
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAS3cr3tT4skT0k3n-ZSD-2026-00042-status';

let table: FakeTable;

function step(overrides: Partial<StepRecord> & Pick<StepRecord, 'step' | 'stepKey'>): StepRecord {
  return {
    caseId: CASE_ID,
    round: 1,
    role: STEPS[overrides.step].role,
    recipient: JST_EMAIL,
    status: 'PENDING',
    taskToken: TOKEN,
    linkIdHash: hashLinkId('link-id-0123456789abcdef'),
    linkExpiresAt: NOW_S + 3600,
    deadline: '2026-03-17T09:00:00.000Z',
    remindersSent: 0,
    requestedAt: '2026-03-10T08:00:00.000Z',
    lastSentAt: '2026-03-10T08:00:00.000Z',
    comment: null,
    ...overrides,
  };
}

/** The status link as the e-mails carry it. */
const statusQuery = (caseId = CASE_ID, keys: SigningKeys = STATUS_KEYS, generation = 0) => new URL(statusUrl(BASE_URL, { caseId, statusLinkGeneration: generation }, keys)).search.slice(1);
const DAYS_AFTER_END = 30;
const DAY_MS = 86_400_000;

function request(method: string, rawQuery: string): PageRequest {
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQuery)) if (!(name in query)) query[name] = value;
  return { method, path: '/sprawa', query, rawQuery, body: '', ip: '203.0.113.7', userAgent: 'test' };
}

const show = (method = 'GET', rawQuery = statusQuery(), now = NOW, keys: SigningKeys = STATUS_KEYS) => handleCaseStatus(request(method, rawQuery), { store, keys, daysAfterEnd: DAYS_AFTER_END, now });

beforeEach(() => {
  ddb.reset();
  ses.reset();
  sfn.reset();
  table = new FakeTable(ddb)
    .put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA())
    .put(`CASE#${CASE_ID}`, 'EVENT#registered', { id: 'registered', at: '2026-03-01T08:00:00.000Z', actor: { role: 'SYSTEM' }, action: 'CASE_REGISTERED', summary: 'Zarejestrowano zgłoszenie.' })
    .put(`CASE#${CASE_ID}`, 'EVENT#confirmed:AGREE_VARIANT.1', { id: 'confirmed:AGREE_VARIANT.1', at: '2026-03-02T09:00:00.000Z', actor: { role: 'MRPIPS', email: MRPIPS_EMAIL }, action: 'STEP_CONFIRMED', summary: 'Uzgodniono tryb zmiany.' })
    .put('CASE#ZSD-2026-00041', 'EVENT#registered', { id: 'registered', at: '2026-03-01T08:00:00.000Z', actor: { role: 'SYSTEM' }, action: 'CASE_REGISTERED', summary: 'Inna sprawa.' })
    .put(`CASE#${CASE_ID}`, 'STEP#AGREE_VARIANT.1', step({ step: 'AGREE_VARIANT', stepKey: 'AGREE_VARIANT.1', recipient: MRPIPS_EMAIL, status: 'COMPLETED', taskToken: undefined, requestedAt: '2026-03-01T08:05:00.000Z', completedAt: '2026-03-02T09:00:00.000Z' }))
    .put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', step({ step: 'OLD_SD_DEACTIVATED', stepKey: 'OLD_SD_DEACTIVATED.1', requestedAt: '2026-03-10T08:00:00.000Z' }))
    .put(`CASE#${CASE_ID}`, 'STEP#NEW_COLLECTIONS.1', step({ step: 'NEW_COLLECTIONS', stepKey: 'NEW_COLLECTIONS.1', recipient: MRPIPS_EMAIL, status: 'COMPLETED', taskToken: undefined, requestedAt: '2026-03-02T09:01:00.000Z', completedAt: '2026-03-05T10:00:00.000Z' }))
    // Another case's step must not appear.
    .put('CASE#ZSD-2026-00041', 'STEP#AGREE_VARIANT.1', step({ caseId: 'ZSD-2026-00041', step: 'AGREE_VARIANT', stepKey: 'AGREE_VARIANT.1', recipient: 'inny@mops.example.pl' }));
  captureLogs();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the case status page (GET/HEAD /sprawa)', () => {
  it('GIVEN the status link of an e-mail WHEN opened THEN the case and its steps are read (one consistent Query of the case\'s STEP# items) and nothing is written', async () => {
    const page = await show();
    expect(page.statusCode).toBe(200);
    const queries = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    for (const input of queries) {
      expect(input.TableName).toBe('zmiana-sd-test');
      expect(input.KeyConditionExpression).toBe('pk = :pk AND begins_with(sk, :prefix)');
      expect(input.ConsistentRead).toBe(true);
    }
    // The steps and the timeline entries, each the case's own items.
    expect(queries.map((input) => unmarshall(input.ExpressionAttributeValues!)).sort((a, b) => String(a[':prefix']).localeCompare(String(b[':prefix'])))).toEqual([
      { ':pk': `CASE#${CASE_ID}`, ':prefix': 'EVENT#' },
      { ':pk': `CASE#${CASE_ID}`, ':prefix': 'STEP#' },
    ]);
    const [get] = ddb.commandCalls(GetItemCommand);
    expect(unmarshall(get!.args[0].input.Key!)).toEqual({ pk: `CASE#${CASE_ID}`, sk: 'CASE' });
    // Read only.
    expect(ddb.calls().map((c) => c.args[0].constructor.name).sort()).toEqual(['GetItemCommand', 'QueryCommand', 'QueryCommand']);
    expect(ses.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('GIVEN a pending step THEN the page says who is awaited, for which step and by when', async () => {
    const body = (await show()).body;
    const waiting = /<h2>Na co czekamy<\/h2>\s*<ul>([\s\S]*?)<\/ul>/.exec(body)![1]!;
    expect(waiting).toContain(`<strong>${STEPS.OLD_SD_DEACTIVATED.title}</strong> (krok 3b/4b) — czeka na: ${ROLE_LABEL.JST}, ${JST_EMAIL}; termin 17 marca 2026 10:00`);
    expect(waiting).not.toContain(STEPS.AGREE_VARIANT.title);
    expect(waiting).not.toContain('inny@mops.example.pl');
  });

  it('GIVEN two steps awaited at once (b and c in parallel) THEN both are listed in the order they were requested', async () => {
    table.items.delete(`CASE#${CASE_ID}|STEP#OLD_SD_DEACTIVATED.1`);
    table
      .put(`CASE#${CASE_ID}`, 'STEP#MZT_DEACTIVATED.1', step({ step: 'MZT_DEACTIVATED', stepKey: 'MZT_DEACTIVATED.1', recipient: 'administrator.mzt.14@uw.gov.pl', requestedAt: '2026-03-10T08:00:02.000Z' }))
      .put(`CASE#${CASE_ID}`, 'STEP#NEW_SD_FEEDING.1', step({ step: 'NEW_SD_FEEDING', stepKey: 'NEW_SD_FEEDING.1', requestedAt: '2026-03-10T08:00:01.000Z' }));
    const waiting = /<h2>Na co czekamy<\/h2>\s*<ul>([\s\S]*?)<\/ul>/.exec((await show()).body)![1]!;
    const items = [...waiting.matchAll(/<li><strong>([^<]+)<\/strong>/g)].map((m) => m[1]);
    expect(items).toEqual([STEPS.NEW_SD_FEEDING.title, STEPS.MZT_DEACTIVATED.title]);
  });

  it('GIVEN the case timeline THEN it is shown newest first, and the page is read-only (no form, no task token)', async () => {
    const body = (await show()).body;
    expect(body.indexOf('Uzgodniono tryb zmiany.')).toBeLessThan(body.indexOf('Zarejestrowano zgłoszenie.'));
    expect(body).not.toContain('Inna sprawa.');
    expect(body).toContain('Strona tylko do odczytu.');
    expect(body).not.toContain('<form');
    expect(body).not.toContain(TOKEN);
    expect(body).not.toContain(hashLinkId('link-id-0123456789abcdef'));
  });

  it('GIVEN HEAD (a mail scanner) THEN it is answered like GET and still changes nothing', async () => {
    const page = await show('HEAD');
    expect(page.statusCode).toBe(200);
    expect(ddb.calls().every((c) => ['GetItemCommand', 'QueryCommand'].includes(c.args[0].constructor.name))).toBe(true);
  });

  it('GIVEN the language switch (lang=en) THEN the status link still opens the page', async () => {
    const page = await show('GET', `${statusQuery()}&lang=en`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html lang="en">');
  });

  it('GIVEN a case with many steps and timeline entries THEN every page of both Queries is read', async () => {
    table.pageSize = 1;
    const page = await show();
    // Three step items and two entries, one a page: 3 + 2 pages, each after the first from where the last ended.
    const queries = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries).toHaveLength(5);
    expect(queries.filter((input) => input.ExclusiveStartKey)).toHaveLength(3);
    expect(page.body).toContain(`czeka na: ${ROLE_LABEL.JST}, ${JST_EMAIL}`);
    expect(page.body).toContain('Uzgodniono tryb zmiany.');
    expect(page.body).toContain('Zarejestrowano zgłoszenie.');
  });

  it('GIVEN a finished case THEN it says it waits for nobody', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ status: 'COMPLETED' }));
    table.items.delete(`CASE#${CASE_ID}|STEP#OLD_SD_DEACTIVATED.1`);
    const body = (await show()).body;
    expect(body).toContain('Sprawa nie czeka na nikogo.');
    expect(body).toContain('Stan sprawy: <strong>zakończona</strong>');
  });

  it('GIVEN the status link of an e-mail WHEN the case still runs, however long THEN it opens the page (a case lives at most a year)', async () => {
    const rawQuery = new URL(STATUS_LINKS({ caseId: CASE_ID })).search.slice(1);
    expect((await show('GET', rawQuery, new Date(NOW.getTime() + 364 * DAY_MS))).statusCode).toBe(200);
  });
});

describe('how long a status link works, and its revocation', () => {
  const ended = (endedAt: string) => table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ status: 'COMPLETED', endedAt, updatedAt: endedAt }));
  const onlyTheCaseRead = () => expect(ddb.calls().map((c) => c.args[0].constructor.name)).toEqual(['GetItemCommand']);

  it('GIVEN an ended case WHEN its link is opened within the days after the end THEN the page opens; on the last day\'s end THEN 410 "Link wygasł" and nothing more is read', async () => {
    ended(NOW.toISOString());
    expect((await show('GET', statusQuery(), new Date(NOW.getTime() + DAYS_AFTER_END * DAY_MS - 1))).statusCode).toBe(200);
    ddb.resetHistory();
    const page = await show('GET', statusQuery(), new Date(NOW.getTime() + DAYS_AFTER_END * DAY_MS));
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('Link wygasł');
    expect(page.body).toContain('okres, w którym link do strony jej stanu był ważny, upłynął');
    expect(page.body).not.toContain('Uzgodniono tryb zmiany.');
    onlyTheCaseRead();
  });

  it('GIVEN a case that ended before endedAt was recorded THEN its last change counts as its end', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ status: 'REJECTED', updatedAt: NOW.toISOString() }));
    expect((await show('GET', statusQuery(), new Date(NOW.getTime() + DAYS_AFTER_END * DAY_MS - 1))).statusCode).toBe(200);
    expect((await show('GET', statusQuery(), new Date(NOW.getTime() + DAYS_AFTER_END * DAY_MS))).statusCode).toBe(410);
  });

  it('GIVEN the status links of the case were revoked (generation 1) WHEN a link of generation 0 is opened THEN 410 "Link unieważniony" in Polish and English, and nothing more is read', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA({ statusLinkGeneration: 1 }));
    const page = await show('GET', statusQuery(CASE_ID, STATUS_KEYS, 0));
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('Link unieważniony');
    expect(page.body).toContain('Linki do strony stanu tej sprawy zostały unieważnione przez MRPiPS.');
    expect(page.body).not.toContain('Uzgodniono tryb zmiany.');
    onlyTheCaseRead();
    const english = await show('GET', `${statusQuery(CASE_ID, STATUS_KEYS, 0)}&lang=en`);
    expect(english.statusCode).toBe(410);
    expect(english.body).toContain('Link revoked');
    expect(english.body).toContain('The links to the status page of this case have been revoked by MRPiPS.');
  });

  it('GIVEN revoked links WHEN the link of the new generation (as e-mails now carry) is opened THEN the page opens', async () => {
    const record = caseAfterStepA({ statusLinkGeneration: 1 });
    table.put(`CASE#${CASE_ID}`, 'CASE', record);
    expect((await show('GET', new URL(STATUS_LINKS(record)).search.slice(1))).statusCode).toBe(200);
  });
});

describe('refusals of the status page', () => {
  const noAwsCalls = () => {
    expect(ddb.calls()).toHaveLength(0);
    expect(ses.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  };

  it.each(['POST', 'PUT', 'DELETE'])('GIVEN %s THEN 405 allowing GET and HEAD, and nothing is read', async (method) => {
    const page = await show(method);
    expect(page.statusCode).toBe(405);
    expect(page.headers.allow).toBe('GET, HEAD');
    noAwsCalls();
  });

  it.each([
    ['the case', 'c', 'ZSD-2026-00041'],
    ['the generation (to dodge a revocation)', 'g', '1'],
    ['the key id', 'k', 'k2'],
    ['the signature', 'sig', 'A'.repeat(43)],
  ])('GIVEN a status link with %s changed THEN 403 and the store is not read', async (_what, field, value) => {
    const query = new URLSearchParams(statusQuery());
    query.set(field, value);
    const page = await show('GET', query.toString());
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('Nieprawidłowy link');
    noAwsCalls();
  });

  it('GIVEN a confirmation link\'s query THEN 400 (not a status link) and nothing is read', async () => {
    const page = await show('GET', 'c=ZSD-2026-00042&s=AGREE_VARIANT.1&r=MRPIPS&t=AAAAAAAAAAAAAAAA&e=1773103600&l=abcdefghijklmnopqrstuv&k=k1&sig=' + 'A'.repeat(43));
    expect(page.statusCode).toBe(400);
    noAwsCalls();
  });

  it('GIVEN a status link without its signature THEN 400 "Niepełny link"', async () => {
    const query = new URLSearchParams(statusQuery());
    query.delete('sig');
    const page = await show('GET', query.toString());
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('Niepełny link');
    noAwsCalls();
  });

  it('GIVEN a status link signed with the keys of the confirmation links THEN 403 and the store is not read (the status page holds only the status keys)', async () => {
    const page = await show('GET', statusQuery(CASE_ID, LINK_KEYS));
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('Nieprawidłowy link');
    noAwsCalls();
  });

  it('GIVEN a link signed with a key that was rotated out THEN 403', async () => {
    const old = signingKeysSchema.parse({ current: 's0', s0: 's0-secret-0123456789abcdefghijklmnopqrstuvwxyz' });
    const page = await show('GET', statusQuery(CASE_ID, old));
    expect(page.statusCode).toBe(403);
    noAwsCalls();
  });

  it('GIVEN a validly signed link for a case that does not exist THEN 404', async () => {
    const page = await show('GET', statusQuery('ZSD-2026-00999'));
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('Nie znaleziono sprawy');
  });

  it('GIVEN DynamoDB fails THEN the error propagates (the page handler shows 503)', async () => {
    const error = serviceError('InternalServerError', 500);
    ddb.on(QueryCommand).rejects(error);
    await expect(show()).rejects.toBe(error);
  });
});
