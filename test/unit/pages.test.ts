import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { methodNotAllowed } from '../../lambdas/adapters/http.js';
import type { CaseRecord } from '../../lambdas/core/case.js';
import { fieldErrors } from '../../lambdas/core/fields.js';
import { escapeHtml, html, PAGE_STYLE } from '../../lambdas/core/html.js';
import {
  alreadyRecordedPage,
  confirmedPage,
  linkProblemPage,
  messagePage,
  notificationAcceptedPage,
  notificationFormPage,
  stepPage,
  type LinkProblem,
  type PageResponse,
} from '../../lambdas/core/pages.js';
import { STEP_IDS, STEPS, type StepId } from '../../lambdas/core/steps.js';
import { HOSTILE_ATTR, HOSTILE_SCRIPT, JST_EMAIL, TODAY, caseAfterStepA, notificationForm } from './fixtures.js';

const QUERY = 'c=ZSD-2026-00042&s=OLD_SD_DEACTIVATED.1&r=JST&e=1773103600&l=abcdefghijklmnopqrstuv&k=k1&sig=xyz';

function step(id: StepId, record: CaseRecord = caseAfterStepA(), extra: { values?: Record<string, string>; errors?: Record<string, string> } = {}): PageResponse {
  return stepPage({ record, def: STEPS[id], round: 1, comment: null, recipient: JST_EMAIL, deadline: '17 marca 2026 10:00', query: QUERY, ...extra });
}

const PROBLEMS: LinkProblem[] = ['MALFORMED', 'BAD_SIGNATURE', 'EXPIRED', 'SUPERSEDED', 'NOT_PENDING', 'NOT_FOUND', 'TOO_LATE'];

function allPages(record: CaseRecord = caseAfterStepA()): [string, PageResponse][] {
  return [
    ...STEP_IDS.map((id): [string, PageResponse] => [`step ${id}`, step(id, record)]),
    ['step with errors', step('OLD_SD_DEACTIVATED', record, { values: { deactivatedOn: 'x' }, errors: { deactivatedOn: 'Błąd', confirmed: 'Zaznacz' } })],
    ['confirmed', confirmedPage(record, STEPS.OLD_SD_DEACTIVATED, '2026-03-10T09:00:00Z')],
    ['already recorded', alreadyRecordedPage(record, STEPS.OLD_SD_DEACTIVATED, JST_EMAIL, '2026-03-10T09:00:00Z')],
    ...PROBLEMS.map((p): [string, PageResponse] => [`link problem ${p}`, linkProblemPage(p)]),
    ['message', messagePage(503, 'Chwilowy problem', 'Spróbuj ponownie.')],
    ['method not allowed', methodNotAllowed(['GET', 'POST'])],
    ['notification form', notificationFormPage({})],
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

  it('GIVEN the query of the link WHEN the form posts back THEN the action keeps it, attribute-escaped', () => {
    expect(step('OLD_SD_DEACTIVATED').body).toContain(`<form method="post" action="?${QUERY.replace(/&/g, '&amp;')}" novalidate>`);
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
    const page = alreadyRecordedPage(caseAfterStepA(), STEPS.OLD_SD_DEACTIVATED, JST_EMAIL, '2026-03-10T09:00:00Z');
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('Ten krok został już potwierdzony');
    expect(page.body).toContain(JST_EMAIL);
  });
});
