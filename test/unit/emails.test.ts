import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CaseRecord } from '../../lambdas/core/case.js';
import * as emails from '../../lambdas/core/emails.js';
import {
  caseCancelledEmail,
  collectionsUnavailableEmail,
  completedEmail,
  confirmationRequestEmail,
  escalationEmail,
  executionEndedEmail,
  incidentOpenedEmail,
  newCollectionCodesEmail,
  participantConfirmedEmail,
  registeredEmail,
  rejectedEmail,
  stepLinkResentEmail,
  stepReassignedByMrpipsEmail,
  stepReassignedEmail,
  stepStalledEmail,
  stepUndeliverableEmail,
  supplierInformedEmail,
  variantAgreedEmail,
  verificationEscalatedEmail,
  type EmailMessage,
} from '../../lambdas/core/emails.js';
import { CONFIRMATION_PATH } from '../../lambdas/core/links.js';
import { STEP_IDS, STEPS } from '../../lambdas/core/steps.js';
import { CASE_ID, HOSTILE_ATTR, HOSTILE_SCRIPT, JST_EMAIL, MRPIPS_EMAIL, OFFICE, SUPPLIER_EMAIL, caseAfterStepA } from './fixtures.js';

const URL = 'https://zmiana-sd.mrpips.gov.pl/potwierdzenie?c=ZSD-2026-00042&s=OLD_SD_DEACTIVATED.1&r=JST&e=1773103600&l=abcdefghijklmnopqrstuv&k=k1&sig=xyz';
const DEADLINE = '17 marca 2026 10:00';
const STATUS = 'https://zmiana-sd.mrpips.gov.pl/sprawa?c=ZSD-2026-00042&e=1807660000&k=k1&sig=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ';
const COLLEAGUE = 'jan.nowak@mops.przykladowo.pl';

function completedCase(overrides: Partial<CaseRecord> = {}): CaseRecord {
  return caseAfterStepA({
    oldSdDeactivatedOn: '2026-03-09',
    newSdFeedingSince: '2026-03-10',
    mztDeactivatedOn: '2026-03-10',
    verification: { round: 1, result: 'OK' },
    outcome: { collectionsState: 'ARCHIVED', at: '2026-03-11T10:00:00.000Z' },
    ...overrides,
  });
}

/** The builders allEmails called: every exported e-mail builder must be among them. */
const BUILT = new Set<string>();
function build<A extends unknown[]>(builder: (...args: A) => EmailMessage, ...args: A): EmailMessage {
  BUILT.add(builder.name);
  return builder(...args);
}

/** Every template with the topic its subject must name. */
function allEmails(record: CaseRecord): [string, EmailMessage, string][] {
  return [
    // The contact-address request goes out before the address is confirmed: its own tests are below.
    ...STEP_IDS.filter((step) => step !== 'CONFIRM_CONTACT').map((step): [string, EmailMessage, string] => [
      `request ${step}`,
      build(confirmationRequestEmail, { record, step, round: 1, comment: null, to: JST_EMAIL, url: URL, deadline: DEADLINE, remindersSent: 0, statusUrl: STATUS }),
      STEPS[step].title,
    ]),
    [
      'delegated request',
      build(confirmationRequestEmail, { record, step: 'OLD_SD_DEACTIVATED', round: 1, comment: null, to: COLLEAGUE, url: URL, deadline: DEADLINE, remindersSent: 0, statusUrl: STATUS, delegatedBy: JST_EMAIL }),
      'Deaktywacja dotychczasowego SD — prośba o potwierdzenie',
    ],
    [
      'supplier informed',
      build(supplierInformedEmail, { record, step: 'NEW_SD_FEEDING', round: 1, comment: null, to: SUPPLIER_EMAIL, deadline: DEADLINE, remindersSent: 0, statusUrl: STATUS }),
      'Aktywacja nowego SD i zasilenie nowych zbiorów CBB — informacja dla nowego dostawcy SD',
    ],
    ['escalation', build(escalationEmail, { record, step: 'MZT_DEACTIVATED', round: 1, awaited: 'administrator.mzt.14@uw.gov.pl', remindersSent: 2, requestedAt: '2026-03-01T08:00:00Z', to: MRPIPS_EMAIL, statusUrl: STATUS }), 'brak odpowiedzi (eskalacja)'],
    ['participant confirmed', build(participantConfirmedEmail, { record, step: 'OLD_SD_DEACTIVATED', by: JST_EMAIL, role: 'JST', at: '2026-03-10T09:00:00Z', response: [['Data', '2026-03-09']], to: MRPIPS_EMAIL, statusUrl: STATUS }), 'potwierdzono'],
    ['variant agreed', build(variantAgreedEmail, record, JST_EMAIL, [], STATUS), 'uzgodniono tryb zmiany: z migracją danych'],
    ['new collection codes', build(newCollectionCodesEmail, record, JST_EMAIL, [SUPPLIER_EMAIL], STATUS), 'kody nowych zbiorów CBB'],
    ['registered', build(registeredEmail, record, JST_EMAIL, STATUS), 'przyjęto zgłoszenie zmiany dostawcy SD'],
    ['collections unavailable', build(collectionsUnavailableEmail, record, JST_EMAIL, STATUS), 'zgłoszenie nie może zostać przyjęte'],
    ['rejected', build(rejectedEmail, { ...record, agreement: { decision: 'REJECT', reason: 'Brak kodu MZT.' } }, JST_EMAIL, STATUS), 'zgłoszenie odrzucone'],
    ['verification escalated', build(verificationEscalatedEmail, record, MRPIPS_EMAIL, STATUS), 'weryfikacja zbiorów — eskalacja'],
    ['completed', build(completedEmail, record, JST_EMAIL, [SUPPLIER_EMAIL], STATUS), 'zmiana dostawcy SD zakończona'],
    ['step reassigned', build(stepReassignedEmail, { record, step: 'OLD_SD_DEACTIVATED', from: JST_EMAIL, to: COLLEAGUE, notify: MRPIPS_EMAIL, statusUrl: STATUS }), 'Deaktywacja dotychczasowego SD — przekazano innej osobie'],
    ['step stalled', build(stepStalledEmail, { record, step: 'OLD_SD_DEACTIVATED', awaited: JST_EMAIL, remindersSent: 3, requestedAt: '2026-03-01T08:00:00Z', to: MRPIPS_EMAIL, statusUrl: STATUS }), 'termin minął, sprawa wstrzymana'],
    ['link resent', build(stepLinkResentEmail, { record, step: 'NEW_SD_FEEDING', round: 1, comment: null, to: JST_EMAIL, url: URL, deadline: DEADLINE, statusUrl: STATUS }), 'link wysłany ponownie'],
    ['reassigned by MRPiPS', build(stepReassignedByMrpipsEmail, { record, step: 'NEW_SD_FEEDING', from: JST_EMAIL, to: COLLEAGUE, by: MRPIPS_EMAIL, notify: JST_EMAIL, statusUrl: STATUS }), 'MRPiPS przekazało krok innej osobie'],
    ['case cancelled', build(caseCancelledEmail, record, SUPPLIER_EMAIL, 'Zgłoszenie złożono omyłkowo.', STATUS), 'sprawa anulowana'],
    ['incident opened', build(incidentOpenedEmail, { caseId: CASE_ID, record, state: 'ApplyResponse', reason: 'Lambda.Unknown', openedAt: '2026-03-10T09:00:00Z', waitsUntil: '2026-03-17T09:00:00Z', to: MRPIPS_EMAIL, statusUrl: STATUS }), 'incydent techniczny'],
    ['execution ended', build(executionEndedEmail, { caseId: CASE_ID, record, status: 'FAILED', reason: 'States.Runtime', executionArn: `arn:aws:states:eu-central-1:123456789012:execution:procedure:${CASE_ID}`, endedAt: '2026-03-10T09:00:00Z', to: MRPIPS_EMAIL, statusUrl: STATUS }), 'wykonanie procedury zakończyło się nieprawidłowo'],
    ['step undeliverable', build(stepUndeliverableEmail, { record, step: 'OLD_SD_DEACTIVATED', stepKey: 'OLD_SD_DEACTIVATED.1', address: JST_EMAIL, what: 'adres nie istnieje', to: MRPIPS_EMAIL, statusUrl: STATUS }), 'nie można doręczyć wiadomości'],
  ];
}

describe('action links reach exactly one person', () => {
  const messages = allEmails(completedCase());

  it('GIVEN the list of templates below THEN it covers every e-mail builder the product exports', () => {
    const builders = Object.entries(emails).filter(([name, value]) => typeof value === 'function' && name.endsWith('Email')).map(([name]) => name);
    expect(builders.filter((name) => !BUILT.has(name))).toEqual([]);
  });

  it.each(messages)('GIVEN the %s e-mail THEN if it carries a confirmation link it has exactly one recipient and nobody in copy', (_name, message) => {
    const carriesLink = [message.text, message.html].some((part) => part.includes(CONFIRMATION_PATH));
    if (carriesLink) expect({ to: message.to.length, cc: message.cc }).toEqual({ to: 1, cc: [] });
    else expect(message.text).not.toContain(URL);
  });

  it('GIVEN the builders of e-mails with an action link THEN they take one recipient and no copies at all', () => {
    const request = { record: completedCase(), step: 'NEW_SD_FEEDING' as const, round: 1, comment: null, to: JST_EMAIL, url: URL, deadline: DEADLINE, remindersSent: 0, statusUrl: STATUS };
    // @ts-expect-error a request e-mail has no copies
    confirmationRequestEmail({ ...request, cc: [SUPPLIER_EMAIL] });
    // @ts-expect-error a re-sent link has no copies
    stepLinkResentEmail({ ...request, cc: [SUPPLIER_EMAIL] });
    // @ts-expect-error one recipient, not a list
    confirmationRequestEmail({ ...request, to: [JST_EMAIL, SUPPLIER_EMAIL] });
    expect(confirmationRequestEmail(request)).toMatchObject({ to: [JST_EMAIL], cc: [] });
  });
});

describe('supplierInformedEmail', () => {
  const record = completedCase();
  const informed = (remindersSent: number, final?: boolean) => supplierInformedEmail({ record, step: 'NEW_SD_FEEDING', round: 1, comment: null, to: SUPPLIER_EMAIL, deadline: DEADLINE, remindersSent, final, statusUrl: STATUS });

  it('GIVEN a step b request THEN the supplier alone is told what the JST is asked to do and by when, with the case summary, and no action link', () => {
    const message = informed(0);
    expect(message).toMatchObject({ to: [SUPPLIER_EMAIL], cc: [] });
    expect(message.text).toContain('ma charakter wyłącznie informacyjny');
    expect(message.text).toContain(`Termin potwierdzenia: ${DEADLINE}`);
    expect(message.text).toContain('JST potwierdzi w systemie oświadczenie: „Potwierdzam, że nowy SD jest aktywny');
    // Not the JST's own instructions (addressed to the JST).
    expect(message.text).not.toContain('Aktywuj nowy SD');
    expect(message.text).toContain('Podsumowanie sprawy');
    for (const part of [message.text, message.html]) expect(part).not.toContain(CONFIRMATION_PATH);
    expect(message.text).toContain(STATUS);
  });

  it('GIVEN a reminder or the last link to the JST THEN the supplier\'s message says the JST has not confirmed yet', () => {
    expect(informed(2).text).toContain('nie potwierdziła jeszcze wykonania kroku „Aktywacja nowego SD i zasilenie nowych zbiorów CBB” i otrzymała przypomnienie nr 2');
    expect(informed(2).subject).toContain('przypomnienie nr 2');
    expect(informed(3, true).text).toContain('otrzymała ostatnie przypomnienie');
  });

  it('GIVEN the feeding step repeated after a failed verification THEN the supplier reads MRPiPS\'s comment', () => {
    const again = supplierInformedEmail({ record, step: 'NEW_SD_FEEDING', round: 2, comment: 'Brakuje 12 rekordów w NSR-01.', to: SUPPLIER_EMAIL, deadline: DEADLINE, remindersSent: 0, statusUrl: STATUS });
    expect(again.text).toContain('Weryfikacja MRPiPS wykazała rozbieżności (runda 2). Uwagi MRPiPS: Brakuje 12 rekordów w NSR-01.');
  });
});

describe('every e-mail template', () => {
  it.each(allEmails(completedCase()))('GIVEN the %s e-mail THEN its subject names the case id, the unit and the topic', (_name, message, topic) => {
    expect(message.subject.startsWith(`[${CASE_ID}] `)).toBe(true);
    expect(message.subject).toContain(OFFICE);
    expect(message.subject).toContain('TERYT 1465011');
    expect(message.subject).toContain(topic);
  });

  it.each(allEmails(completedCase()))('GIVEN the %s e-mail THEN both parts carry the case summary and the HTML is a Polish document', (_name, message) => {
    expect(message.html.startsWith('<!doctype html><html lang="pl">')).toBe(true);
    for (const part of [message.html, message.text]) {
      expect(part).toContain(CASE_ID);
      expect(part).toContain('mazowieckie');
      expect(part).toContain('MOPS-1465011');
      expect(part).toContain('SR-01');
    }
  });

  it.each(allEmails(completedCase()))('GIVEN the %s e-mail THEN both parts carry the read-only status link of the case (HTML attribute-escaped)', (_name, message) => {
    expect(message.text).toContain(`Przebieg i stan sprawy (tylko do odczytu): ${STATUS}`);
    const escaped = STATUS.replace(/&/g, '&amp;');
    expect(message.html).toContain(`<a href="${escaped}">${escaped}</a>`);
    expect(message.html).not.toContain(STATUS);
  });

  it('GIVEN a hostile status URL THEN it cannot break out of the link attribute', () => {
    const hostile = `https://x.example/sprawa?c=1${HOSTILE_ATTR}`;
    for (const message of [registeredEmail(completedCase(), JST_EMAIL, hostile), stepReassignedEmail({ record: completedCase(), step: 'AGREE_VARIANT', from: JST_EMAIL, to: COLLEAGUE, notify: MRPIPS_EMAIL, statusUrl: hostile })]) {
      expect(message.html).not.toContain('<img');
      expect(message.html).toContain('&quot;&gt;&lt;img');
    }
  });

  it('GIVEN hostile values in the office name, the contact name, the supplier and the remarks THEN every HTML part escapes them and never contains them raw', () => {
    const base = completedCase();
    const hostile = {
      ...base,
      notification: {
        ...base.notification,
        officeName: `MOPS ${HOSTILE_SCRIPT}`,
        contact: { ...base.notification.contact, name: HOSTILE_ATTR },
        newSd: { ...base.notification.newSd, supplier: HOSTILE_ATTR },
        remarks: HOSTILE_SCRIPT,
      },
      agreement: { decision: 'WITH_MIGRATION' as const, note: HOSTILE_SCRIPT },
    };
    for (const [name, message] of allEmails(hostile)) {
      expect(message.html, name).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(message.html, name).toContain('&quot;&gt;&lt;img src=x onerror=1&gt;');
      expect(message.html, name).not.toContain('<script');
      expect(message.html, name).not.toContain('<img');
      expect(message.html, name).not.toContain(HOSTILE_ATTR);
      // The plain-text part shows the values as typed (text is not interpreted).
      expect(message.text, name).toContain(HOSTILE_ATTR);
    }
  });

  it('GIVEN a hostile confirmed value and MRPiPS comment THEN they are escaped too', () => {
    const record = completedCase();
    const confirmed = participantConfirmedEmail({ record, step: 'NEW_SD_FEEDING', by: JST_EMAIL, role: 'JST', at: '2026-03-10T09:00:00Z', response: [['Uwagi', HOSTILE_SCRIPT]], to: MRPIPS_EMAIL, statusUrl: STATUS });
    const again = confirmationRequestEmail({ record, step: 'NEW_SD_FEEDING', round: 2, comment: HOSTILE_ATTR, to: JST_EMAIL, url: URL, deadline: DEADLINE, remindersSent: 0, statusUrl: STATUS });
    const delegated = confirmationRequestEmail({ record, step: 'NEW_SD_FEEDING', round: 1, comment: null, to: COLLEAGUE, url: URL, deadline: DEADLINE, remindersSent: 0, statusUrl: STATUS, delegatedBy: HOSTILE_ATTR });
    const reassigned = stepReassignedEmail({ record, step: 'NEW_SD_FEEDING', from: HOSTILE_SCRIPT, to: HOSTILE_ATTR, notify: MRPIPS_EMAIL, statusUrl: STATUS });
    for (const message of [confirmed, again, delegated, reassigned]) {
      expect(message.html).not.toContain('<script');
      expect(message.html).not.toContain('<img');
    }
    expect(again.text).toContain(HOSTILE_ATTR);
  });
});

describe('confirmationRequestEmail', () => {
  const record = completedCase();
  const request = (remindersSent: number) =>
    confirmationRequestEmail({ record, step: 'OLD_SD_DEACTIVATED', round: 1, comment: null, to: JST_EMAIL, url: URL, deadline: DEADLINE, remindersSent, statusUrl: STATUS });

  it('GIVEN a request THEN the text part contains the link and the deadline, and the HTML links to it (attribute-escaped)', () => {
    const message = request(0);
    expect(message.text).toContain(URL);
    expect(message.text).toContain(`Termin: ${DEADLINE}. Link jest osobisty i działa tylko dla adresata tej wiadomości — prosimy go nie przekazywać.`);
    expect(message.html).toContain(`href="${URL.replace(/&/g, '&amp;')}"`);
    expect(message.html).toContain(DEADLINE);
  });

  it('GIVEN a request THEN it goes to the participant alone, with no copy', () => {
    expect(request(0)).toMatchObject({ to: [JST_EMAIL], cc: [] });
  });

  it('GIVEN the first request THEN it is worded as a request, not a reminder', () => {
    const message = request(0);
    expect(message.subject).toContain('prośba o potwierdzenie');
    expect(message.subject).not.toContain('przypomnienie');
    expect(message.text).not.toContain('Przypomnienie');
    expect(message.text).not.toContain('Poprzednie linki');
  });

  it('GIVEN remindersSent = 2 THEN subject, heading and text say it is reminder no. 2 and that older links stopped working', () => {
    const message = request(2);
    expect(message.subject).toContain('przypomnienie nr 2');
    expect(message.text.startsWith('Przypomnienie: Deaktywacja dotychczasowego SD')).toBe(true);
    expect(message.text).toContain('Poprzednie linki w tej sprawie przestały działać');
    expect(message.html).toContain('<h1 style="font-size:20px">Przypomnienie: ');
  });

  it('GIVEN a step confirmed by the participant THEN the instructions of the step are in the message', () => {
    expect(request(0).text).toContain('Zdeaktywuj dotychczasowy SD (System Stary 5, dostawca Stary Dostawca sp. z o.o.)');
  });

  it('GIVEN a request THEN the action link and the status link are distinct and both present', () => {
    const message = request(0);
    expect(message.text).toContain(`: ${URL}`);
    expect(message.text).toContain(STATUS);
    expect(message.text.indexOf(URL)).toBeLessThan(message.text.indexOf(STATUS));
  });

  it('GIVEN no delegation THEN the message does not speak of one', () => {
    expect(request(0).text).not.toContain('przekazał(a) Ci ten krok');
  });

  it('GIVEN a step handed over by a colleague THEN the colleague reads who handed it over, in both parts', () => {
    const message = confirmationRequestEmail({ record, step: 'OLD_SD_DEACTIVATED', round: 1, comment: null, to: COLLEAGUE, url: URL, deadline: DEADLINE, remindersSent: 0, statusUrl: STATUS, delegatedBy: JST_EMAIL });
    expect(message.to).toEqual([COLLEAGUE]);
    expect(message.text).toContain(`${JST_EMAIL} przekazał(a) Ci ten krok do wykonania.`);
    expect(message.html).toContain(`<p>${JST_EMAIL} przekazał(a) Ci ten krok do wykonania.</p>`);
  });

  it('GIVEN a reminder of a handed-over step THEN it says both: who handed it over and that it is a reminder', () => {
    const message = confirmationRequestEmail({ record, step: 'OLD_SD_DEACTIVATED', round: 1, comment: null, to: COLLEAGUE, url: URL, deadline: DEADLINE, remindersSent: 1, statusUrl: STATUS, delegatedBy: JST_EMAIL });
    expect(message.subject).toContain('przypomnienie nr 1');
    expect(message.text).toContain('przekazał(a) Ci ten krok');
    expect(message.text).toContain('Poprzednie linki w tej sprawie przestały działać');
  });
});

describe('the e-mails before the contact address is confirmed (anyone may have typed it into the form)', () => {
  const REMARKS = 'Kliknij tutaj: https://evil.example/logowanie i podaj hasło do CSIZS, pilne!';
  const HOSTILE_OFFICE = 'Kliknij tutaj https://evil.example/zwrot — Twoje konto zostanie zablokowane, '.repeat(2).slice(0, 200);
  const hostileCase = (officeName = HOSTILE_OFFICE, remarks = REMARKS): CaseRecord => {
    const base = caseAfterStepA();
    return { ...base, notification: { ...base.notification, officeName, remarks } };
  };
  const SUBJECT = `[${CASE_ID}] Zgłoszenie zmiany dostawcy SD: prośba o potwierdzenie adresu e-mail`;
  const request = (record: CaseRecord, remindersSent = 0) =>
    confirmationRequestEmail({ record, step: 'CONFIRM_CONTACT', round: 1, comment: null, to: JST_EMAIL, url: URL, deadline: DEADLINE, remindersSent, statusUrl: STATUS });
  const sent = (record: CaseRecord): [string, EmailMessage][] => [
    ['request', request(record)],
    ['reminder', request(record, 2)],
    ['resend by MRPiPS', stepLinkResentEmail({ record, step: 'CONFIRM_CONTACT', round: 1, to: JST_EMAIL, url: URL, deadline: DEADLINE, statusUrl: STATUS })],
  ];

  it('GIVEN the request THEN its subject is fixed: the case id and the topic, nothing the submitter wrote', () => {
    expect(request(hostileCase()).subject).toBe(SUBJECT);
    expect(request(hostileCase(), 2).subject).toBe(`${SUBJECT} (przypomnienie nr 2)`);
  });

  it.each(sent(hostileCase()))('GIVEN a hostile office name and remarks WHEN the %s is sent THEN the remarks are not in it, the office name only quoted among the unchecked form data, and it says to ignore it if unknown', (_what, message) => {
    expect(message.subject).not.toContain('Kliknij');
    expect(message.subject).not.toContain('evil.example');
    for (const part of [message.html, message.text]) {
      expect(part).not.toContain('logowanie');
      expect(part).not.toContain('Uwagi');
      expect(part).toContain('Dane podane w formularzu zgłoszenia (niesprawdzone)');
      expect(part).toContain('MRPiPS ich nie sprawdzało');
      expect(part).toContain('Jeżeli nie składali Państwo tego zgłoszenia, prosimy zignorować tę wiadomość');
      expect(part).toContain(CASE_ID);
    }
    // The office name appears once, inside quotation marks, as a value of the unchecked data.
    expect(message.text.split('evil.example/zwrot').length - 1).toBe(2);
    expect(message.text).toContain(`  Jednostka: „${HOSTILE_OFFICE}”`);
    expect(message.to).toEqual([JST_EMAIL]);
    expect(message.cc).toEqual([]);
  });

  it('GIVEN any office name and remarks (property) THEN the subject never changes and no remark reaches the message', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 3, maxLength: 200 }), fc.string({ minLength: 1, maxLength: 200 }), (officeName, remark) => {
        const message = request(hostileCase(officeName, `UWAGA-ZGLOSZENIA ${remark}`));
        return message.subject === SUBJECT && !message.text.includes('UWAGA-ZGLOSZENIA') && !message.html.includes('UWAGA-ZGLOSZENIA');
      }),
    );
  });

  it('GIVEN the contact has confirmed WHEN the next e-mails go out THEN they carry the case summary with the remarks again', () => {
    const message = registeredEmail(hostileCase(OFFICE), JST_EMAIL, STATUS);
    expect(message.subject).toContain(OFFICE);
    expect(message.text).toContain(`Uwagi JST: ${REMARKS}`);
  });
});

describe('stepReassignedEmail', () => {
  const message = stepReassignedEmail({ record: completedCase(), step: 'MZT_DEACTIVATED', from: 'administrator.mzt.14@uw.gov.pl', to: 'zastepca.mzt.14@uw.gov.pl', notify: MRPIPS_EMAIL, statusUrl: STATUS });

  it('GIVEN a step handed over THEN MRPiPS alone is told, with no copy', () => {
    expect(message).toMatchObject({ to: [MRPIPS_EMAIL], cc: [] });
  });

  it('GIVEN a step handed over THEN the message names the step, who handed it over, to whom, and that the old link stopped working', () => {
    expect(message.subject).toContain(`${STEPS.MZT_DEACTIVATED.title} — przekazano innej osobie`);
    expect(message.text).toContain(`administrator.mzt.14@uw.gov.pl przekazał(a) krok ${STEPS.MZT_DEACTIVATED.ref} osobie: zastepca.mzt.14@uw.gov.pl.`);
    expect(message.text).toContain('poprzedni link przestał działać');
    expect(message.html).toContain(`Krok „${STEPS.MZT_DEACTIVATED.title}” przekazano innej osobie`);
  });

  it('GIVEN a step handed over THEN no action link is in the message (MRPiPS has nothing to click but the status page)', () => {
    expect(message.text).not.toContain('/potwierdzenie');
    expect(message.text).toContain(STATUS);
  });
});

describe('notices', () => {
  it('GIVEN a rejection THEN the JST reads the reason', () => {
    const message = rejectedEmail({ ...completedCase(), agreement: { decision: 'REJECT', reason: 'Brak kodu jednostki w MZT.' } }, JST_EMAIL, STATUS);
    expect(message.text).toContain('Powód: Brak kodu jednostki w MZT.');
  });

  it('GIVEN new collection codes THEN the JST reads each new code next to the old one', () => {
    const message = newCollectionCodesEmail(completedCase(), JST_EMAIL, [SUPPLIER_EMAIL], STATUS);
    expect(message.text).toContain('NSR-01 (zastępuje SR-01)');
    expect(message.text).toContain('NFA-01 (zastępuje FA-01)');
    expect(message.cc).toEqual([SUPPLIER_EMAIL]);
  });

  it('GIVEN a completed case with migration THEN the old collections are reported archived', () => {
    expect(completedEmail(completedCase(), JST_EMAIL, [], STATUS).text).toContain('SR-01: zarchiwizowany');
  });

  it('GIVEN a completed case without migration THEN the old collections are reported closed', () => {
    const record = completedCase({ variant: 'WITHOUT_MIGRATION', outcome: { collectionsState: 'CLOSED', at: '2026-03-11T10:00:00.000Z' } });
    expect(completedEmail(record, JST_EMAIL, [], STATUS).text).toContain('SR-01: zamknięty');
  });

  it('GIVEN an escalation of the voivodeship step THEN MRPiPS reads who was awaited and the voivodeship', () => {
    const message = escalationEmail({ record: completedCase(), step: 'MZT_DEACTIVATED', round: 1, awaited: 'administrator.mzt.14@uw.gov.pl', remindersSent: 2, requestedAt: '2026-03-01T08:00:00Z', to: MRPIPS_EMAIL, statusUrl: STATUS });
    expect(message.text).toContain('administrator.mzt.14@uw.gov.pl, województwo mazowieckie');
    expect(message.text).toContain('mimo 2 przypomnień');
  });
});

describe('executionEndedEmail (to operations)', () => {
  const args = { caseId: CASE_ID, status: 'FAILED' as const, reason: `the execution ended FAILED: States.Runtime: ${HOSTILE_SCRIPT}`, executionArn: `arn:aws:states:eu-central-1:123456789012:execution:Procedure:${CASE_ID}`, endedAt: '2027-03-10T09:00:00.000Z', to: 'dyzur.procedura@mrpips.gov.pl', statusUrl: STATUS };

  it('GIVEN a registered case THEN it names the case, how the execution ended, why, and where to look; the cause is escaped', () => {
    const mail = executionEndedEmail({ ...args, record: caseAfterStepA() });
    expect(mail.to).toEqual(['dyzur.procedura@mrpips.gov.pl']);
    expect(mail.subject).toContain('wykonanie procedury zakończyło się nieprawidłowo');
    expect(mail.text).toContain('zakończyło się błędem, którego procedura nie mogła obsłużyć (FAILED)');
    expect(mail.text).toContain('otrzymała stan „błąd przetwarzania”');
    expect(mail.text).toContain(args.executionArn);
    expect(mail.html).not.toContain(HOSTILE_SCRIPT);
    expect(mail.html).toContain('&lt;script&gt;');
    expect(mail.html).toContain(OFFICE);
  });

  it('GIVEN no registered case THEN it says the notification will not be handled unless MRPiPS acts', () => {
    const mail = executionEndedEmail({ ...args, status: 'ABORTED' });
    expect(mail.subject).toBe(`[${CASE_ID}] wykonanie procedury zakończyło się nieprawidłowo`);
    expect(mail.text).toContain('zostało zatrzymane poza procedurą anulowania');
    expect(mail.text).toContain('Sprawa nie została zarejestrowana');
    expect(mail.html).not.toContain(HOSTILE_SCRIPT);
  });
});
