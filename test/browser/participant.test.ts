import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../../lambdas/core/case.js';
import { todayInPoland } from '../../lambdas/core/fields.js';
import { linkIn, stepExecutionArn, untilWaitingForPeople } from '../e2e/participants.js';
import {
  CASE_ID,
  CONTACT_BUTTON,
  CONTACT_SUBJECT,
  JST,
  MRPIPS,
  THANK_YOU,
  VOIVODESHIP_14,
  caseAt,
  fillNotificationForm,
  fullNotification,
  heading,
  notificationInput,
  participantContext,
  press,
  screenshot,
  startWorld,
  stepItem,
  tampered,
  type World,
} from './people.js';

/**
 * The steps of a case played in a real browser the way its participants play them: each in their own browser
 * profile, every field found by its visible Polish label, every action a button press. Each test starts from a
 * fresh case brought to its step over HTTP (caseAt), so any of them runs alone or in any order.
 */
let world: World;
let jst: BrowserContext;
let mrpips: BrowserContext;
let voivodeship: BrowserContext;

beforeAll(async () => {
  world = await startWorld();
  [jst, mrpips, voivodeship] = await Promise.all([participantContext(world), participantContext(world), participantContext(world)]);
});

afterAll(async () => {
  await world?.close();
});

async function openLink(context: BrowserContext, link: string, status = 200): Promise<Page> {
  const page = await context.newPage();
  const response = await page.goto(link);
  expect(response!.status(), await response!.text()).toBe(status);
  return page;
}

async function caseRecord(caseId: string): Promise<CaseRecord> {
  const out = await world.db.send(new GetItemCommand({ TableName: world.stack.config.TABLE_NAME, Key: { pk: { S: `CASE#${caseId}` }, sk: { S: 'CASE' } }, ConsistentRead: true }));
  return unmarshall(out.Item!) as CaseRecord;
}

describe('a case played in the browser, as its participants do', () => {
  it('the JST fills in the notification form by its labels: errors are shown on the form, then the accepted page gives the case id', async () => {
    const fields = fullNotification();
    const page = await jst.newPage();
    const form = await page.goto(world.stack.urls.form);
    expect(form!.status()).toBe(200);
    expect(await heading(page)).toBe('Zgłoszenie zmiany dostawcy systemu dziedzinowego (SD)');
    await screenshot(page, 'form');

    // Sent with one wrong value and the rest empty: the form comes back with the errors, the value kept.
    await notificationInput(page, 'teryt').fill('12');
    expect(await press(page, page.getByRole('button', { name: 'Wyślij zgłoszenie' }))).toBe(400);
    const summary = page.getByRole('alert');
    expect(await summary.getByRole('heading').textContent()).toMatch(/^Formularz zawiera błędy \(\d+\)$/);
    expect(await summary.getByRole('link').count()).toBeGreaterThan(3);
    const officeName = notificationInput(page, 'officeName');
    expect(await officeName.getAttribute('aria-invalid')).toBe('true');
    expect(await notificationInput(page, 'teryt').inputValue()).toBe('12');
    await screenshot(page, 'form-errors');
    // The summary's links lead to the fields.
    await summary.getByRole('link', { name: new RegExp(`^Nazwa urzędu / jednostki:`) }).click();
    expect(new URL(page.url()).hash).toBe('#f-officeName');

    await fillNotificationForm(page, fields);
    expect(await press(page, page.getByRole('button', { name: 'Wyślij zgłoszenie' }))).toBe(201);
    expect(await heading(page)).toBe('Zgłoszenie przyjęte');
    const text = (await page.locator('main').textContent()) ?? '';
    const caseId = CASE_ID.exec(text)![0];
    expect(text).toContain(JST);
    await screenshot(page, 'accepted');

    const record = await caseRecord(caseId);
    expect(record.status).toBe('IN_PROGRESS');
    expect(record.notification).toMatchObject({ officeName: fields.officeName, teryt: fields.teryt, remarks: fields.remarks, contact: { email: JST } });
    expect(record.collections.map((c) => c.oldCode)).toEqual([fields['areas.0.oldCollectionCode'], fields['areas.1.oldCollectionCode'], fields['areas.2.oldCollectionCode']]);
  });

  it('the JST contact confirms the e-mail address through the signed link; only then is MRPiPS asked', async () => {
    const caseId = await caseAt(world, 'notified');
    const email = await world.inbox.take(JST, [caseId, CONTACT_SUBJECT]);
    // The case waits for the contact, everything it queued sent: MRPiPS has nothing.
    expect((await untilWaitingForPeople(world.stack)).get(stepExecutionArn(world.stack, caseId, 'CONFIRM_CONTACT'))?.state).toBe('Request confirmation');
    expect(await world.inbox.to(MRPIPS, caseId)).toEqual([]);

    const page = await openLink(jst, linkIn(email));
    await screenshot(page, 'step-contact-confirmation');
    await page.getByRole('checkbox').check();
    expect(await press(page, page.getByRole('button', { name: CONTACT_BUTTON, exact: true }))).toBe(200);
    expect(await heading(page)).toBe(THANK_YOU);
    expect(await page.locator('main').textContent()).toContain(caseId);
    await screenshot(page, 'thank-you');

    await world.inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']);
    await world.inbox.take(JST, [caseId, 'przyjęto zgłoszenie']);
    const step = await stepItem(world, caseId, 'CONFIRM_CONTACT.1');
    expect(step).toMatchObject({ status: 'COMPLETED', completedBy: { email: JST, role: 'JST' } });
  });

  it('MRPiPS chooses the variant with the radio button by its label; the page refuses a missing choice; a second visit shows it is already recorded', async () => {
    const caseId = await caseAt(world, 'awaiting the variant');
    const agreeVariantLink = linkIn(await world.inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']));
    const page = await openLink(mrpips, agreeVariantLink);
    expect(await heading(page)).toBe('Uzgodnienie trybu zmiany dostawcy SD');
    expect(await page.locator('main').textContent()).toContain(`Potwierdzasz jako: ${MRPIPS}`);
    await screenshot(page, 'step');

    expect(await press(page, page.getByRole('button', { name: 'Zapisz decyzję' }))).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('Wybierz jedną z decyzji.');
    expect((await stepItem(world, caseId, 'AGREE_VARIANT.1'))!.status).toBe('PENDING');
    await screenshot(page, 'step-errors');

    await page.getByLabel('Zmiana z migracją danych (zbiory stare zostaną zarchiwizowane)').check();
    await page.getByLabel('Ustalenia z JST (opcjonalnie)').fill('Uzgodniono telefonicznie z panią Kowalską.');
    expect(await press(page, page.getByRole('button', { name: 'Zapisz decyzję' }))).toBe(200);
    expect(await heading(page)).toBe(THANK_YOU);

    const step = await stepItem(world, caseId, 'AGREE_VARIANT.1');
    expect(step).toMatchObject({ status: 'COMPLETED', response: { decision: 'WITH_MIGRATION', note: 'Uzgodniono telefonicznie z panią Kowalską.' }, completedBy: { email: MRPIPS } });
    expect(step!.completedBy!.userAgent).toContain('Chrome');
    const told = await world.inbox.take(JST, [caseId, 'uzgodniono tryb zmiany']);
    expect(told.subject).toContain('z migracją danych');

    // The link opened again (the person comes back from the e-mail) says the step is already recorded.
    const again = await openLink(mrpips, agreeVariantLink, 409);
    expect(await heading(again)).toBe('Ten krok został już potwierdzony');
    expect(await again.locator('main').textContent()).toContain(MRPIPS);
    await screenshot(again, 'already-recorded');
  });

  it('MRPiPS enters the new collection codes in the form by their labels (step a); the JST gets the codes', async () => {
    const fields = fullNotification();
    const caseId = await caseAt(world, 'awaiting the new collections', fields);
    const page = await openLink(mrpips, linkIn(await world.inbox.take(MRPIPS, [caseId, 'Utworzenie nowych zbiorów'])));
    expect(await heading(page)).toBe('Utworzenie nowych zbiorów CBB');
    await screenshot(page, 'step-new-collections');
    const codes: string[] = [];
    for (const i of [0, 1, 2]) {
      const area = fields[`areas.${i}.area`]!;
      const old = fields[`areas.${i}.oldCollectionCode`]!;
      codes.push(`N${old}`);
      await page.getByLabel(`Nowy kod zbioru — obszar „${area}” (dotychczasowy zbiór ${old})`, { exact: true }).fill(`N${old}`);
    }
    expect(await press(page, page.getByRole('button', { name: 'Zapisz kody nowych zbiorów' }))).toBe(200);
    expect(await heading(page)).toBe(THANK_YOU);

    const mail = await world.inbox.take(JST, [caseId, 'kody nowych zbiorów']);
    for (const code of codes) expect(mail.body.text).toContain(code);
    expect((await caseRecord(caseId)).collections.map((c) => c.newCode)).toEqual(codes);
  });

  it('the JST confirms the deactivation of the old SD with the date and the checkbox (step b); MRPiPS is told', async () => {
    const fields = fullNotification();
    const caseId = await caseAt(world, 'awaiting the old SD deactivation', fields);
    const page = await openLink(jst, linkIn(await world.inbox.take(JST, [caseId, 'Deaktywacja dotychczasowego SD'])));
    expect(await heading(page)).toBe('Deaktywacja dotychczasowego SD');
    await page.getByLabel('Data deaktywacji dotychczasowego SD').fill(todayInPoland());
    await page.getByLabel(`Potwierdzam, że dotychczasowy SD (${fields['oldSd.product']}, ${fields['oldSd.supplier']}) został zdeaktywowany i nie zasila już zbiorów CBB.`).check();
    expect(await press(page, page.getByRole('button', { name: 'Potwierdzam deaktywację' }))).toBe(200);
    expect(await heading(page)).toBe(THANK_YOU);
    await world.inbox.take(MRPIPS, [caseId, 'Deaktywacja dotychczasowego SD — potwierdzono']);
    expect((await stepItem(world, caseId, 'OLD_SD_DEACTIVATED.1'))).toMatchObject({ status: 'COMPLETED', response: { deactivatedOn: todayInPoland(), confirmed: true } });
  });

  it('a tampered link shows a Polish page that says what is wrong and changes nothing', async () => {
    const caseId = await caseAt(world, 'in steps b and c');
    const link = linkIn(await world.inbox.take(VOIVODESHIP_14, [caseId, 'Deaktywacja urzędników i jednostki']));
    const page = await openLink(voivodeship, tampered(link), 403);
    expect(await heading(page)).toBe('Nieprawidłowy link');
    expect(await page.locator('main form').count()).toBe(0);
    await screenshot(page, 'link-problem');
    expect((await stepItem(world, caseId, 'MZT_DEACTIVATED.1'))!.status).toBe('PENDING');
  });
});
