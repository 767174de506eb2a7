import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkIn, notificationFields, stepExecutionArn, submitForm, type StoredEmail, untilWaitingForPeople } from '../e2e/participants.js';
import {
  CASE_ID,
  CONTACT_BUTTON,
  CONTACT_SUBJECT,
  JST,
  MRPIPS,
  THANK_YOU,
  confirmContactInBrowser,
  heading,
  linkTarget,
  participantContext,
  press,
  startWorld,
  stepItem,
  submit,
  tampered,
  type World,
} from './people.js';

/**
 * Mail scanners (Microsoft Safe Links, Proofpoint, Mimecast) open every link of a message before the
 * person does: they load the page, wait for the network to go quiet, run its scripts (which may submit
 * forms), follow its links and send HEAD requests. None of that may confirm a step; only the person's
 * button press does. The link pages must also refuse to be framed (clickjacking of the button).
 */
let world: World;
let person: BrowserContext;
/** A page on another origin (127.0.0.1, another port) that frames whatever `?src=` names; `/plain` may be framed. */
let framer: Server;
let framerUrl = '';

const SCANNER_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 SafeLinksScanner/1.0';

beforeAll(async () => {
  world = await startWorld();
  person = await participantContext(world);
  framer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://framer');
    if (url.pathname === '/plain') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>plain</title><h1>ramka dozwolona</h1>');
      return;
    }
    const src = (url.searchParams.get('src') ?? '').replace(/&/g, '&amp;').replace(/"/g, '&quot;');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>framer</title><iframe id="target" src="${src}" width="800" height="600"></iframe>`);
  });
  await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
  framerUrl = `http://127.0.0.1:${(framer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  framer?.closeAllConnections();
  await new Promise((resolve) => (framer ? framer.close(resolve) : resolve(undefined)));
  await world?.close();
});

async function notify(): Promise<string> {
  const res = await submitForm(world.stack.urls.form, notificationFields());
  expect(res.status, res.body).toBe(201);
  return CASE_ID.exec(res.body)![0];
}

function expectPageHeaders(headers: Record<string, string>, what: string): void {
  const csp = headers['content-security-policy'] ?? '';
  expect(csp, what).toContain("default-src 'none'");
  expect(csp, what).toContain("frame-ancestors 'none'");
  expect(csp, what).not.toMatch(/script-src|unsafe-inline|unsafe-eval/);
  expect(headers['referrer-policy'], what).toBe('no-referrer');
  expect(headers['x-frame-options'], what).toBe('DENY');
  expect(headers['cache-control'], what).toBe('no-store');
  expect(headers['x-content-type-options'], what).toBe('nosniff');
}

/** Injects what a hostile or instrumented page would run and reports whether the page's CSP let any of it run. */
async function tryScripts(page: Page): Promise<{ inlineRan: boolean; handlerRan: boolean; violations: string[] }> {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        const w = globalThis as any;
        const doc = w.document;
        const violations: string[] = [];
        doc.addEventListener('securitypolicyviolation', (e: any) => violations.push(String(e.effectiveDirective)));
        const script = doc.createElement('script');
        script.textContent = 'window.__inlineRan = true; document.querySelector("form") && document.querySelector("form").submit();';
        doc.body.append(script);
        const button = doc.createElement('button');
        button.setAttribute('type', 'button');
        button.setAttribute('onclick', 'window.__handlerRan = true');
        doc.body.append(button);
        button.click();
        button.remove();
        setTimeout(() => resolve({ inlineRan: w.__inlineRan === true, handlerRan: w.__handlerRan === true, violations }), 250);
      }),
  );
}

/**
 * Everything a scanner does with the e-mail: every link of the message (HTML and text) is loaded until the
 * network is idle, its scripts get their chance, every link on the page is followed, the link is sent again
 * with HEAD, and the form's fields are sent with GET. Returns how many pages and requests it made.
 */
async function scan(email: StoredEmail): Promise<{ pages: number; requests: number }> {
  const scanner = await participantContext(world, { userAgent: SCANNER_UA, locale: 'en-US' });
  let requests = 0;
  scanner.on('request', () => requests++);
  const pages = new Set<string>();
  try {
    const mail = await scanner.newPage();
    await mail.setContent(email.body.html ?? '');
    const mailLinks = await mail.locator('a[href]').evaluateAll((anchors) => anchors.map((a) => (a as any).href as string));
    const textLinks = (email.body.text ?? '').match(/https?:\/\/[^\s]+/g) ?? [];
    const toVisit = [...new Set([linkIn(email), ...mailLinks, ...textLinks].filter((href) => href.startsWith('http')))];
    expect(toVisit).toContain(linkIn(email));
    await mail.close();

    for (const href of toVisit) {
      const page = await scanner.newPage();
      const response = await page.goto(href, { waitUntil: 'networkidle' });
      pages.add(href);
      // Every link of an e-mail must work (a person clicks them too) and be as inert as the step page. A
      // broken secondary link is reported at the end of the test, after the scanner has done everything else.
      if (href !== linkIn(email) && response!.status() !== 200) {
        expect.soft(response!.status(), `${href} from the e-mail "${email.subject}" does not work`).toBe(200);
        await page.close();
        continue;
      }
      expect(response!.status(), href).toBe(200);
      expectPageHeaders(await response!.allHeaders(), href);
      expect(await page.locator('script').count(), 'the page has no script').toBe(0);
      expect(await page.locator('meta[http-equiv="refresh" i]').count()).toBe(0);
      expect(await page.locator('[onload],[onclick],[onfocus],[onerror],[onmouseover],[onsubmit],[autofocus]').count()).toBe(0);
      const methods = await page.locator('form').evaluateAll((forms) => forms.map((f) => String((f as any).method)));
      expect(methods.every((method) => method === 'post'), `forms of ${href}: ${methods.join(', ')}`).toBe(true);
      if (href === linkIn(email)) expect(methods.length, 'the step page has its form').toBeGreaterThanOrEqual(1);
      const blocked = await tryScripts(page);
      expect(blocked.inlineRan, 'an inline script ran').toBe(false);
      expect(blocked.handlerRan, 'an inline event handler ran').toBe(false);
      expect(blocked.violations).toEqual(expect.arrayContaining(['script-src-elem', 'script-src-attr']));
      await page.waitForLoadState('networkidle');

      // Every GET link on the page is clicked, as a scanner crawling the page would; the page's Referrer-Policy
      // keeps the signed URL out of the Referer header.
      const pageLinks = await page.locator('a[href]').count();
      for (let i = 0; i < pageLinks; i++) {
        const from = await scanner.newPage();
        await from.goto(href);
        const anchor = from.locator('a[href]').nth(i);
        const next = await anchor.evaluate((a) => (a as any).href as string);
        const [navigation] = await Promise.all([from.waitForRequest((r) => r.isNavigationRequest() && r.url() === next), anchor.click()]);
        await from.waitForLoadState('networkidle');
        expect(await navigation.headerValue('referer'), `Referer sent when following ${next}`).toBeNull();
        const followed = (await navigation.response())!;
        expect(followed.status(), next).toBeLessThan(400);
        if (new URL(next).origin === new URL(href).origin) expectPageHeaders(await followed.allHeaders(), next);
        expect(await from.locator('script').count(), `${next} has no script`).toBe(0);
        pages.add(next);
        await from.close();
      }

      requests += 2; // the HEAD and the GET-submitted form below
      const head = await scanner.request.fetch(href, { method: 'HEAD' });
      expect(head.status()).toBe(200);
      expectPageHeaders(head.headers(), `HEAD ${href}`);
      expect(await head.body()).toHaveLength(0);

      // A scanner that submits forms as GET: the form's fields end up in the query string.
      const asGet = new URL(href);
      for (const [name, value] of [['decision', 'WITH_MIGRATION'], ['confirmed', 'tak']]) asGet.searchParams.append(name, value);
      expect((await scanner.request.get(asGet.toString())).status()).toBeLessThan(500);
      await page.close();
    }
  } finally {
    await scanner.close();
  }
  return { pages: pages.size, requests };
}

/** The scanner goes first; the step must still wait, with no e-mail sent. Then the person presses the button. */
async function scannerThenPerson(email: StoredEmail, choose: (page: Page) => Promise<void>, button: string): Promise<void> {
  const link = linkIn(email);
  const { caseId, stepKey } = linkTarget(link);
  const before = await stepItem(world, caseId, stepKey);
  expect(before?.status).toBe('PENDING');
  await untilWaitingForPeople(world.stack); // the e-mails the case has sent so far, all of them
  const mailsBefore = (await world.inbox.all()).length;

  const scanned = await scan(email);
  expect(scanned.pages).toBeGreaterThanOrEqual(1);
  expect(scanned.requests, 'requests the scanner made').toBeGreaterThan(scanned.pages);
  // The step's request is still what its child waits for and the outbox is empty: a wrongly started step would have
  // sent its e-mail by now.
  const [step, round] = stepKey.split('.');
  const waiting = await untilWaitingForPeople(world.stack);
  expect(waiting.get(stepExecutionArn(world.stack, caseId, step!, Number(round)))?.state, 'the step still waits for its participant').toBe('Request confirmation');
  expect(await stepItem(world, caseId, stepKey), 'the scanner changed the step').toEqual(before);
  expect((await world.inbox.all()).length, 'the scanner caused an e-mail').toBe(mailsBefore);

  const page = await person.newPage();
  expect((await page.goto(link))!.status()).toBe(200);
  await choose(page);
  expect(await press(page, page.getByRole('button', { name: button, exact: true }))).toBe(200);
  expect(await heading(page)).toBe(THANK_YOU);
  await page.close();
  expect((await stepItem(world, caseId, stepKey))!.status).toBe('COMPLETED');
}

describe('mail scanners opening the links', () => {
  it("the JST contact's confirmation link: a scanner's visit leaves the step PENDING and sends nothing; the person's click confirms it", async () => {
    const caseId = await notify();
    const email = await world.inbox.take(JST, [caseId, CONTACT_SUBJECT]);
    await scannerThenPerson(email, (page) => page.getByRole('checkbox').check(), CONTACT_BUTTON);
    await world.inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']);
  });

  it("MRPiPS's variant link: a scanner's visit leaves the step PENDING and sends nothing; the person's click completes it", async () => {
    const caseId = await notify();
    await confirmContactInBrowser(world, person, caseId);
    const email = await world.inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']);
    await scannerThenPerson(email, (page) => page.getByLabel('Zmiana bez migracji danych (zbiory stare zostaną zamknięte)').check(), 'Zapisz decyzję');
    await world.inbox.take(JST, [caseId, 'uzgodniono tryb zmiany']);
    await world.inbox.take(MRPIPS, [caseId, 'Utworzenie nowych zbiorów']);
  });

  it('every page is sent with the protective headers: CSP without scripts, no referrer, no framing, no caching', async () => {
    const page = await person.newPage();
    const form = await page.goto(world.stack.urls.form);
    expectPageHeaders(await form!.allHeaders(), 'form');
    expectPageHeaders(await (await submit(page, page.getByRole('button', { name: 'Wyślij zgłoszenie' }))).allHeaders(), 'form with errors');

    const caseId = await notify();
    const link = linkIn(await world.inbox.take(JST, [caseId, CONTACT_SUBJECT]));
    const step = await page.goto(link);
    expectPageHeaders(await step!.allHeaders(), 'step page');
    const confirm = page.getByRole('button', { name: CONTACT_BUTTON, exact: true });
    const invalid = await submit(page, confirm);
    expect(invalid.status()).toBe(400);
    expectPageHeaders(await invalid.allHeaders(), 'step page with errors');
    await page.getByRole('checkbox').check();
    const thanks = await submit(page, confirm);
    expect(thanks.status()).toBe(200);
    expectPageHeaders(await thanks.allHeaders(), 'thank-you page');
    const again = await page.goto(link);
    expect(again!.status()).toBe(409);
    expectPageHeaders(await again!.allHeaders(), 'already recorded');
    const bad = await page.goto(tampered(link));
    expect(bad!.status()).toBe(403);
    expectPageHeaders(await bad!.allHeaders(), 'link problem');
    await page.close();
  });

  it('a link page cannot be framed, neither from a data: page nor from another origin; the framing changes nothing', async () => {
    const caseId = await notify();
    const link = linkIn(await world.inbox.take(JST, [caseId, CONTACT_SUBJECT]));
    const { stepKey } = linkTarget(link);
    const before = await stepItem(world, caseId, stepKey);
    const context = await participantContext(world);
    try {
      const page = await context.newPage();
      const refusals: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' && message.text().includes('frame-ancestors')) refusals.push(message.text());
      });
      const attempts: [string, string][] = [
        ['a data: page', `data:text/html;charset=utf-8,${encodeURIComponent(`<!doctype html><iframe src="${link.replace(/&/g, '&amp;')}" width="800" height="600"></iframe>`)}`],
        ['another origin', `${framerUrl}/?src=${encodeURIComponent(link)}`],
      ];
      for (const [where, url] of attempts) {
        const framed = page.waitForResponse((r) => r.url() === link);
        await page.goto(url, { waitUntil: 'load' });
        if (where === 'another origin') expect((await framed).status(), 'the server answered; the browser must refuse to show it').toBe(200);
        const frame = await page.locator('iframe').elementHandle().then((handle) => handle!.contentFrame());
        expect(frame, where).not.toBeNull();
        expect(frame!.url(), `${where}: the frame shows the page`).toBe('chrome-error://chromewebdata/');
        expect(await frame!.locator('form').count(), where).toBe(0);
        expect(await frame!.locator('body').textContent(), where).not.toContain(caseId);
      }
      expect(refusals.length, 'Chromium reported the frame-ancestors refusal').toBeGreaterThanOrEqual(1);

      // The same framing works for a page that allows it, so the refusal above is the link page's doing.
      await page.goto(`${framerUrl}/?src=${encodeURIComponent(`${framerUrl}/plain`)}`, { waitUntil: 'load' });
      const control = await page.locator('iframe').elementHandle().then((handle) => handle!.contentFrame());
      expect(await control!.locator('h1').textContent()).toBe('ramka dozwolona');
    } finally {
      await context.close();
    }
    expect(await stepItem(world, caseId, stepKey)).toEqual(before);
  });
});
