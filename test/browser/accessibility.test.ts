import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkIn } from '../e2e/participants.js';
import {
  CASE_ID,
  CONTACT_BUTTON,
  CONTACT_SUBJECT,
  JST,
  MRPIPS,
  THANK_YOU,
  fillNotificationForm,
  fullNotification,
  heading,
  linkTarget,
  participantContext,
  press,
  startWorld,
  stepItem,
  tampered,
  type World,
} from './people.js';

/**
 * Accessibility of every page a participant can see: axe-core (no serious or critical violation), the
 * document language, a label for every field, and the keyboard: Tab goes through the form in visual order to
 * the button, focus is visible, a step can be confirmed without a mouse.
 *
 * axe is injected into the page, which the pages' CSP forbids; only the audited context bypasses the CSP.
 */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const FINDINGS_FILE = fileURLToPath(new URL('../../test-output/axe-findings.json', import.meta.url));

interface Violation {
  page: string;
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string; summary: string }[];
}

let world: World;
/** axe needs to run a script: this context alone bypasses the pages' CSP. */
let audited: BrowserContext;
/** The keyboard tests use an ordinary context, CSP in force. */
let keyboard: BrowserContext;
const findings: Violation[] = [];
const audits: string[] = [];

beforeAll(async () => {
  world = await startWorld();
  [audited, keyboard] = await Promise.all([participantContext(world, { bypassCSP: true }), participantContext(world)]);
});

afterAll(async () => {
  mkdirSync(fileURLToPath(new URL('../../test-output/', import.meta.url)), { recursive: true });
  writeFileSync(FINDINGS_FILE, JSON.stringify({ audited: audits, violations: findings }, null, 2));
  await world?.close();
});

async function axeViolations(page: Page): Promise<Omit<Violation, 'page'>[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  return (await page.evaluate(async () => {
    const w = globalThis as any;
    const result = await w.axe.run(w.document, { resultTypes: ['violations'] });
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.map((n: any) => ({ target: n.target.join(' '), summary: String(n.failureSummary ?? '').replace(/\s+/g, ' ') })),
    }));
  })) as Omit<Violation, 'page'>[];
}

/** axe, `lang`, and labels on the page as it is now. */
async function audit(page: Page, name: string, lang = 'pl'): Promise<void> {
  audits.push(name);
  expect(await page.locator('html').getAttribute('lang'), `${name}: <html lang>`).toBe(lang);
  expect((await page.title()).length, `${name}: <title>`).toBeGreaterThan(0);

  const unlabelled = await page.evaluate(() => {
    const doc = (globalThis as any).document;
    const fields = [...doc.querySelectorAll('input:not([type=hidden]), select, textarea')];
    return fields
      .filter((field: any) => {
        const labels = [...(field.labels ?? [])].map((label: any) => label.textContent.trim()).filter(Boolean);
        const labelledBy = (field.getAttribute('aria-labelledby') ?? '').split(/\s+/).filter(Boolean).map((id: string) => doc.getElementById(id)?.textContent?.trim()).filter(Boolean);
        return labels.length === 0 && labelledBy.length === 0 && !(field.getAttribute('aria-label') ?? '').trim();
      })
      .map((field: any) => `${field.tagName.toLowerCase()}[name=${field.name}]`);
  });
  expect(unlabelled, `${name}: fields without a label`).toEqual([]);

  const violations = await axeViolations(page);
  findings.push(...violations.map((v) => ({ page: name, ...v })));
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = blocking.map((v) => `${v.impact} ${v.id} (${v.help}):\n${v.nodes.map((n) => `    ${n.target} — ${n.summary}`).join('\n')}`).join('\n');
  expect(blocking.map((v) => v.id), `${name}: axe violations with impact serious or critical:\n${report}`).toEqual([]);
}

async function open(context: BrowserContext, url: string, status: number): Promise<Page> {
  const page = await context.newPage();
  const response = await page.goto(url);
  expect(response!.status(), url).toBe(status);
  return page;
}

/** A new case whose contact has not confirmed yet: the case id and the JST's confirmation link. */
async function newCase(page: Page): Promise<{ caseId: string; contactLink: string }> {
  await page.goto(world.stack.urls.form);
  await fillNotificationForm(page, fullNotification());
  expect(await press(page, page.getByRole('button', { name: 'Wyślij zgłoszenie' }))).toBe(201);
  const caseId = CASE_ID.exec((await page.locator('main').textContent()) ?? '')![0];
  return { caseId, contactLink: linkIn(await world.inbox.take(JST, [caseId, CONTACT_SUBJECT])) };
}

interface Stop {
  id: string;
  tag: string;
  type: string;
  text: string;
  top: number;
  left: number;
  outlineStyle: string;
  outlineWidth: number;
  inForm: boolean;
  inMain: boolean;
}

/** Presses Tab until `until` is focused (or `max` presses); returns every distinct focus stop with its geometry and outline. */
async function tabThrough(page: Page, until: (stop: Stop) => boolean, max = 80): Promise<Stop[]> {
  const stops: Stop[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const stop = (await page.evaluate(() => {
      const w = globalThis as any;
      const el = w.document.activeElement;
      if (!el || el === w.document.body) return null;
      const rect = el.getBoundingClientRect();
      const style = w.getComputedStyle(el);
      return {
        id: el.id || el.name || el.textContent.trim(),
        tag: el.tagName.toLowerCase(),
        type: el.type ?? '',
        text: (el.textContent ?? '').trim(),
        top: rect.top + w.scrollY,
        left: rect.left + w.scrollX,
        outlineStyle: style.outlineStyle,
        outlineWidth: parseFloat(style.outlineWidth),
        inForm: !!el.closest('main form'),
        inMain: !!el.closest('main'),
      };
    })) as Stop | null;
    if (!stop) continue;
    // A date field takes several Tabs (day, month, year): one stop.
    if (stops.at(-1)?.id !== stop.id) stops.push(stop);
    if (until(stop)) break;
  }
  return stops;
}

describe('accessibility of every page type', () => {
  it('the audit itself finds violations where there are some (control)', async () => {
    const page = await audited.newPage();
    await page.setContent('<!doctype html><html><head><title>x</title></head><body><main><input type="text" name="x"><img src="data:,"><p style="color:#ccc;background:#fff">słabo widoczny tekst</p></main></body></html>');
    const ids = (await axeViolations(page)).map((v) => v.id);
    expect(ids).toEqual(expect.arrayContaining(['html-has-lang', 'label', 'image-alt', 'color-contrast']));
    await page.close();
  });

  it('the notification form, the form with errors and the accepted page', async () => {
    const page = await open(audited, world.stack.urls.form, 200);
    await audit(page, 'form');
    expect(await press(page, page.getByRole('button', { name: 'Wyślij zgłoszenie' }))).toBe(400);
    await audit(page, 'form with errors');
    // Errors are announced and tied to their fields.
    expect(await page.locator('[role=alert]').count()).toBe(1);
    const invalid = page.locator('[aria-invalid=true]');
    expect(await invalid.count()).toBeGreaterThan(3);
    for (const field of await invalid.all()) {
      const describedBy = (await field.getAttribute('aria-describedby')) ?? '';
      expect(describedBy, `${await field.getAttribute('name')} points at its error`).toMatch(/-error\b/);
    }
    await fillNotificationForm(page, fullNotification());
    expect(await press(page, page.getByRole('button', { name: 'Wyślij zgłoszenie' }))).toBe(201);
    await audit(page, 'accepted');
  });

  it('the step pages (checkbox, radio buttons, text fields) with and without errors, the thank-you and the already-recorded page', async () => {
    const { caseId, contactLink } = await newCase(await audited.newPage());

    const contact = await open(audited, contactLink, 200);
    await audit(contact, 'step: contact confirmation (checkbox)');
    expect(await press(contact, contact.getByRole('button', { name: CONTACT_BUTTON, exact: true }))).toBe(400);
    await audit(contact, 'step with errors: contact confirmation');
    await contact.getByRole('checkbox').check();
    expect(await press(contact, contact.getByRole('button', { name: CONTACT_BUTTON, exact: true }))).toBe(200);
    expect(await heading(contact)).toBe(THANK_YOU);
    await audit(contact, 'thank-you');

    const agreeLink = linkIn(await world.inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']));
    const agree = await open(audited, agreeLink, 200);
    await audit(agree, 'step: variant (radio buttons, text areas)');
    await agree.getByLabel('Odrzucenie zgłoszenia').check();
    expect(await press(agree, agree.getByRole('button', { name: 'Zapisz decyzję' }))).toBe(400);
    await audit(agree, 'step with errors: variant (reason missing)');
    await agree.getByLabel('Zmiana z migracją danych (zbiory stare zostaną zarchiwizowane)').check();
    expect(await press(agree, agree.getByRole('button', { name: 'Zapisz decyzję' }))).toBe(200);

    const recorded = await open(audited, agreeLink, 409);
    await audit(recorded, 'already recorded');

    const codes = await open(audited, linkIn(await world.inbox.take(MRPIPS, [caseId, 'Utworzenie nowych zbiorów'])), 200);
    await audit(codes, 'step: new collection codes (text fields)');

    // The other language the header offers (a plain link): the same page, its own document language.
    const languageSwitch = codes.locator('header a[hreflang]');
    expect(await languageSwitch.count()).toBe(1);
    const lang = (await languageSwitch.getAttribute('hreflang'))!;
    await Promise.all([codes.waitForEvent('load'), languageSwitch.click()]);
    await audit(codes, `step: new collection codes, language switched to ${lang}`, lang);
    expect((await stepItem(world, caseId, 'NEW_COLLECTIONS.1'))!.status).toBe('PENDING');
  });

  it('the link-problem pages, the hand-over of a step and the case page linked from the e-mails', async () => {
    const { caseId, contactLink } = await newCase(await audited.newPage());
    await audit(await open(audited, tampered(contactLink), 403), 'link problem: tampered');
    await audit(await open(audited, contactLink.slice(0, contactLink.indexOf('&sig=')), 400), 'link problem: incomplete');
    const email = (await world.inbox.to(JST, caseId)).find((e) => e.subject.includes(CONTACT_SUBJECT))!;
    const others = [...(email.body.text ?? '').matchAll(/https?:\/\/[^\s]+/g)].map((m) => m[0]).filter((url) => url !== contactLink);
    for (const url of others) await audit(await open(audited, url, 200), `linked from the e-mail: ${new URL(url).pathname}`);

    const contact = await open(audited, contactLink, 200);
    await contact.getByRole('checkbox').check();
    expect(await press(contact, contact.getByRole('button', { name: CONTACT_BUTTON, exact: true }))).toBe(200);
    const agreeLink = linkIn(await world.inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']));
    const agree = await open(audited, agreeLink, 200);
    const colleague = agree.getByLabel('Adres e-mail osoby, której przekazujesz krok');
    await colleague.fill('to nie jest adres');
    expect(await press(agree, agree.getByRole('button', { name: 'Przekaż krok' }))).toBe(400);
    await audit(agree, 'step with errors: hand-over');
    await colleague.fill('zastepca.di@mrpips.gov.pl');
    expect(await press(agree, agree.getByRole('button', { name: 'Przekaż krok' }))).toBe(200);
    await audit(agree, 'step handed over');
    await audit(await open(audited, agreeLink, 410), 'link problem: superseded');
  });

  it('keyboard only: Tab goes through the form fields in visual order to the submit button, with a visible focus', async () => {
    const page = await open(keyboard, world.stack.urls.form, 200);
    const stops = await tabThrough(page, (stop) => stop.tag === 'button' && stop.text === 'Wyślij zgłoszenie');
    expect(stops.at(-1)?.text, 'the submit button is reachable with Tab').toBe('Wyślij zgłoszenie');
    // Only the page header (e.g. a language switch) may come before the form; then the form, and nothing else.
    const firstInForm = stops.findIndex((stop) => stop.inForm);
    expect(stops.slice(0, firstInForm).every((stop) => !stop.inMain), `stops before the form: ${stops.slice(0, firstInForm).map((s) => s.id).join(', ')}`).toBe(true);
    const inForm = stops.slice(firstInForm);
    expect(inForm.every((stop) => stop.inForm), 'every stop from the first field to the button is a form control').toBe(true);

    // Every field of the form is a stop, in document order...
    const controls = (await page.locator('main form').first().locator('input:not([type=hidden]), textarea, button').evaluateAll((els) => els.map((el: any) => el.id || el.name || el.textContent.trim()))) as string[];
    expect(inForm.map((stop) => stop.id)).toEqual(controls);
    // ...which is the visual order: top to bottom (one column), header first.
    for (let i = 1; i < stops.length; i++) {
      const [before, after] = [stops[i - 1]!, stops[i]!];
      expect(after.top > before.top || (after.top === before.top && after.left > before.left), `${after.id} is after ${before.id} on screen`).toBe(true);
    }
    // Focus is visible: every stop gets an outline.
    for (const stop of stops) {
      expect(stop.outlineStyle, `${stop.id}: outline on focus`).not.toBe('none');
      expect(stop.outlineWidth, `${stop.id}: outline width`).toBeGreaterThanOrEqual(2);
    }
    const resting = await page.getByLabel('Nazwa urzędu / jednostki', { exact: true }).evaluate((el) => (globalThis as any).getComputedStyle(el).outlineStyle);
    expect(resting, 'the outline comes from :focus, not from the field itself').toBe('none');

    // Enter on the button sends the form; the error summary is the first stop of the page that comes back.
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.waitForEvent('load'), page.keyboard.press('Enter')]);
    expect(response.status()).toBe(400);
    const first = (await tabThrough(page, (stop) => stop.inMain)).at(-1);
    expect(first!.tag).toBe('a');
    expect(first!.text).toMatch(/^Nazwa urzędu \/ jednostki:/);
    expect(first!.outlineStyle).not.toBe('none');
  });

  it('keyboard only: a step is confirmed without the mouse (Tab, Space, Enter)', async () => {
    const { caseId, contactLink } = await newCase(await keyboard.newPage());
    const page = await open(keyboard, contactLink, 200);
    const stops = await tabThrough(page, (stop) => stop.type === 'checkbox');
    expect(stops.at(-1)?.type).toBe('checkbox');
    expect(stops.at(-1)!.outlineStyle).not.toBe('none');
    await page.keyboard.press('Space');
    expect(await page.getByRole('checkbox').isChecked()).toBe(true);
    const toButton = await tabThrough(page, (stop) => stop.tag === 'button');
    expect(toButton.at(-1)?.text).toBe(CONTACT_BUTTON);
    expect(toButton.at(-1)!.outlineStyle).not.toBe('none');
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.waitForEvent('load'), page.keyboard.press('Enter')]);
    expect(response.status()).toBe(200);
    expect(await heading(page)).toBe(THANK_YOU);
    expect((await stepItem(world, caseId, linkTarget(contactLink).stepKey))!.status).toBe('COMPLETED');

    // The variant by keyboard: Tab into the radio group, arrows to choose, Tab to the button, Enter.
    const agree = await open(keyboard, linkIn(await world.inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu'])), 200);
    const toRadio = await tabThrough(agree, (stop) => stop.type === 'radio');
    expect(toRadio.at(-1)?.type).toBe('radio');
    await agree.keyboard.press('ArrowDown');
    expect(await agree.getByLabel('Zmiana bez migracji danych (zbiory stare zostaną zamknięte)').isChecked()).toBe(true);
    const toSave = await tabThrough(agree, (stop) => stop.tag === 'button');
    expect(toSave.at(-1)?.text).toBe('Zapisz decyzję');
    const [saved] = await Promise.all([agree.waitForResponse((r) => r.request().method() === 'POST'), agree.waitForEvent('load'), agree.keyboard.press('Enter')]);
    expect(saved.status()).toBe(200);
    expect((await stepItem(world, caseId, 'AGREE_VARIANT.1'))).toMatchObject({ status: 'COMPLETED', response: { decision: 'WITHOUT_MIGRATION' } });
  });
});
