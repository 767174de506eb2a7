import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { methodNotAllowed } from '../../lambdas/adapters/http.js';
import { CASE_STATUS_LABEL, ROLE_LABEL, type CaseRecord, type TimelineEntry } from '../../lambdas/core/case.js';
import { fieldErrors } from '../../lambdas/core/fields.js';
import { escapeHtml, html, PAGE_STYLE } from '../../lambdas/core/html.js';
import {
  alreadyRecordedPage,
  caseStatusPage,
  confirmedPage,
  handOverLimitPage,
  handOverUnfinishedPage,
  linkProblemPage,
  messagePage,
  notificationAcceptedPage,
  notificationFormPage,
  reassignedPage,
  stepPage,
  type LinkProblem,
  type PageResponse,
  type StatusStep,
} from '../../lambdas/core/pages.js';
import { STEP_IDS, STEPS, type StepId } from '../../lambdas/core/steps.js';
import { HOSTILE_ATTR, HOSTILE_SCRIPT, JST_EMAIL, TODAY, caseAfterStepA, caseRecord, notificationForm } from './fixtures.js';

const QUERY = 'c=ZSD-2026-00042&s=OLD_SD_DEACTIVATED.1&r=JST&t=AAAAAAAAAAAAAAAA&e=1773103600&l=abcdefghijklmnopqrstuv&k=k1&sig=xyz';
const FORM_TOKEN = 'Zm9ybS10b2tlbi0wMTIzNDU2Nzg5YWJjZGVmZ2hpamts';
const COLLEAGUE = 'jan.nowak@mops.przykladowo.pl';
const CONFIRMED_ROWS: [string, string][] = [
  ['Data deaktywacji dotychczasowego SD', '2026-03-09'],
  ['Potwierdzam', 'tak'],
];

function step(id: StepId, record: CaseRecord = caseAfterStepA(), extra: { values?: Record<string, string>; errors?: Record<string, string>; formToken?: string } = {}): PageResponse {
  return stepPage({ record, def: STEPS[id], round: 1, comment: null, recipient: JST_EMAIL, deadline: '17 marca 2026 10:00', query: QUERY, formToken: FORM_TOKEN, ...extra });
}

const STATUS_STEPS: StatusStep[] = [
  { title: STEPS.AGREE_VARIANT.title, ref: '2', role: 'MRPiPS', recipient: 'sekretariat.di@mrpips.gov.pl', status: 'COMPLETED', deadline: '8 marca 2026 09:00', completedAt: '2 marca 2026 10:00' },
  { title: STEPS.OLD_SD_DEACTIVATED.title, ref: '3b/4b', role: 'JST', recipient: JST_EMAIL, status: 'PENDING', deadline: '17 marca 2026 10:00' },
];

// Entries come from a Query in key (event id) order, not in time order: the page orders them.
const TIMELINE: TimelineEntry[] = [
  { id: 'confirmed:AGREE_VARIANT.1', at: '2026-03-02T09:00:00.000Z', actor: { role: 'MRPIPS', email: 'sekretariat.di@mrpips.gov.pl' }, action: 'STEP_CONFIRMED', summary: 'Uzgodniono tryb zmiany.' },
  { id: 'registered', at: '2026-03-01T08:00:00.000Z', actor: { role: 'SYSTEM' }, action: 'CASE_REGISTERED', summary: 'Zarejestrowano zgłoszenie.' },
];

function statusCase(overrides: Partial<CaseRecord> = {}): CaseRecord {
  return caseAfterStepA(overrides);
}

const PROBLEMS: LinkProblem[] = ['MALFORMED', 'BAD_SIGNATURE', 'EXPIRED', 'SUPERSEDED', 'NOT_PENDING', 'NOT_FOUND', 'TOO_LATE', 'FORM_TOKEN'];

function allPages(record: CaseRecord = caseAfterStepA()): [string, PageResponse][] {
  return [
    ...STEP_IDS.map((id): [string, PageResponse] => [`step ${id}`, step(id, record)]),
    ['step with errors', step('OLD_SD_DEACTIVATED', record, { values: { deactivatedOn: 'x' }, errors: { deactivatedOn: 'Błąd', confirmed: 'Zaznacz' } })],
    ['confirmed', confirmedPage(record, STEPS.OLD_SD_DEACTIVATED, '2026-03-10T09:00:00Z')],
    ['already recorded', alreadyRecordedPage(record, STEPS.OLD_SD_DEACTIVATED, JST_EMAIL, '2026-03-10T09:00:00Z', CONFIRMED_ROWS)],
    ['already recorded without data', alreadyRecordedPage(record, STEPS.OLD_SD_DEACTIVATED, JST_EMAIL, '2026-03-10T09:00:00Z', [])],
    ['reassigned', reassignedPage(record, STEPS.OLD_SD_DEACTIVATED, COLLEAGUE)],
    ['reassigned, notices unfinished', handOverUnfinishedPage(record, STEPS.OLD_SD_DEACTIVATED, COLLEAGUE)],
    ['hand-over past its bound', handOverLimitPage(record, STEPS.OLD_SD_DEACTIVATED)],
    ['step handed over as often as allowed', stepPage({ record, def: STEPS.OLD_SD_DEACTIVATED, round: 1, comment: null, recipient: JST_EMAIL, deadline: '17 marca 2026 10:00', query: QUERY, formToken: FORM_TOKEN, canHandOver: false })],
    ['case status', caseStatusPage({ ...statusCase(), notification: record.notification }, STATUS_STEPS, TIMELINE)],
    ['case status, nothing awaited', caseStatusPage({ ...statusCase({ status: 'COMPLETED' }), notification: record.notification }, [], TIMELINE)],
    ...PROBLEMS.map((p): [string, PageResponse] => [`link problem ${p}`, linkProblemPage(p)]),
    ['message', messagePage(503, 'Chwilowy problem', 'Spróbuj ponownie.')],
    ['method not allowed', methodNotAllowed(['GET', 'POST'])],
    ['notification form', notificationFormPage({ values: { submissionId: 'c3VibWlzc2lvbi1pZC0wMTIz' } })],
    ['notification form with errors', notificationFormPage({ values: notificationForm(), errors: { teryt: 'Zły', areas: 'Brak' } })],
    ['notification accepted', notificationAcceptedPage('ZSD-2026-00042', JST_EMAIL)],
  ];
}

const ids = (body: string) => new Set([...body.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!));

describe('every page', () => {
  it.each(allPages())('GIVEN the %s page THEN it is sent with the security headers', (_name, page) => {
    const h = page.headers;
    expect(h['content-type']).toBe('text/html; charset=utf-8');
    const csp = h['content-security-policy']!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("form-action 'self'");
    // Scripts fall back to default-src 'none': nothing may re-allow them.
    expect(csp).not.toMatch(/script-src(?!-attr 'none'|-elem 'none'| 'none')/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).not.toMatch(/\*|data:|https?:/);
    expect(h['referrer-policy']).toBe('no-referrer');
    expect(h['x-frame-options']).toBe('DENY');
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['cache-control']).toBe('no-store');
  });

  it.each(allPages())('GIVEN the %s page THEN it is a Polish document with no script and only the hashed inline style', (_name, page) => {
    expect(page.body.startsWith('<!doctype html><html lang="pl">')).toBe(true);
    expect(page.body.toLowerCase()).not.toContain('<script');
    expect(page.body).not.toMatch(/\son[a-z]+=/i);
    // Style attributes would be blocked by a hash-only style-src: the look must come from the one <style> block.
    expect(page.body).not.toMatch(/\sstyle="/);
    const styles = [...page.body.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
    expect(styles).toHaveLength(1);
    const hash = `'sha256-${createHash('sha256').update(styles[0]!).digest('base64')}'`;
    expect(page.headers['content-security-policy']).toContain(`style-src ${hash}`);
  });

  it('GIVEN the page style THEN it is the stylesheet the hash is computed over', () => {
    expect(allPages()[0]![1].body).toContain(`<style>${PAGE_STYLE}</style>`);
  });

  it.each(PROBLEMS)('GIVEN link problem %s THEN the page is a 4xx with a Polish explanation', (problem) => {
    const page = linkProblemPage(problem);
    expect(page.statusCode).toBeGreaterThanOrEqual(400);
    expect(page.statusCode).toBeLessThan(500);
    expect(page.body).toMatch(/link|krok|spraw/i);
  });

  it('GIVEN the link problems THEN a tampered link is 403, an expired one 410, a missing case 404', () => {
    expect([linkProblemPage('BAD_SIGNATURE').statusCode, linkProblemPage('EXPIRED').statusCode, linkProblemPage('NOT_FOUND').statusCode, linkProblemPage('MALFORMED').statusCode]).toEqual([403, 410, 404, 400]);
  });

  it('GIVEN a form that did not come from the link\'s page THEN FORM_TOKEN is 403, says to open the link again and that nothing changed', () => {
    const page = linkProblemPage('FORM_TOKEN');
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('<h1>Formularz nieważny</h1>');
    expect(page.body).toContain('Otwórz link z wiadomości e-mail ponownie');
    expect(page.body).toContain('Nic nie zostało zmienione.');
  });
});

describe('escaping', () => {
  it('GIVEN hostile values in the case WHEN any page renders THEN they are escaped and never raw', () => {
    const base = caseAfterStepA();
    const record: CaseRecord = {
      ...base,
      caseId: base.caseId,
      notification: { ...base.notification, officeName: HOSTILE_SCRIPT, contact: { ...base.notification.contact, name: HOSTILE_ATTR }, oldSd: { product: HOSTILE_ATTR, supplier: HOSTILE_SCRIPT } },
    };
    for (const [name, page] of allPages(record)) {
      expect(page.body.toLowerCase(), name).not.toContain('<script');
      expect(page.body, name).not.toContain('<img');
    }
    const status = caseStatusPage({ ...statusCase(), notification: record.notification }, [{ ...STATUS_STEPS[1]!, recipient: HOSTILE_ATTR, title: HOSTILE_SCRIPT }], [
      { id: 'x', at: '2026-03-01T08:00:00.000Z', actor: { role: 'JST', email: HOSTILE_ATTR }, action: 'X', summary: HOSTILE_SCRIPT },
    ]);
    expect(status.body.toLowerCase()).not.toContain('<script');
    expect(status.body).not.toContain('<img');
    expect(status.body).toContain(escapeHtml(HOSTILE_SCRIPT));
    const recorded = alreadyRecordedPage(record, STEPS.AGREE_VARIANT, HOSTILE_ATTR, '2026-03-10T09:00:00Z', [[HOSTILE_SCRIPT, HOSTILE_ATTR]]);
    expect(recorded.body).not.toContain('<img');
    expect(recorded.body.toLowerCase()).not.toContain('<script');
    expect(reassignedPage(record, STEPS.AGREE_VARIANT, HOSTILE_ATTR).body).not.toContain('<img');
    const body = step('OLD_SD_DEACTIVATED', record).body;
    expect(body).toContain(escapeHtml(HOSTILE_SCRIPT));
    expect(body).toContain('&quot;&gt;&lt;img src=x onerror=1&gt;');
  });

  it('GIVEN hostile values typed into the notification form WHEN it is shown again with errors THEN they are escaped in inputs and text areas', () => {
    const values = notificationForm({ officeName: HOSTILE_ATTR, remarks: `</textarea>${HOSTILE_SCRIPT}`, 'areas.0.area': HOSTILE_ATTR });
    const page = notificationFormPage({ values, errors: { officeName: 'Zły' } });
    expect(page.body).toContain(`value="${escapeHtml(HOSTILE_ATTR)}"`);
    expect(page.body).toContain(`&lt;/textarea&gt;${escapeHtml(HOSTILE_SCRIPT)}</textarea>`);
    expect(page.body).not.toContain('<img');
    expect(page.body.toLowerCase()).not.toContain('<script');
  });

  it('GIVEN hostile values typed into a step form THEN they are escaped when the form is shown again', () => {
    const page = step('AGREE_VARIANT', caseAfterStepA(), { values: { decision: HOSTILE_ATTR, note: `</textarea>${HOSTILE_SCRIPT}` }, errors: { decision: 'Wybierz' } });
    expect(page.body).not.toContain('<img');
    expect(page.body.toLowerCase()).not.toContain('<script');
  });

  it('GIVEN the query of the link WHEN either form posts back THEN the action keeps it, attribute-escaped', () => {
    const forms = step('OLD_SD_DEACTIVATED').body.match(/<form [^>]*>/g);
    expect(forms).toEqual([`<form method="post" action="?${QUERY.replace(/&/g, '&amp;')}" novalidate>`, `<form method="post" action="?${QUERY.replace(/&/g, '&amp;')}" novalidate>`]);
  });

  it('GIVEN a hostile form token or submission id THEN they stay inside their value attributes', () => {
    expect(step('OLD_SD_DEACTIVATED', caseAfterStepA(), { formToken: HOSTILE_ATTR }).body).not.toContain('<img');
    expect(notificationFormPage({ values: { submissionId: HOSTILE_ATTR } }).body).toContain(`<input type="hidden" name="submissionId" value="${escapeHtml(HOSTILE_ATTR)}">`);
  });

  it('GIVEN the html tag THEN nested html is not escaped twice but strings are', () => {
    expect(html`<p>${'<b>'}${html`<i>${'&'}</i>`}</p>`.value).toBe('<p>&lt;b&gt;<i>&amp;</i></p>');
  });
});

describe('inline errors', () => {
  it('GIVEN errors on the notification form THEN each is next to its field, the field is aria-invalid and described by it, and the summary links to it', () => {
    const values = notificationForm({ 'areas.1.area': '', 'areas.1.oldCollectionCode': '', 'areas.2.area': 'pomoc społeczna', 'areas.2.oldCollectionCode': 'SR-01' });
    const errors = { 'contact.email': 'Wpisz poprawny adres e-mail.', 'areas.2.oldCollectionCode': 'Ten kod zbioru podano już wyżej.' };
    const page = notificationFormPage({ values, errors });
    expect(page.statusCode).toBe(400);
    expect(page.body).toMatch(/<p class="error" id="f-contact-email-error">Błąd: Wpisz poprawny adres e-mail\.<\/p><input type="email" id="f-contact-email"[^>]*aria-describedby="f-contact-email-error" aria-invalid="true"/);
    expect(page.body).toMatch(/<p class="error" id="f-areas-2-oldCollectionCode-error">Błąd: Ten kod zbioru podano już wyżej\.<\/p><input type="text" id="f-areas-2-oldCollectionCode"[^>]*aria-invalid="true"/);
    // Error summary: one link per error, each to an element that exists.
    const summary = /<div class="summary-errors" role="alert"[\s\S]*?<\/div>/.exec(page.body)![0];
    expect(summary).toContain('Formularz zawiera błędy (2)');
    const targets = [...summary.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!);
    expect(targets).toEqual(['f-contact-email', 'f-areas-2-oldCollectionCode']);
    for (const target of targets) expect(ids(page.body)).toContain(target);
    expect(summary).toContain('E-mail osoby kontaktowej: Wpisz poprawny adres e-mail.');
    expect(summary).toContain('Kod zbioru CBB 3: Ten kod zbioru podano już wyżej.');
    // Fields without errors are not marked invalid.
    expect(page.body.match(/aria-invalid="true"/g)).toHaveLength(2);
  });

  it('GIVEN an `areas` error (no row filled) THEN the summary links to the message above the rows', () => {
    const page = notificationFormPage({ values: {}, errors: { areas: 'Podaj co najmniej jeden obszar i jego zbiór CBB.' } });
    expect(page.body).toContain('<a href="#f-areas">Obszary i zbiory CBB: Podaj co najmniej jeden obszar i jego zbiór CBB.</a>');
    expect(page.body).toContain('<p class="error" id="f-areas">Błąd: Podaj co najmniej jeden obszar i jego zbiór CBB.</p>');
  });

  it('GIVEN a filled row beyond the third THEN the form shows enough rows to display it', () => {
    const page = notificationFormPage({ values: { 'areas.5.area': 'pomoc społeczna' }, errors: { 'areas.5.oldCollectionCode': 'Pole jest wymagane.' } });
    expect(ids(page.body)).toContain('f-areas-5-oldCollectionCode');
  });

  it.each([
    ['AGREE_VARIANT', { decision: 'REJECT' }, 'f-reason'],
    ['OLD_SD_DEACTIVATED', { deactivatedOn: '2026-03-11' }, 'f-deactivatedOn'],
    ['VERIFY_COLLECTIONS', { result: 'DISCREPANCIES' }, 'f-comment'],
    ['NEW_COLLECTIONS', { 'newCollections.0.newCollectionCode': 'SR-01', 'newCollections.1.newCollectionCode': 'N' }, 'f-newCollections-0-newCollectionCode'],
  ] as const)('GIVEN a refused %s form THEN the page is 400 with the error next to the field and a summary link to it', (id, form, fieldId) => {
    const record = caseAfterStepA();
    const ctx = { record, round: 1, comment: null, today: TODAY };
    const parsed = STEPS[id].schema(ctx).safeParse(STEPS[id].fromForm(form as Record<string, string>, ctx));
    expect(parsed.success).toBe(false);
    const errors = fieldErrors(parsed.error!);
    const page = step(id, record, { values: form as Record<string, string>, errors });
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain(`<a href="#${fieldId}">`);
    expect(page.body).toContain(`<p class="error" id="${fieldId}-error">Błąd: `);
    expect(ids(page.body)).toContain(fieldId);
    const targets = [...page.body.matchAll(/<li><a href="#([^"]+)"/g)].map((m) => m[1]!);
    for (const target of targets) expect(ids(page.body)).toContain(target);
  });

  it('GIVEN an unticked confirmation checkbox THEN the checkbox is aria-invalid and described by its error', () => {
    const page = step('MZT_DEACTIVATED', caseAfterStepA(), { values: { deactivatedOn: TODAY }, errors: { confirmed: 'Zaznacz potwierdzenie, aby kontynuować.' } });
    expect(page.body).toMatch(/<input type="checkbox" id="f-confirmed" name="confirmed" value="tak" required aria-invalid="true" aria-describedby="f-confirmed-error">/);
    expect(page.body).toContain(`value="${TODAY}"`);
  });

  it('GIVEN a date field with errors THEN the typed value is shown again', () => {
    const page = step('OLD_SD_DEACTIVATED', caseAfterStepA(), { values: { deactivatedOn: '2026-13-01', confirmed: 'tak' }, errors: { deactivatedOn: 'Taka data nie istnieje.' } });
    expect(page.body).toContain('value="2026-13-01"');
    expect(page.body).toMatch(/name="confirmed" value="tak" checked/);
  });
});

describe('step page', () => {
  it.each(STEP_IDS)('GIVEN step %s THEN the page says whom one confirms as, shows the title, the instructions and a POST form', (id) => {
    const page = step(id);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`Potwierdzasz jako: <strong>${JST_EMAIL}</strong>`);
    expect(page.body).toContain(`<h1>${escapeHtml(STEPS[id].title)}</h1>`);
    expect(page.body).toContain('<form method="post"');
    expect(page.body).toContain(`<button type="submit">${escapeHtml(STEPS[id].submitLabel)}</button>`);
    for (const field of STEPS[id].fields({ record: caseAfterStepA(), round: 1 })) expect(page.body).toContain(`name="${field.name}"`);
  });

  it('GIVEN the confirmation page THEN it thanks the participant and names the case and the step', () => {
    const page = confirmedPage(caseAfterStepA(), STEPS.OLD_SD_DEACTIVATED, '2026-03-10T09:00:00Z');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('potwierdzenie zapisane');
    expect(page.body).toContain('ZSD-2026-00042');
  });

  it('GIVEN a step already recorded THEN the page is 409, names who confirmed and says nothing more is needed', () => {
    const page = alreadyRecordedPage(caseAfterStepA(), STEPS.OLD_SD_DEACTIVATED, JST_EMAIL, '2026-03-10T09:00:00Z', CONFIRMED_ROWS);
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('Ten krok został już potwierdzony');
    expect(page.body).toContain(JST_EMAIL);
    expect(page.body).toContain('Nie trzeba nic więcej robić.');
  });

  it('GIVEN a step already recorded with its data THEN the second click shows what was confirmed', () => {
    const page = alreadyRecordedPage(caseAfterStepA(), STEPS.OLD_SD_DEACTIVATED, JST_EMAIL, '2026-03-10T09:00:00Z', CONFIRMED_ROWS);
    expect(page.body).toContain('<h2>Potwierdzone dane</h2><dl><dt>Data deaktywacji dotychczasowego SD</dt><dd>2026-03-09</dd><dt>Potwierdzam</dt><dd>tak</dd></dl>');
  });

  it('GIVEN a step already recorded without data rows THEN there is no empty "confirmed data" section', () => {
    expect(alreadyRecordedPage(caseAfterStepA(), STEPS.OLD_SD_DEACTIVATED, JST_EMAIL, '2026-03-10T09:00:00Z', []).body).not.toContain('Potwierdzone dane');
  });

  it.each(STEP_IDS)('GIVEN step %s THEN every form carries the per-page token as a hidden csrf field (two forms where the step can be handed over)', (id) => {
    const body = step(id).body;
    const forms = body.split('<form ').slice(1);
    const expected = STEPS[id].delegable ? 2 : 1;
    expect(forms).toHaveLength(expected);
    for (const form of forms) expect(form.split('</form>')[0]).toContain(`<input type="hidden" name="csrf" value="${FORM_TOKEN}">`);
    expect(body.match(/name="csrf"/g)).toHaveLength(expected);
  });

  it('GIVEN the contact-confirmation step THEN it cannot be handed over: no hand-over form', () => {
    expect(STEPS.CONFIRM_CONTACT.delegable).toBe(false);
    expect(step('CONFIRM_CONTACT').body).not.toContain('name="delegateEmail"');
  });

  it('GIVEN the step page THEN a second form hands the step to a colleague: action=reassign and an e-mail field, with its own button', () => {
    const body = step('OLD_SD_DEACTIVATED').body;
    const [main, handOver] = body.split('<form ').slice(1).map((f) => f.split('</form>')[0]!);
    // The confirmation form has no action field: only the hand-over form acts as "reassign".
    expect(main).not.toContain('name="action"');
    expect(main).not.toContain('delegateEmail');
    expect(handOver).toContain('<input type="hidden" name="action" value="reassign">');
    expect(handOver).toMatch(/<label for="f-delegateEmail">Adres e-mail osoby, której przekazujesz krok<\/label><input type="email" id="f-delegateEmail" name="delegateEmail" value="" maxlength="254" required aria-required="true" autocomplete="email">/);
    expect(handOver).toContain('<button type="submit" class="secondary">Przekaż krok</button>');
    expect(body).toContain('<h2 id="przekaz">Nie jesteś właściwą osobą?</h2>');
    expect(body).toContain('Twój link przestanie działać');
    expect(body).toContain('MRPiPS zostanie o tym poinformowane');
  });

  it('GIVEN a refused colleague address THEN the page is 400 with the error next to the field, the typed value, and a summary link to it', () => {
    const page = step('OLD_SD_DEACTIVATED', caseAfterStepA(), { values: { delegateEmail: 'jan@' }, errors: { delegateEmail: 'Wpisz poprawny adres e-mail, np. jan.kowalski@gmina.pl.' } });
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('<a href="#f-delegateEmail">Adres e-mail osoby, której przekazujesz krok: Wpisz poprawny adres e-mail, np. jan.kowalski@gmina.pl.</a>');
    expect(page.body).toMatch(/<p class="error" id="f-delegateEmail-error">Błąd: Wpisz poprawny adres e-mail, np\. jan\.kowalski@gmina\.pl\.<\/p><input type="email" id="f-delegateEmail" name="delegateEmail" value="jan@"[^>]*aria-describedby="f-delegateEmail-error" aria-invalid="true"/);
    expect(ids(page.body)).toContain('f-delegateEmail');
  });

  it('GIVEN the contact confirmation step THEN the page asks to confirm the address with one checkbox', () => {
    const body = step('CONFIRM_CONTACT', caseRecord()).body;
    expect(body).toContain('<h1>Potwierdzenie adresu e-mail osoby kontaktowej</h1>');
    expect(body).toContain('krok 1 procedury');
    expect(body).toContain('<input type="checkbox" id="f-confirmed" name="confirmed" value="tak" required>');
    expect(body).toContain('<button type="submit">Potwierdzam adres i zgłoszenie</button>');
  });

  it('GIVEN a step handed over THEN the page names the colleague, says the link stopped working and MRPiPS was told', () => {
    const page = reassignedPage(caseAfterStepA(), STEPS.OLD_SD_DEACTIVATED, COLLEAGUE);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Krok przekazany</h1>');
    expect(page.body).toContain(`przekazano osobie: <strong>${COLLEAGUE}</strong>`);
    expect(page.body).toContain('Twój link przestał działać');
    expect(page.body).toContain('MRPiPS zostało poinformowane');
    expect(page.body).not.toContain('<form');
  });
});

describe('case status page', () => {
  it('GIVEN a case in progress THEN the page is read-only and shows the status, the variant, who is awaited and by when', () => {
    const page = caseStatusPage(statusCase(), STATUS_STEPS, TIMELINE);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Sprawa ZSD-2026-00042</h1>');
    expect(page.body).toContain(`Stan sprawy: <strong>${CASE_STATUS_LABEL.IN_PROGRESS}</strong> · tryb: z migracją danych. Strona tylko do odczytu.`);
    expect(page.body).not.toContain('<form');
    const waiting = /<h2>Na co czekamy<\/h2>\s*<ul>([\s\S]*?)<\/ul>/.exec(page.body)![1]!;
    expect(waiting).toBe(`<li><strong>${STEPS.OLD_SD_DEACTIVATED.title}</strong> (krok 3b/4b) — czeka na: JST, ${JST_EMAIL}; termin 17 marca 2026 10:00</li>`);
    expect(waiting).not.toContain(STEPS.AGREE_VARIANT.title);
  });

  it('GIVEN a timeline in any order THEN it is shown newest first, naming the system or the participant', () => {
    const body = caseStatusPage(statusCase(), STATUS_STEPS, TIMELINE).body;
    const rows = [...body.matchAll(/<tr><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><\/tr>/g)].map((m) => [m[2], m[3]]);
    expect(rows).toEqual([
      [`${ROLE_LABEL.MRPIPS}, sekretariat.di@mrpips.gov.pl`, 'Uzgodniono tryb zmiany.'],
      ['system', 'Zarejestrowano zgłoszenie.'],
    ]);
  });

  it('GIVEN a case in progress between two steps THEN it says the next request is on its way', () => {
    expect(caseStatusPage(statusCase(), [{ ...STATUS_STEPS[0]! }], TIMELINE).body).toContain('Trwa przetwarzanie — za chwilę zostanie wysłana kolejna prośba.');
  });

  it.each(['COMPLETED', 'REJECTED', 'ESCALATED', 'FAILED', 'UNCONFIRMED'] as const)('GIVEN a %s case with no pending step THEN it waits for nobody and shows the status label', (status) => {
    const body = caseStatusPage(statusCase({ status }), [STATUS_STEPS[0]!], TIMELINE).body;
    expect(body).toContain('Sprawa nie czeka na nikogo.');
    expect(body).toContain(`Stan sprawy: <strong>${CASE_STATUS_LABEL[status]}</strong>`);
  });

  it('GIVEN the case summary THEN it is on the status page too', () => {
    const body = caseStatusPage(statusCase(), STATUS_STEPS, TIMELINE).body;
    expect(body).toContain('<h2>Podsumowanie sprawy</h2>');
    expect(body).toContain('MOPS-1465011');
  });
});

describe('notification form page', () => {
  it('GIVEN a submission id THEN the form carries it as a hidden field (a double submit is the same submission)', () => {
    const body = notificationFormPage({ values: { submissionId: 'c3VibWlzc2lvbi1pZC0wMTIz' } }).body;
    const form = /<form method="post" action="\/zgloszenie" novalidate>([\s\S]*?)<\/form>/.exec(body)![1]!;
    expect(form).toContain('<input type="hidden" name="submissionId" value="c3VibWlzc2lvbi1pZC0wMTIz">');
  });

  it('GIVEN the accepted page THEN it says the notification reaches MRPiPS only after the address is confirmed', () => {
    const page = notificationAcceptedPage('ZSD-2026-00042', JST_EMAIL);
    expect(page.statusCode).toBe(201);
    expect(page.body).toContain('Numer sprawy: <strong>ZSD-2026-00042</strong>');
    expect(page.body).toContain(`Na adres <strong>${JST_EMAIL}</strong>`);
    expect(page.body).toContain('Potwierdź w niej adres e-mail');
  });
});
