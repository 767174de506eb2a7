import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page, type Response } from 'playwright-core';
import { expect } from 'vitest';
import type { StepRecord } from '../../lambdas/core/step-record.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { todayInPoland } from '../../lambdas/core/fields.js';
import { confirmThroughLink, Inbox, linkIn, notificationFields, submitForm, type StoredEmail } from '../e2e/participants.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.js';

/**
 * What the browser tests share: one local stack and one Chromium per test file, a browser context per
 * participant (Polish locale, Warsaw time), the notification form filled by its visible labels, the step
 * items read straight from DynamoDB, screenshots under test-output/screenshots.
 */
export const MRPIPS = 'sekretariat.di@mrpips.gov.pl';
export const JST = 'anna.kowalska@mops.przykladowo.pl';
export const VOIVODESHIP_14 = 'administrator.mzt.14@uw.local';
export const CASE_ID = /ZSD-\d{4}-\d{5}/;

/** Actions and expectations in the page give up quickly: every page here is local and server-rendered. */
const ACTION_TIMEOUT_MS = 10_000;

export interface World {
  stack: LocalStack;
  inbox: Inbox;
  db: DynamoDBClient;
  browser: Browser;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const [stack, browser] = await Promise.all([
    startLocalStack({ PAGES_PORT: 0, SES_PORT: 0, DYNAMODB_PORT: 0, SFN_PORT: 0, SQS_PORT: 0, RESPONSE_TIMEOUT_SECONDS: 600 }),
    chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS }),
  ]);
  const db = new DynamoDBClient({ region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: stack.urls.dynamodb });
  return {
    stack,
    inbox: new Inbox(stack.urls.inbox),
    db,
    browser,
    async close() {
      await browser.close().catch(() => undefined);
      db.destroy();
      await stack.close();
    },
  };
}

/** One participant's own browser profile: Polish locale and time zone, nothing shared with the others. */
export async function participantContext(world: World, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await world.browser.newContext({ locale: 'pl-PL', timezoneId: 'Europe/Warsaw', viewport: { width: 1000, height: 800 }, ...options });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
  return context;
}

export async function stepItem(world: World, caseId: string, stepKey: string): Promise<StepRecord | undefined> {
  const out = await world.db.send(
    new GetItemCommand({ TableName: world.stack.config.TABLE_NAME, Key: { pk: { S: `CASE#${caseId}` }, sk: { S: `STEP#${stepKey}` } }, ConsistentRead: true }),
  );
  return out.Item ? (unmarshall(out.Item) as StepRecord) : undefined;
}

/** The case and step instance a signed link names (its `c` and `s` parameters). */
export function linkTarget(link: string): { caseId: string; stepKey: string } {
  const url = new URL(link);
  return { caseId: url.searchParams.get('c')!, stepKey: url.searchParams.get('s')! };
}

/** The same link with one parameter changed (a tampered link). */
export function tampered(link: string, name = 'sig'): string {
  const url = new URL(link);
  const value = url.searchParams.get(name)!;
  url.searchParams.set(name, (value[0] === 'A' ? 'B' : 'A') + value.slice(1));
  return url.toString();
}

const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

/** The visible label of each field of the notification form (areas are labelled inside their "Obszar N" group). */
export const NOTIFICATION_LABELS: Record<string, string> = {
  officeName: 'Nazwa urzędu / jednostki',
  teryt: 'Kod TERYT jednostki',
  mztUnitCode: 'Kod jednostki w MZT CSIZS',
  plannedChangeDate: 'Planowana data zmiany dostawcy SD',
  'contact.name': 'Imię i nazwisko osoby kontaktowej',
  'contact.email': 'E-mail osoby kontaktowej',
  'contact.phone': 'Telefon osoby kontaktowej',
  'oldSd.product': 'Dotychczasowy SD — nazwa systemu',
  'oldSd.supplier': 'Dotychczasowy SD — dostawca',
  'newSd.product': 'Nowy SD — nazwa systemu',
  'newSd.supplier': 'Nowy SD — dostawca',
  'newSd.contactEmail': 'E-mail kontaktowy nowego dostawcy (opcjonalnie)',
  remarks: 'Uwagi (opcjonalnie)',
};

/** Every field of the form, the third (optional) area and the remarks included. */
export function fullNotification(overrides: Record<string, string> = {}): Record<string, string> {
  return notificationFields({
    'areas.2.area': 'pomoc społeczna',
    'areas.2.oldCollectionCode': `PS-${Math.random().toString(36).slice(2, 8).toUpperCase()}`,
    remarks: 'Zmiana uzgodniona z nowym dostawcą; prosimy o kontakt telefoniczny.',
    ...overrides,
  });
}

export function notificationInput(page: Page, name: string) {
  const area = /^areas\.(\d+)\.(area|oldCollectionCode)$/.exec(name);
  if (area) {
    const group = page.getByRole('group', { name: new RegExp(`^Obszar ${Number(area[1]) + 1}( \\(opcjonalnie\\))?$`) });
    return group.getByLabel(area[2] === 'area' ? 'Obszar wsparcia' : 'Kod dotychczasowego zbioru CBB');
  }
  const label = NOTIFICATION_LABELS[name];
  if (!label) throw new Error(`No label known for the form field ${name}`);
  return page.getByLabel(label, { exact: true });
}

export async function fillNotificationForm(page: Page, fields: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(fields)) await notificationInput(page, name).fill(value);
}

/** The JST sends the notification through the form in its own browser; returns the case id from the accepted page. */
export async function notifyInBrowser(world: World, page: Page, fields: Record<string, string> = fullNotification()): Promise<string> {
  await page.goto(world.stack.urls.form);
  await fillNotificationForm(page, fields);
  expect(await press(page, page.getByRole('button', { name: 'Wyślij zgłoszenie' }))).toBe(201);
  expect(await heading(page)).toBe('Zgłoszenie przyjęte');
  return CASE_ID.exec((await page.locator('main').textContent()) ?? '')![0];
}

export const CONTACT_SUBJECT = 'prośba o potwierdzenie adresu e-mail';
export const CONTACT_BUTTON = 'Potwierdzam adres i zgłoszenie';

/**
 * Step 1 as the JST's contact does it: opens the link from the e-mail, ticks the confirmation, presses the
 * button and sees the thank-you page. `onPage` may look at the step page first (screenshots, axe).
 */
export async function confirmContactInBrowser(world: World, context: BrowserContext, caseId: string, contactEmail = JST, onPage?: (page: Page) => Promise<void>): Promise<StoredEmail> {
  const email = await world.inbox.take(contactEmail, [caseId, CONTACT_SUBJECT]);
  const page = await context.newPage();
  try {
    expect((await page.goto(linkIn(email)))!.status()).toBe(200);
    await onPage?.(page);
    await page.getByRole('checkbox').check();
    expect(await press(page, page.getByRole('button', { name: CONTACT_BUTTON, exact: true }))).toBe(200);
    expect(await heading(page)).toBe(THANK_YOU);
  } finally {
    await page.close();
  }
  return email;
}

/** How far a test's case has come before the test takes over. */
export const STAGES = ['notified', 'awaiting the variant', 'awaiting the new collections', 'awaiting the old SD deactivation', 'in steps b and c'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * A fresh case brought to `stage` over HTTP (the form, then each participant's link, as test/e2e plays them), so that
 * a browser test starts from the state it needs, not from what an earlier test left. The e-mails of the step the case
 * waits in stay in the inbox for the test to take. Variant: with migration; new codes: `N` + the old code.
 */
export async function caseAt(world: World, stage: Stage, fields: Record<string, string> = fullNotification()): Promise<string> {
  const res = await submitForm(world.stack.urls.form, fields);
  expect(res.status, res.body).toBe(201);
  const caseId = CASE_ID.exec(res.body)![0];
  const oldCodes = Object.entries(fields).filter(([name]) => /^areas\.\d+\.oldCollectionCode$/.test(name));
  const answers: [to: string, subject: string, fields: Record<string, string>][] = [
    [JST, CONTACT_SUBJECT, { confirmed: 'tak' }],
    [MRPIPS, 'Uzgodnienie trybu', { decision: 'WITH_MIGRATION' }],
    [MRPIPS, 'Utworzenie nowych zbiorów', Object.fromEntries(oldCodes.map(([name, code]) => [name.replace(/^areas\.(\d+)\.oldCollectionCode$/, 'newCollections.$1.newCollectionCode'), `N${code}`]))],
    [JST, 'Deaktywacja dotychczasowego SD', { deactivatedOn: todayInPoland(), confirmed: 'tak' }],
  ];
  for (const [to, subject, answer] of answers.slice(0, STAGES.indexOf(stage))) {
    const answered = await confirmThroughLink(await world.inbox.take(to, [caseId, subject]), answer);
    expect(answered.status, `${subject}: ${answered.body}`).toBe(200);
  }
  return caseId;
}

export const THANK_YOU = 'Dziękujemy — potwierdzenie zapisane';

export async function heading(page: Page): Promise<string> {
  return ((await page.getByRole('heading', { level: 1 }).textContent()) ?? '').trim();
}

/** Clicks a submit button and waits for the page its POST returns to load; returns that page's response. */
export async function submit(page: Page, button: Locator): Promise<Response> {
  const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()), page.waitForEvent('load'), button.click()]);
  return response;
}

/** Clicks a submit button and waits for the page its POST returns to load; returns that page's status. */
export async function press(page: Page, button: Locator): Promise<number> {
  return (await submit(page, button)).status();
}
