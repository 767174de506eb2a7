import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CaseRecord } from '../../lambdas/core/case.js';
import {
  completedEmail,
  confirmationRequestEmail,
  escalationEmail,
  executionEndedEmail,
  newCollectionCodesEmail,
  participantConfirmedEmail,
  registeredEmail,
  rejectedEmail,
  stepLinkResentEmail,
  stepReassignedEmail,
  variantAgreedEmail,
  verificationEscalatedEmail,
  type EmailMessage,
} from '../../lambdas/core/emails.js';
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

/** Every template sent once the contact address is confirmed, with the topic its subject must name. */
function allEmails(record: CaseRecord): [string, EmailMessage, string][] {
  return [
    ...STEP_IDS.filter((step) => step !== 'CONFIRM_CONTACT').map((step): [string, EmailMessage, string] => [
      `request ${step}`,
      confirmationRequestEmail({ record, step, round: 1, comment: null, to: JST_EMAIL, cc: [], url: URL, deadline: DEADLINE, remindersSent: 0, statusUrl: STATUS }),
      STEPS[step].title,
    ]),
    [
      'delegated request',
      confirmationRequestEmail({ record, step: 'OLD_SD_DEACTIVATED', round: 1, comment: null, to: COLLEAGUE, cc: [], url: URL, deadline: DEADLINE, remindersSent: 0, statusUrl: STATUS, delegatedBy: JST_EMAIL }),
      'Deaktywacja dotychczasowego SD — prośba o potwierdzenie',
    ],
    ['escalation', escalationEmail({ record, step: 'MZT_DEACTIVATED', round: 1, awaited: 'administrator.mzt.14@uw.gov.pl', remindersSent: 2, requestedAt: '2026-03-01T08:00:00Z', to: MRPIPS_EMAIL, statusUrl: STATUS }), 'brak odpowiedzi (eskalacja)'],
    ['participant confirmed', participantConfirmedEmail({ record, step: 'OLD_SD_DEACTIVATED', by: JST_EMAIL, role: 'JST', at: '2026-03-10T09:00:00Z', response: [['Data', '2026-03-09']], to: MRPIPS_EMAIL, statusUrl: STATUS }), 'potwierdzono'],
    ['variant agreed', variantAgreedEmail(record, JST_EMAIL, [], STATUS), 'uzgodniono tryb zmiany: z migracją danych'],
    ['new collection codes', newCollectionCodesEmail(record, JST_EMAIL, [SUPPLIER_EMAIL], STATUS), 'kody nowych zbiorów CBB'],
    ['registered', registeredEmail(record, JST_EMAIL, STATUS), 'przyjęto zgłoszenie zmiany dostawcy SD'],
    ['rejected', rejectedEmail({ ...record, agreement: { decision: 'REJECT', reason: 'Brak kodu MZT.' } }, JST_EMAIL, STATUS), 'zgłoszenie odrzucone'],
    ['verification escalated', verificationEscalatedEmail(record, MRPIPS_EMAIL, STATUS), 'weryfikacja zbiorów — eskalacja'],
    ['completed', completedEmail(record, JST_EMAIL, [SUPPLIER_EMAIL], STATUS), 'zmiana dostawcy SD zakończona'],
    ['step reassigned', stepReassignedEmail({ record, step: 'OLD_SD_DEACTIVATED', from: JST_EMAIL, to: COLLEAGUE, notify: MRPIPS_EMAIL, statusUrl: STATUS }), 'Deaktywacja dotychczasowego SD — przekazano innej osobie'],
  ];
}

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
    const again = confirmationRequestEmail({ record, step: 'NEW_SD_FEEDING', round: 2, comment: HOSTILE_ATTR, to: JST_EMAIL, cc: [], url: URL, deadline: DEADLINE, remindersSent: 0, statusUrl: STATUS });
    const delegated = confirmationRequestEmail({ record, step: 'NEW_SD_FEEDING', round: 1, comment: null, to: COLLEAGUE, cc: [], url: URL, deadline: DEADLINE, remindersSent: 0, statusUrl: STATUS, delegatedBy: HOSTILE_ATTR });
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
    confirmationRequestEmail({ record, step: 'OLD_SD_DEACTIVATED', round: 1, comment: null, to: JST_EMAIL, cc: [SUPPLIER_EMAIL], url: URL, deadline: DEADLINE, remindersSent, statusUrl: STATUS });

  it('GIVEN a request THEN the text part contains the link and the deadline, and the HTML links to it (attribute-escaped)', () => {
    const message = request(0);
    expect(message.text).toContain(URL);
    expect(message.text).toContain(`Termin: ${DEADLINE}`);
    expect(message.html).toContain(`href="${URL.replace(/&/g, '&amp;')}"`);
    expect(message.html).toContain(DEADLINE);
  });

  it('GIVEN a request THEN it goes to the participant with the given copies', () => {
    expect(request(0)).toMatchObject({ to: [JST_EMAIL], cc: [SUPPLIER_EMAIL] });
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
    const message = confirmationRequestEmail({ record, step: 'OLD_SD_DEACTIVATED', round: 1, comment: null, to: COLLEAGUE, cc: [], url: URL, deadline: DEADLINE, remindersSent: 0, statusUrl: STATUS, delegatedBy: JST_EMAIL });
    expect(message.to).toEqual([COLLEAGUE]);
    expect(message.text).toContain(`${JST_EMAIL} przekazał(a) Ci ten krok do wykonania.`);
    expect(message.html).toContain(`<p>${JST_EMAIL} przekazał(a) Ci ten krok do wykonania.</p>`);
  });

  it('GIVEN a reminder of a handed-over step THEN it says both: who handed it over and that it is a reminder', () => {
    const message = confirmationRequestEmail({ record, step: 'OLD_SD_DEACTIVATED', round: 1, comment: null, to: COLLEAGUE, cc: [], url: URL, deadline: DEADLINE, remindersSent: 1, statusUrl: STATUS, delegatedBy: JST_EMAIL });
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
    confirmationRequestEmail({ record, step: 'CONFIRM_CONTACT', round: 1, comment: null, to: JST_EMAIL, cc: [], url: URL, deadline: DEADLINE, remindersSent, statusUrl: STATUS });
  const sent = (record: CaseRecord): [string, EmailMessage][] => [
    ['request', request(record)],
    ['reminder', request(record, 2)],
    ['resend by MRPiPS', stepLinkResentEmail({ record, step: 'CONFIRM_CONTACT', round: 1, to: JST_EMAIL, cc: [], url: URL, deadline: DEADLINE, statusUrl: STATUS })],
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
