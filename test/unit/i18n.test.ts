import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CaseStore } from '../../lambdas/adapters/case-store.js';
import { methodNotAllowed, pageHandler } from '../../lambdas/adapters/http.js';
import { handleCaseStatus } from '../../lambdas/case-status/index.js';
import { confirmedSummary, describeResponse, stepEffect } from '../../lambdas/core/apply.js';
import { CASE_STATUS_LABEL, COLLECTION_STATE_LABEL, newCase, registeredEvent, ROLE_LABEL, VARIANT_LABEL, type CaseRecord, type CaseStatus, type TimelineEntry } from '../../lambdas/core/case.js';
import { ValidationError } from '../../lambdas/core/errors.js';
import { emailAddress, fieldErrors } from '../../lambdas/core/fields.js';
import { formatDateTime } from '../../lambdas/core/format.js';
import { dictionary, englishDate, hasTranslation, langOf, queryInLang, t, tExact, watchUntranslated, type Lang } from '../../lambdas/core/i18n.js';
import { signingKeysSchema, statusUrl } from '../../lambdas/core/links.js';
import { notificationSchema, parseNotificationForm, type Notification } from '../../lambdas/core/notification.js';
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
import { STEP_IDS, STEPS, type StepContext, type StepId } from '../../lambdas/core/steps.js';
import { VOIVODESHIPS } from '../../lambdas/core/voivodeships.js';
import { handleNotificationForm } from '../../lambdas/notification-form/index.js';

/**
 * The English pages. The sample case has ASCII-only data, so any Polish letter left on an English page is a
 * string the translation missed.
 */
const POLISH_LETTERS = /[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]/;
const TODAY = '2026-03-10';
const AT = '2026-03-10T09:00:00.000Z';
const EMAIL = 'anna.kowalska@mops.example.pl';
const QUERY = 'c=ZSD-2026-00042&s=OLD_SD_DEACTIVATED.1&r=JST&t=abcdefghijklmnop&e=1773103600&l=abcdefghijklmnopqrstuv&k=k1&sig=xyz';
const PROBLEMS: LinkProblem[] = ['MALFORMED', 'BAD_SIGNATURE', 'EXPIRED', 'SUPERSEDED', 'NOT_PENDING', 'NOT_FOUND', 'TOO_LATE', 'FORM_TOKEN', 'STATUS_REVOKED', 'STATUS_EXPIRED'];

/** What a person sees: the text without the style sheet, tags and entities (the <title> included). */
function visibleText(body: string): string {
  return body
    .replace(/<style>[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z0-9#]+;/gi, ' ')
    .replace(/\s+/g, ' ');
}

function polishLeft(body: string): string[] {
  const text = visibleText(body);
  return [...text.matchAll(/[^.;:()]*[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ][^.;:()]*/g)].map((m) => m[0].trim());
}

function asciiNotification(): Notification {
  return notificationSchema('2000-01-01').parse({
    officeName: 'Social Welfare Centre in Exampletown',
    teryt: '1465011',
    mztUnitCode: 'MOPS-1465011',
    areas: [
      { area: 'family benefits', oldCollectionCode: 'SR-01' },
      { area: 'maintenance fund', oldCollectionCode: 'FA-01' },
    ],
    plannedChangeDate: '2026-04-01',
    contact: { name: 'Anna Kowalska', email: EMAIL, phone: '+48 22 123 45 67' },
    oldSd: { product: 'Old System 5', supplier: 'Old Supplier Ltd' },
    newSd: { product: 'New System 2', supplier: 'New Supplier SA', contactEmail: 'deploy@newsupplier.example' },
    remarks: 'Please call before noon.',
  });
}

/** Every kind of timeline entry the system writes: from the code where it is exported, as the handlers write it otherwise. */
function everyTimelineEntry(record: CaseRecord): TimelineEntry[] {
  const title = (step: StepId) => STEPS[step].title;
  const summaries: string[] = [
    registeredEvent(newCase('ZSD-2026-00042', record.notification, AT)).summary,
    stepEffect(record, 'CONFIRM_CONTACT', 1, { confirmed: true }, AT).summary,
    stepEffect(record, 'AGREE_VARIANT', 1, { decision: 'REJECT', reason: 'The notification is incomplete.' }).summary,
    stepEffect(record, 'AGREE_VARIANT', 1, { decision: 'WITH_MIGRATION' }).summary,
    stepEffect(record, 'AGREE_VARIANT', 1, { decision: 'WITHOUT_MIGRATION' }).summary,
    stepEffect(record, 'NEW_COLLECTIONS', 1, { newCollections: [{ oldCollectionCode: 'SR-01', newCollectionCode: 'NSR-01' }, { oldCollectionCode: 'FA-01', newCollectionCode: 'NFA-01' }] }).summary,
    stepEffect(record, 'OLD_SD_DEACTIVATED', 1, { deactivatedOn: TODAY, confirmed: true }).summary,
    stepEffect({ ...record, variant: 'WITH_MIGRATION' }, 'NEW_SD_FEEDING', 1, { feedingStartedOn: TODAY, confirmed: true }).summary,
    stepEffect({ ...record, variant: 'WITHOUT_MIGRATION' }, 'NEW_SD_FEEDING', 2, { feedingStartedOn: TODAY, confirmed: true }).summary,
    stepEffect(record, 'MZT_DEACTIVATED', 1, { deactivatedOn: TODAY, confirmed: true }).summary,
    stepEffect(record, 'VERIFY_COLLECTIONS', 1, { result: 'OK' }).summary,
    stepEffect(record, 'VERIFY_COLLECTIONS', 2, { result: 'DISCREPANCIES', comment: 'Collection FA-01 has 3 records fewer.' }).summary,
    ...STEP_IDS.map((step) => confirmedSummary(step, 1, STEPS[step].role, EMAIL)),
    // request-confirmation
    ...STEP_IDS.map((step) => `Wysłano prośbę o potwierdzenie kroku „${title(step)}” do: ${ROLE_LABEL[STEPS[step].role]} (${EMAIL}); termin ${formatDateTime('2026-03-17T09:00:00Z')}.`),
    `Wysłano przypomnienie nr 2 o kroku „${title('MZT_DEACTIVATED')}” do: ${EMAIL}.`,
    // escalate-step
    `Brak potwierdzenia kroku „${title('NEW_SD_FEEDING')}” po 2 przypomnieniach — poinformowano MRPiPS.`,
    // confirmation-links (hand-over)
    `${ROLE_LABEL.JST}: krok „${title('OLD_SD_DEACTIVATED')}” przekazano z ${EMAIL} do colleague@mops.example.pl.`,
    // revoke-status-links (CLI)
    `Unieważniono dotychczasowe linki do strony stanu sprawy (${EMAIL}). Wiadomości wysyłane od tej chwili zawierają nowy link.`,
    // change-collection-states
    ...(['ARCHIVED', 'CLOSED'] as const).map((state) => `Dotychczasowe zbiory CBB (SR-01, FA-01): ${COLLECTION_STATE_LABEL[state]}.`),
    // record-failure
    'Błąd przetwarzania (ApplyResponse): States.TaskFailed',
    // send-notice
    'Zgłoszenie wygasło: osoba kontaktowa nie potwierdziła adresu e-mail mimo przypomnień.',
    'Sprawa zakończona przy potwierdzeniu adresu: co najmniej jeden zbiór CBB ze zgłoszenia jest objęty inną sprawą albo zamknięty lub zarchiwizowany; stan zbiorów bez zmian. JST otrzymała informację.',
    'Wysłano JST potwierdzenie przyjęcia zgłoszenia.',
    'Sprawa zakończona: zgłoszenie odrzucone; JST otrzymała powód.',
    'Weryfikacja nie powiodła się w trzech rundach — sprawa przekazana do wyjaśnienia w MRPiPS.',
    'Zmiana dostawcy SD zakończona; JST otrzymała informację o wykonanych czynnościach.',
  ];
  const actors: TimelineEntry['actor'][] = [{ role: 'SYSTEM' }, { role: 'JST', email: EMAIL }, { role: 'MRPIPS', email: 'sekretariat.di@mrpips.gov.pl' }, { role: 'VOIVODESHIP_ADMIN' }];
  return summaries.map((summary, index) => ({ id: `e${index}`, at: AT, actor: actors[index % actors.length]!, action: 'X', summary }));
}

function sampleCase(overrides: Partial<CaseRecord> = {}): CaseRecord {
  const registered = newCase('ZSD-2026-00042', asciiNotification(), '2026-03-01T08:00:00.000Z');
  const record: CaseRecord = {
    ...registered,
    variant: 'WITH_MIGRATION',
    agreement: { decision: 'WITH_MIGRATION' },
    oldSdDeactivatedOn: TODAY,
    collections: [
      { area: 'family benefits', oldCode: 'SR-01', newCode: 'NSR-01' },
      { area: 'maintenance fund', oldCode: 'FA-01', newCode: 'NFA-01' },
    ],
    ...overrides,
  };
  return record;
}

/** The records a step page can show: variants agreed or not, collections with or without new codes, a repeated round. */
const RECORDS: [string, CaseRecord][] = [
  ['registered', sampleCase({ variant: undefined, agreement: undefined, oldSdDeactivatedOn: undefined, collections: [{ area: 'family benefits', oldCode: 'SR-01' }, { area: 'maintenance fund', oldCode: 'FA-01' }] })],
  ['with migration', sampleCase()],
  ['without migration', sampleCase({ variant: 'WITHOUT_MIGRATION', agreement: { decision: 'WITHOUT_MIGRATION' } })],
];

function ctxOf(record: CaseRecord, round = 1, comment: string | null = null): StepContext {
  return { record, round, comment, today: TODAY };
}

function stepIn(lang: Lang | undefined, id: StepId, record: CaseRecord, extra: { round?: number; comment?: string | null; values?: Record<string, string>; errors?: Record<string, string>; canHandOver?: boolean } = {}): PageResponse {
  return stepPage({
    record,
    def: STEPS[id],
    round: extra.round ?? 1,
    comment: extra.comment ?? null,
    recipient: EMAIL,
    deadline: formatDateTime('2026-03-17T09:00:00Z', lang ?? 'pl'),
    query: lang === 'en' ? `${QUERY}&lang=en` : QUERY,
    formToken: 'token',
    values: extra.values,
    errors: extra.errors,
    ...(extra.canHandOver === undefined ? {} : { canHandOver: extra.canHandOver }),
    ...(lang === undefined ? {} : { lang }),
  });
}

/** A valid response of every step, for the "already confirmed" page. */
const VALID_RESPONSES: Record<StepId, Record<string, unknown>> = {
  CONFIRM_CONTACT: { confirmed: true },
  AGREE_VARIANT: { decision: 'WITH_MIGRATION', note: 'Agreed by phone.' },
  NEW_COLLECTIONS: { newCollections: [{ oldCollectionCode: 'SR-01', newCollectionCode: 'NSR-01' }, { oldCollectionCode: 'FA-01', newCollectionCode: 'NFA-01' }] },
  OLD_SD_DEACTIVATED: { deactivatedOn: TODAY, confirmed: true, note: 'Done.' },
  NEW_SD_FEEDING: { feedingStartedOn: TODAY, confirmed: true },
  MZT_DEACTIVATED: { deactivatedOn: TODAY, confirmed: true },
  VERIFY_COLLECTIONS: { result: 'DISCREPANCIES', comment: 'Missing records in FA-01.' },
};

/** Bad answers of each step form (flat form fields, as posted): each makes the schema say something. */
function badStepForms(id: StepId): Record<string, string>[] {
  const long = 'x'.repeat(2001);
  switch (id) {
    case 'CONFIRM_CONTACT':
      return [{}, { confirmed: 'no' }];
    case 'AGREE_VARIANT':
      return [{}, { decision: 'MAYBE' }, { decision: 'REJECT' }, { decision: 'REJECT', reason: long, note: '\u0007' }, { decision: 'WITH_MIGRATION', note: long }];
    case 'NEW_COLLECTIONS':
      return [
        {},
        { 'newCollections.0.newCollectionCode': 'SR-01', 'newCollections.1.newCollectionCode': 'bad code!' },
        { 'newCollections.0.newCollectionCode': 'N-1', 'newCollections.1.newCollectionCode': 'n-1' },
        { 'newCollections.0.newCollectionCode': 'X'.repeat(41), 'newCollections.1.newCollectionCode': ' ' },
      ];
    case 'OLD_SD_DEACTIVATED':
    case 'NEW_SD_FEEDING':
    case 'MZT_DEACTIVATED': {
      const date = id === 'NEW_SD_FEEDING' ? 'feedingStartedOn' : 'deactivatedOn';
      return [{}, { [date]: '10.03.2026' }, { [date]: '2026-02-30' }, { [date]: '2099-01-01', confirmed: 'tak', note: long }, { [date]: TODAY, note: 'a\u0000b' }];
    }
    case 'VERIFY_COLLECTIONS':
      return [{}, { result: 'MAYBE' }, { result: 'DISCREPANCIES' }, { result: 'DISCREPANCIES', comment: long }, { result: 'OK', comment: '\u001b' }];
  }
}

/** Every message the notification schema and the step schemas give for bad input, generated by validating it. */
function everyValidationMessage(): Map<string, string> {
  const messages = new Map<string, string>(); // message -> where it came from
  const add = (where: string, errors: Record<string, string>) => {
    for (const message of Object.values(errors)) if (!messages.has(message)) messages.set(message, where);
  };
  const good: Record<string, string> = {
    officeName: 'Social Welfare Centre',
    teryt: '1465011',
    mztUnitCode: 'MOPS-1465011',
    plannedChangeDate: '2026-04-01',
    'areas.0.area': 'family benefits',
    'areas.0.oldCollectionCode': 'SR-01',
    'contact.name': 'Anna Kowalska',
    'contact.email': EMAIL,
    'contact.phone': '+48 22 123 45 67',
    'oldSd.product': 'Old',
    'oldSd.supplier': 'Old Ltd',
    'newSd.product': 'New',
    'newSd.supplier': 'New SA',
  };
  const bad: Record<string, string>[] = [
    {},
    { officeName: 'ab', teryt: '123', mztUnitCode: 'MOPS 1', plannedChangeDate: '1.4.2026', 'contact.email': 'anna', 'contact.phone': 'abc' },
    { officeName: 'x'.repeat(201), teryt: '0165011', mztUnitCode: 'x'.repeat(51), plannedChangeDate: '2026-02-30', 'contact.phone': '+48 12 34 56' },
    { plannedChangeDate: '2026-01-01', 'contact.email': `${'a'.repeat(250)}@example.pl`, 'contact.phone': '+48 22 123 45 67 89 01 23', 'newSd.contactEmail': 'not an e-mail' },
    { officeName: 'Office\u0007name', 'contact.name': 'Anna\nKowalska', 'oldSd.product': 'x'.repeat(121), 'oldSd.supplier': 'x'.repeat(161), remarks: `${'x'.repeat(2001)}` },
    { remarks: 'a\u0000b', 'newSd.product': ' ', 'newSd.supplier': 'x'.repeat(161) },
    { 'areas.0.area': '', 'areas.0.oldCollectionCode': '' },
    { 'areas.0.area': 'ab', 'areas.0.oldCollectionCode': 'bad code!', 'areas.1.area': 'x'.repeat(121), 'areas.1.oldCollectionCode': 'X'.repeat(41) },
    { 'areas.1.area': 'other area', 'areas.1.oldCollectionCode': 'sr-01', 'areas.2.area': 'third area' },
  ];
  for (const [index, form] of bad.entries()) {
    const parsed = parseNotificationForm({ ...good, ...form }, TODAY);
    if (!parsed.ok) add(`notification form ${index}`, parsed.errors);
  }
  // Limits the flat form cannot reach (it has 10 rows): the schema itself.
  const tooMany = notificationSchema(TODAY).safeParse({ ...asciiNotification(), areas: Array.from({ length: 11 }, (_, i) => ({ area: `area ${i}`, oldCollectionCode: `C-${i}` })) });
  if (!tooMany.success) add('notification schema: 11 areas', fieldErrors(tooMany.error));
  const none = notificationSchema(TODAY).safeParse({ ...asciiNotification(), areas: [] });
  if (!none.success) add('notification schema: no area', fieldErrors(none.error));

  for (const [name, record] of RECORDS.slice(1)) {
    const ctx = ctxOf(record);
    for (const id of STEP_IDS) {
      for (const [index, form] of badStepForms(id).entries()) {
        const parsed = STEPS[id].schema(ctx).safeParse(STEPS[id].fromForm(form, ctx));
        if (!parsed.success) add(`${id} form ${index} (${name})`, fieldErrors(parsed.error));
      }
    }
    // Responses the form cannot shape (they come from events): the schema's own checks.
    const newCollections = STEPS.NEW_COLLECTIONS.schema(ctx);
    for (const response of [
      { newCollections: [{ oldCollectionCode: 'SR-01', newCollectionCode: 'N-1' }] },
      { newCollections: [{ oldCollectionCode: 'FA-01', newCollectionCode: 'N-1' }, { oldCollectionCode: 'SR-01', newCollectionCode: 'N-2' }] },
    ]) {
      const parsed = newCollections.safeParse(response);
      if (!parsed.success) add(`NEW_COLLECTIONS response (${name})`, fieldErrors(parsed.error));
    }
  }
  // The hand-over form.
  for (const value of ['', 'anna', `${'a'.repeat(250)}@example.pl`]) {
    const parsed = emailAddress.safeParse(value);
    if (!parsed.success) add('delegateEmail', { delegateEmail: parsed.error.issues[0]!.message });
  }
  return messages;
}

/** Messages the handlers put next to fields themselves (written as the handlers write them). */
const HANDLER_FIELD_MESSAGES = [
  'Zbiór SR-01 jest już objęty inną sprawą zmiany dostawcy SD.',
  'Zbiór SR-01 jest już zarchiwizowany.',
  'Zbiór SR-01 jest już zamknięty.',
  'Nie można potwierdzić, że formularz wypełniono na tej stronie. Nic nie zostało zapisane. Prosimy sprawdzić dane i wysłać formularz ponownie.',
  'Formularz był otwarty dłużej niż 24 godziny. Nic nie zostało zapisane. Prosimy sprawdzić dane i wysłać formularz ponownie.',
  'Zbiór o kodzie NSR-01 jest już zarejestrowany w CBB.',
  'To jest adres, na który wysłano ten link. Podaj adres innej osoby.',
];

const MESSAGE_PAGES: [number, string, string][] = [
  [429, 'Zbyt wiele zgłoszeń', 'Z tego adresu sieciowego wysłano w ciągu ostatniej godziny zbyt wiele zgłoszeń. Nic nie zostało zapisane. Prosimy spróbować ponownie za godzinę albo skontaktować się z MRPiPS (sekretariat Departamentu Informatyki).'],
  [429, 'Zbyt wiele zgłoszeń', 'Na ten adres e-mail osoby kontaktowej wysłano w ciągu ostatniej godziny zbyt wiele zgłoszeń. Nic nie zostało zapisane. Prosimy spróbować ponownie za godzinę albo skontaktować się z MRPiPS (sekretariat Departamentu Informatyki).'],
  [403, 'Formularz wysłany z innej strony', 'Zgłoszenie można wysłać tylko z formularza na stronie MRPiPS. Nic nie zostało zapisane. Prosimy otworzyć formularz zgłoszenia bezpośrednio i wysłać go ponownie.'],
  [400, 'Nieprawidłowe dane', 'Formularz jest za duży.'],
  [400, 'Nieprawidłowe dane', 'Formularz ma za dużo pól.'],
  [503, 'Chwilowy problem', 'Nie udało się teraz obsłużyć żądania. Nic nie zostało zapisane — spróbuj ponownie za kilka minut.'],
];

function statusSteps(lang: Lang): StatusStep[] {
  return STEP_IDS.map((id, index) => ({
    title: STEPS[id].title,
    ref: STEPS[id].ref,
    role: ROLE_LABEL[STEPS[id].role],
    recipient: EMAIL,
    status: index % 2 ? 'PENDING' : 'COMPLETED',
    deadline: formatDateTime('2026-03-17T09:00:00Z', lang),
  }));
}

/** Every page type, in `lang` (undefined: the default, as the existing callers use them). */
function everyPage(lang: Lang | undefined): [string, PageResponse][] {
  const l = lang ?? 'pl';
  const errorsOf = (id: StepId, record: CaseRecord) => {
    const ctx = ctxOf(record);
    const errors: Record<string, string> = { delegateEmail: 'Wpisz poprawny adres e-mail, np. jan.kowalski@gmina.pl.' };
    for (const form of badStepForms(id)) {
      const parsed = STEPS[id].schema(ctx).safeParse(STEPS[id].fromForm(form, ctx));
      if (!parsed.success) for (const [key, message] of Object.entries(fieldErrors(parsed.error))) errors[key] ??= message;
    }
    return errors;
  };
  const pages: [string, PageResponse][] = [];
  for (const [name, record] of RECORDS) {
    for (const id of STEP_IDS) {
      pages.push([`step ${id}, ${name}`, stepIn(lang, id, record)]);
      pages.push([`step ${id}, ${name}, with errors`, stepIn(lang, id, record, { values: { note: 'typed' }, errors: errorsOf(id, record) })]);
    }
    pages.push([`step NEW_SD_FEEDING round 2, ${name}`, stepIn(lang, 'NEW_SD_FEEDING', record, { round: 2, comment: 'Collection FA-01 is incomplete.' })]);
    pages.push([`step NEW_SD_FEEDING round 2 without comment, ${name}`, stepIn(lang, 'NEW_SD_FEEDING', record, { round: 2, comment: null })]);
    pages.push([`step VERIFY_COLLECTIONS round 3, ${name}`, stepIn(lang, 'VERIFY_COLLECTIONS', record, { round: 3 })]);
    pages.push([`step NEW_COLLECTIONS, ${name}, codes taken`, stepIn(lang, 'NEW_COLLECTIONS', record, { errors: { 'newCollections.0.newCollectionCode': HANDLER_FIELD_MESSAGES[4]! } })]);
    pages.push([`step hand-over refused, ${name}`, stepIn(lang, 'AGREE_VARIANT', record, { errors: { delegateEmail: HANDLER_FIELD_MESSAGES[5]! } })]);
    pages.push([`step handed over as often as allowed, ${name}`, stepIn(lang, 'OLD_SD_DEACTIVATED', record, { canHandOver: false })]);
    pages.push([`hand-over past its bound, ${name}`, handOverLimitPage(record, STEPS.OLD_SD_DEACTIVATED, l, QUERY)]);
    pages.push([`hand-over unfinished, ${name}`, handOverUnfinishedPage(record, STEPS.OLD_SD_DEACTIVATED, 'colleague@mops.example.pl', l, QUERY)]);
    for (const id of STEP_IDS) {
      pages.push([`confirmed ${id}, ${name}`, confirmedPage(record, STEPS[id], AT, l, QUERY)]);
      const confirmed = describeResponse(id, ctxOf(record), VALID_RESPONSES[id]);
      pages.push([`already recorded ${id}, ${name}`, lang ? alreadyRecordedPage(record, STEPS[id], EMAIL, AT, confirmed, lang, QUERY) : alreadyRecordedPage(record, STEPS[id], EMAIL, AT, confirmed)]);
      pages.push([`handed over ${id}, ${name}`, reassignedPage(record, STEPS[id], 'colleague@mops.example.pl', l, QUERY)]);
    }
  }
  for (const status of Object.keys(CASE_STATUS_LABEL) as CaseStatus[]) {
    for (const [name, record] of RECORDS) {
      pages.push([`case status ${status}, ${name}`, caseStatusPage({ ...record, status }, statusSteps(l), everyTimelineEntry(record), l, QUERY)]);
      pages.push([`case status ${status}, ${name}, nothing pending`, caseStatusPage({ ...record, status }, [], everyTimelineEntry(record), l, QUERY)]);
    }
  }
  for (const problem of PROBLEMS) pages.push([`link problem ${problem}`, lang ? linkProblemPage(problem, lang, QUERY) : linkProblemPage(problem)]);
  for (const [status, title, text] of MESSAGE_PAGES) pages.push([`message ${status} ${text}`, lang ? messagePage(status, title, text, lang) : messagePage(status, title, text)]);
  pages.push(['method not allowed', lang ? methodNotAllowed(['GET'], lang) : methodNotAllowed(['GET'])]);
  const values = { submissionId: 'abcdefghijklmnopqrstuvwx', officeName: 'Office', 'areas.0.area': 'family benefits' };
  const notificationErrors: Record<string, string> = {};
  {
    const parsed = parseNotificationForm({ officeName: 'ab', teryt: '0165011', 'contact.email': 'x', 'areas.0.area': 'ab', 'areas.0.oldCollectionCode': 'bad code!' }, TODAY);
    if (!parsed.ok) Object.assign(notificationErrors, parsed.errors);
  }
  pages.push(['notification form', notificationFormPage({ values, ...(lang ? { lang } : {}) })]);
  pages.push(['notification form with errors', notificationFormPage({ values, errors: notificationErrors, ...(lang ? { lang } : {}) })]);
  pages.push(['notification form with an areas error', notificationFormPage({ values: {}, errors: { areas: 'Podaj co najmniej jeden obszar i jego zbiór CBB.' }, ...(lang ? { lang } : {}) })]);
  pages.push(['notification form, all rows, collections taken', notificationFormPage({ values, rows: 10, statusCode: 409, errors: { 'areas.0.oldCollectionCode': HANDLER_FIELD_MESSAGES[0]!, 'areas.9.oldCollectionCode': HANDLER_FIELD_MESSAGES[3]! }, ...(lang ? { lang } : {}) })]);
  pages.push(['notification accepted', lang ? notificationAcceptedPage('ZSD-2026-00042', EMAIL, lang) : notificationAcceptedPage('ZSD-2026-00042', EMAIL)]);
  return pages;
}

describe('the English pages', () => {
  // Every string the pages ask to translate is the system's own (labels, messages, timeline entries): none may be missing.
  const untranslated = new Set<string>();
  watchUntranslated((text) => untranslated.add(text));
  const english = everyPage('en');
  watchUntranslated(undefined);

  it('cover every page type', () => {
    expect(english.length).toBeGreaterThan(150);
  });

  it('GIVEN every English page THEN every string the pages translate has a translation (also Polish words without Polish letters)', () => {
    expect([...untranslated]).toEqual([]);
  });

  it.each(english)('GIVEN the %s page in English THEN no Polish text is left (the sample case is ASCII-only)', (_name, page) => {
    expect(polishLeft(page.body)).toEqual([]);
  });

  it.each(english)('GIVEN the %s page in English THEN it is an English document with a switch to Polish', (_name, page) => {
    expect(page.body.startsWith('<!doctype html><html lang="en">')).toBe(true);
    const link = /<a href="([^"]*)" lang="pl" hreflang="pl">Polski<\/a>/.exec(page.body);
    expect(link, 'the switch to Polish').not.toBeNull();
    expect(link![1]).toMatch(/^\?(.*&amp;)?lang=pl$/);
    expect(page.body).not.toContain('lang=en&amp;lang');
    expect(page.body).toContain('— Change of SD supplier</title>');
  });

  it('GIVEN a step page in English THEN its forms post back to the same link, language included, and the switch keeps the signed link', () => {
    const body = stepIn('en', 'AGREE_VARIANT', sampleCase()).body;
    const escaped = `${QUERY}&lang=en`.replace(/&/g, '&amp;');
    expect(body.match(new RegExp(`<form method="post" action="\\?${escaped.replace(/[?.*+^$()[\]{}|\\]/g, '\\$&')}" novalidate>`, 'g'))).toHaveLength(2);
    expect(body).toContain(`<a href="?${`${QUERY}&lang=pl`.replace(/&/g, '&amp;')}" lang="pl" hreflang="pl">Polski</a>`);
    expect(body).toContain('<h1>Agreeing the mode of the SD supplier change</h1>');
    expect(body).toContain('<label for="f-decision-1">Change without data migration (the old collections will be closed)</label>');
    expect(body).toContain('<button type="submit">Save the decision</button>');
    expect(body).toContain('deadline: 17 March 2026 at 10:00');
  });

  it('GIVEN the notification form in English THEN it posts to /zgloszenie?lang=en and keeps its labels tied to the fields', () => {
    const body = notificationFormPage({ lang: 'en', errors: { 'contact.email': 'Wpisz poprawny adres e-mail, np. jan.kowalski@gmina.pl.' } }).body;
    expect(body).toContain('<form method="post" action="/zgloszenie?lang=en" novalidate>');
    expect(body).toContain('<a href="?lang=pl" lang="pl" hreflang="pl">Polski</a>');
    expect(body).toContain('<label for="f-contact-email">E-mail of the contact person</label>');
    expect(body).toContain('<p class="error" id="f-contact-email-error">Error: Enter a valid e-mail address, for example jan.kowalski@gmina.pl.</p>');
    expect(body).toContain('<a href="#f-contact-email">E-mail of the contact person: Enter a valid e-mail address, for example jan.kowalski@gmina.pl.</a>');
    expect(body).toContain('<h2 id="bledy">The form has errors (1)</h2>');
    expect(body).toContain('<legend>Area 2 (optional)</legend>');
  });

  it('GIVEN the case status page in English THEN the timeline, the labels and the dates are English', () => {
    const body = caseStatusPage(sampleCase(), statusSteps('en'), everyTimelineEntry(sampleCase()), 'en', 'c=ZSD-2026-00042&e=1&k=k1&sig=s&lang=en').body;
    expect(body).toContain('<h1>Case ZSD-2026-00042</h1>');
    expect(body).toContain('Case status: <strong>in progress</strong> · mode: with data migration. This page is read-only.');
    expect(body).toContain('<td>10 March 2026 at 10:00</td>');
    expect(body).toContain('Request to confirm the step “Agreeing the mode of the SD supplier change” sent to: MRPiPS, IT Department (anna.kowalska@mops.example.pl); deadline 17 March 2026 at 10:00.');
    expect(body).toContain('<dt>Voivodeship</dt><dd>Masovian</dd>');
    expect(body).toContain('<dt>Area: family benefits</dt><dd>collection SR-01 → new collection NSR-01</dd>');
    expect(body).toContain('<dd>Anna Kowalska, anna.kowalska@mops.example.pl, phone +48 22 123 45 67</dd>');
    expect(body).toContain('<a href="?c=ZSD-2026-00042&amp;e=1&amp;k=k1&amp;sig=s&amp;lang=pl" lang="pl" hreflang="pl">Polski</a>');
  });

  it('GIVEN an already confirmed step in English THEN the confirmed data is shown with English labels and yes/no', () => {
    const record = sampleCase();
    const body = alreadyRecordedPage(record, STEPS.OLD_SD_DEACTIVATED, EMAIL, AT, describeResponse('OLD_SD_DEACTIVATED', ctxOf(record), VALID_RESPONSES.OLD_SD_DEACTIVATED), 'en').body;
    expect(body).toContain('<dt>Date of deactivation of the current SD</dt><dd>2026-03-10</dd>');
    expect(body).toContain('has been deactivated and no longer feeds the CBB collections.</dt><dd>yes</dd>');
    expect(body).toContain('<dt>Remarks (optional)</dt><dd>Done.</dd>');
    expect(body).toContain('was confirmed by <strong>anna.kowalska@mops.example.pl</strong> on 10 March 2026 at 10:00.');
  });
});

describe('the translation of messages and labels', () => {
  const messages = everyValidationMessage();

  it('GIVEN bad input to the notification form and to every step form THEN many different messages are produced', () => {
    expect(messages.size).toBeGreaterThanOrEqual(30);
    // The ones with numbers in them, too.
    expect([...messages.keys()]).toEqual(expect.arrayContaining(['Wpisz najwyżej 200 znaków.', 'Wpisz co najmniej 3 znaki.', 'Podaj najwyżej 10 obszarów.', 'Wpisz najwyżej 2000 znaków.']));
  });

  it('GIVEN every message the schemas can produce THEN each has an English translation without Polish letters', () => {
    const missing = [...messages.entries()].filter(([message]) => !hasTranslation(message) || POLISH_LETTERS.test(t('en', message))).map(([message, where]) => `${where}: ${message}`);
    expect(missing).toEqual([]);
  });

  it('GIVEN the messages the handlers put next to fields THEN each has an English translation', () => {
    for (const message of HANDLER_FIELD_MESSAGES) {
      expect(hasTranslation(message), message).toBe(true);
      expect(t('en', message), message).not.toMatch(POLISH_LETTERS);
    }
    expect(t('en', 'Zbiór SR-01 jest już objęty inną sprawą zmiany dostawcy SD.')).toBe('Collection SR-01 is already covered by another case of a change of SD supplier.');
  });

  it('GIVEN the labels of the case model, the steps and the voivodeships THEN each has an English translation', () => {
    const labels = [
      ...Object.values(CASE_STATUS_LABEL),
      ...Object.values(VARIANT_LABEL),
      ...Object.values(ROLE_LABEL),
      ...Object.values(COLLECTION_STATE_LABEL),
      ...Object.values(VOIVODESHIPS),
      ...STEP_IDS.flatMap((id) => [
        STEPS[id].title,
        STEPS[id].submitLabel,
        ...RECORDS.flatMap(([, record]) =>
          [1, 2].flatMap((round) => [
            ...STEPS[id].instructions(ctxOf(record, round, round > 1 ? 'Fix FA-01.' : null)),
            ...STEPS[id].fields(ctxOf(record, round)).flatMap((field) => [field.label, ...('hint' in field && field.hint ? [field.hint] : []), ...(field.kind === 'radio' ? field.options.map((o) => o.label) : [])]),
          ]),
        ),
      ]),
    ];
    const missing = [...new Set(labels)].filter((label) => !hasTranslation(label));
    expect(missing).toEqual([]);
  });

  it('GIVEN the dictionary THEN no English text has Polish letters, except the name Łódź', () => {
    const polish = [...dictionary().entries()].filter(([, english]) => POLISH_LETTERS.test(english.replace('Łódź', ''))).map(([pl]) => pl);
    expect(polish).toEqual([]);
  });

  it('GIVEN text without a translation THEN it stays Polish; Polish is never translated', () => {
    expect(t('en', 'Zupełnie nowy tekst.')).toBe('Zupełnie nowy tekst.');
    expect(t('en', 'constructor')).toBe('constructor');
    expect(t('en', 'toString')).toBe('toString');
    expect(t('pl', 'Pole jest wymagane.')).toBe('Pole jest wymagane.');
    expect(t('en', 'Pole jest wymagane.')).toBe('This field is required.');
    expect(t('en', 'Wpisz najwyżej 120 znaków.')).toBe('Enter at most 120 characters.');
    // Values people typed are only translated when they are exactly a label.
    expect(tExact('en', 'tak')).toBe('yes');
    expect(tExact('en', 'Wpisz najwyżej 120 znaków.')).toBe('Wpisz najwyżej 120 znaków.');
  });

  it('GIVEN dates THEN English pages get the English form, also inside Polish timeline entries', () => {
    expect(formatDateTime('2026-03-17T09:00:00Z')).toBe('17 marca 2026 10:00');
    expect(formatDateTime('2026-03-17T09:00:00Z', 'en')).toBe('17 March 2026 at 10:00');
    expect(formatDateTime('2026-09-01T10:30:00Z', 'en')).toBe(englishDate(formatDateTime('2026-09-01T10:30:00Z')));
    for (let month = 0; month < 12; month++) {
      const at = Date.UTC(2026, month, 5, 10);
      expect(englishDate(formatDateTime(at))).toBe(formatDateTime(at, 'en'));
    }
  });
});

describe('choosing the language', () => {
  it('GIVEN a query THEN only lang=en chooses English', () => {
    expect(langOf({ lang: 'en' })).toBe('en');
    expect(langOf({ lang: 'pl' })).toBe('pl');
    expect(langOf({ lang: 'de' })).toBe('pl');
    expect(langOf({})).toBe('pl');
    expect(langOf(undefined)).toBe('pl');
  });

  it('GIVEN a signed link THEN the switch keeps every parameter byte for byte and replaces only lang', () => {
    const signed = 'c=ZSD-2026-00042&s=AGREE_VARIANT.1&r=MRPIPS&t=Ab-_0123456789xy&e=1773103600&l=abc_DEF-123456789012&k=k1&sig=Zm9vYmFy-_Zm9vYmFy';
    expect(queryInLang(signed, 'en')).toBe(`${signed}&lang=en`);
    expect(queryInLang(`${signed}&lang=en`, 'pl')).toBe(`${signed}&lang=pl`);
    expect(queryInLang(`lang=en&${signed}`, 'pl')).toBe(`${signed}&lang=pl`);
    expect(queryInLang('lang=en&lang=de&%6Cang=x', 'pl')).toBe('lang=pl');
    expect(queryInLang('', 'en')).toBe('lang=en');
  });
});

describe('Polish stays the default, unchanged', () => {
  const byDefault = everyPage(undefined);
  const polish = new Map(everyPage('pl'));

  // The default calls here are given no query; the switch link then points at `?lang=en` alone.
  const sameBut = (body: string) => body.replace(/<a href="\?[^"]*" lang="en" hreflang="en">/, '<a href="?…" lang="en" hreflang="en">');

  it.each(byDefault)('GIVEN the %s page without a language THEN it is the Polish page, with a switch to English', (name, page) => {
    expect(sameBut(page.body)).toBe(sameBut(polish.get(name)!.body));
    expect(page.statusCode).toBe(polish.get(name)!.statusCode);
    expect(page.body.startsWith('<!doctype html><html lang="pl">')).toBe(true);
    expect(page.body).toMatch(/<header><p>MRPiPS · Zmiana dostawcy systemu dziedzinowego \(SD\) · CBB CSIZS<\/p><p><a href="\?[^"]*lang=en" lang="en" hreflang="en">English<\/a><\/p><\/header>/);
    expect(page.body).toContain('— Zmiana dostawcy SD</title>');
    expect(visibleText(page.body)).not.toMatch(/Case summary|This field is required|Thank you|Change of SD supplier/);
  });

  it('GIVEN Polish pages THEN their text and form actions are as before', () => {
    const step = stepIn(undefined, 'OLD_SD_DEACTIVATED', sampleCase({ notification: { ...asciiNotification(), officeName: 'Gmina Łódź' } }));
    expect(step.body).toContain(`<form method="post" action="?${QUERY.replace(/&/g, '&amp;')}" novalidate>`);
    expect(step.body).toContain('<p>Sprawa <strong>ZSD-2026-00042</strong> · krok 3b/4b procedury · termin: 17 marca 2026 10:00</p>');
    expect(step.body).toContain('<p class="notice">Potwierdzasz jako: <strong>anna.kowalska@mops.example.pl</strong> (jednostka samorządu terytorialnego (JST)).</p>');
    expect(step.body).toContain('<dt>Województwo</dt><dd>mazowieckie</dd>');
    const form = notificationFormPage({ errors: { teryt: 'Kod TERYT ma 7 cyfr, np. 1465011.' } }).body;
    expect(form).toContain('<form method="post" action="/zgloszenie" novalidate>');
    expect(form).toContain('<p class="error" id="f-teryt-error">Błąd: Kod TERYT ma 7 cyfr, np. 1465011.</p>');
    expect(form).toContain('<legend>Obszar 2 (opcjonalnie)</legend>');
    expect(notificationAcceptedPage('ZSD-2026-00042', EMAIL).body).toContain(
      '<p>Na adres <strong>anna.kowalska@mops.example.pl</strong> wysyłamy wiadomość z linkiem; zwykle dociera w ciągu kilku minut. <strong>Potwierdź w niej adres e-mail</strong> — dopiero wtedy zgłoszenie trafi do MRPiPS.',
    );
    const status = caseStatusPage(sampleCase(), [], everyTimelineEntry(sampleCase())).body;
    expect(status).toContain('<p class="notice">Stan sprawy: <strong>w toku</strong> · tryb: z migracją danych. Strona tylko do odczytu.</p>');
    expect(status).toContain('<a href="?lang=en" lang="en" hreflang="en">English</a>');
  });
});

describe('the handlers choose the language from the query', () => {
  beforeAll(() => {
    process.env.ORIGIN_VERIFICATION_VALUE = 'origin-secret';
  });
  function event(method: string, rawPath: string, rawQueryString: string, body?: string): APIGatewayProxyEventV2 {
    const throughCloudFront = { 'x-origin-verification': 'origin-secret', 'cloudfront-viewer-address': '192.0.2.1:443' };
    return { rawPath, rawQueryString, body, headers: throughCloudFront, isBase64Encoded: false, requestContext: { http: { method, sourceIp: '130.176.0.1', userAgent: 'test' } } } as unknown as APIGatewayProxyEventV2;
  }

  it('GIVEN an unexpected error or a bad body on an English page THEN the error page is English', async () => {
    const failing = pageHandler('test', async () => {
      throw new Error('boom');
    });
    const failed = await failing(event('GET', '/sprawa', 'c=1&lang=en'));
    expect(failed.statusCode).toBe(503);
    expect(failed.body).toContain('<html lang="en">');
    expect(failed.body).toContain('<h1>Temporary problem</h1>');
    expect(failed.body).toContain('<a href="?c=1&amp;lang=pl" lang="pl" hreflang="pl">Polski</a>');
    const invalid = pageHandler('test', async () => {
      throw new ValidationError('Formularz ma za dużo pól.');
    });
    const refused = await invalid(event('POST', '/zgloszenie', 'lang=en', 'a=1'));
    expect(refused.body).toContain('<h1>Invalid data</h1><p class="notice warn">The form has too many fields.</p>');
    const polish = await failing(event('GET', '/sprawa', 'c=1'));
    expect(polish.body).toContain('<h1>Chwilowy problem</h1>');
  });

  it('GIVEN the notification form handler THEN GET ?lang=en is English, / keeps the language in its redirect, other methods get an English 405', async () => {
    const deps = { store: {} as CaseStore, workflow: {} as never, config: {} as never, formKeys: signingKeysSchema.parse({ current: 'f1', f1: 'f'.repeat(40) }) };
    const request = (method: string, path: string, query: Record<string, string>) => ({ method, path, query, rawQuery: new URLSearchParams(query).toString(), body: '', ip: '192.0.2.1', userAgent: 'test' });
    const form = await handleNotificationForm(request('GET', '/zgloszenie', { lang: 'en' }), deps);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<html lang="en">');
    expect(form.body).toContain('action="/zgloszenie?lang=en"');
    expect(polishLeft(form.body)).toEqual([]);
    expect((await handleNotificationForm(request('GET', '/', { lang: 'en' }), deps)).headers.location).toBe('/zgloszenie?lang=en');
    expect((await handleNotificationForm(request('GET', '/', {}), deps)).headers.location).toBe('/zgloszenie');
    const put = await handleNotificationForm(request('PUT', '/zgloszenie', { lang: 'en' }), deps);
    expect(put.statusCode).toBe(405);
    expect(put.body).toContain('<h1>Method not allowed</h1>');
  });

  it('GIVEN the case status handler with lang=en THEN dates and labels are English', async () => {
    const keys = signingKeysSchema.parse({ current: 'k1', k1: 'k'.repeat(40) });
    const now = new Date(AT);
    const url = new URL(statusUrl('https://example.test', { caseId: 'ZSD-2026-00042' }, keys));
    const record = sampleCase();
    const store = {
      getCase: async () => record,
      listSteps: async () => [{ step: 'AGREE_VARIANT', round: 1, role: 'MRPIPS', recipient: 'sekretariat.di@mrpips.gov.pl', status: 'PENDING', deadline: '2026-03-17T09:00:00.000Z', requestedAt: AT }],
      getTimeline: async () => everyTimelineEntry(record),
    } as unknown as CaseStore;
    const rawQuery = `${url.search.slice(1)}&lang=en`;
    const page = await handleCaseStatus({ method: 'GET', path: '/sprawa', query: Object.fromEntries(new URLSearchParams(rawQuery)), rawQuery, body: '', ip: '', userAgent: '' }, { store, keys, daysAfterEnd: 30, now });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<li><strong>Agreeing the mode of the SD supplier change</strong> (step 2) — waiting for: MRPiPS, IT Department, sekretariat.di@mrpips.gov.pl; deadline 17 March 2026 at 10:00</li>');
    expect(polishLeft(page.body)).toEqual([]);
    const tampered = await handleCaseStatus({ method: 'GET', path: '/sprawa', query: { ...Object.fromEntries(new URLSearchParams(rawQuery)), sig: 'x'.repeat(43) }, rawQuery, body: '', ip: '', userAgent: '' }, { store, keys, daysAfterEnd: 30, now });
    expect(tampered.statusCode).toBe(403);
    expect(tampered.body).toContain('<h1>Invalid link</h1>');
  });
});
