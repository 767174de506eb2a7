import type { CaseRecord, Role } from './case.js';
import { COLLECTION_STATE_LABEL, ROLE_LABEL, VARIANT_LABEL, unitLabel, voivodeshipName } from './case.js';
import { formatDateTime } from './format.js';
import { html } from './html.js';
import { STEPS, type StepDefinition, type StepId } from './steps.js';

/** One e-mail, rendered both as HTML and as plain text from the same content. Polish throughout. */
export interface EmailMessage {
  to: string[];
  cc: string[];
  subject: string;
  html: string;
  text: string;
}

interface Content {
  heading: string;
  paragraphs: string[];
  rows?: { title: string; rows: [string, string][] };
}

/** Said under every action link: it acts for its recipient alone. */
const PERSONAL_LINK_NOTE = 'Link jest osobisty i działa tylko dla adresata tej wiadomości — prosimy go nie przekazywać.';

/** A participant's personal link to a step page: only `personalEmail` renders one. */
interface Action {
  url: string;
  label: string;
  deadline: string;
}

/** The case summary every e-mail carries, so a participant can act without looking anything up. */
export function caseSummaryRows(record: CaseRecord): [string, string][] {
  const n = record.notification;
  return [
    ['Numer sprawy', record.caseId],
    ['Jednostka', n.officeName],
    ['Kod TERYT', n.teryt],
    ['Województwo', voivodeshipName(record.voivodeship)],
    ['Kod jednostki w MZT CSIZS', n.mztUnitCode],
    ['Planowana data zmiany', n.plannedChangeDate],
    ['Tryb zmiany', record.variant ? VARIANT_LABEL[record.variant] : 'do uzgodnienia'],
    ['Dotychczasowy SD', `${n.oldSd.product} (${n.oldSd.supplier})`],
    ['Nowy SD', `${n.newSd.product} (${n.newSd.supplier})`],
    ...record.collections.map((c): [string, string] => [`Obszar: ${c.area}`, `zbiór ${c.oldCode}${c.newCode ? ` → nowy zbiór ${c.newCode}` : ''}`]),
    ['Kontakt w JST', `${n.contact.name}, ${n.contact.email}, tel. ${n.contact.phone}`],
    ...(n.newSd.contactEmail ? [['Kontakt u nowego dostawcy', n.newSd.contactEmail] as [string, string]] : []),
    ...(n.remarks ? [['Uwagi JST', n.remarks] as [string, string]] : []),
  ];
}

function subject(record: CaseRecord, topic: string): string {
  return `[${record.caseId}] ${unitLabel(record)}: ${topic}`;
}

/**
 * Before the contact has confirmed the address, anyone may have typed it into the form: the e-mails to it then
 * carry nothing the submitter wrote in the subject, and in the body only the form's data, quoted and labelled as
 * unchecked, never the remarks.
 */
function unconfirmedFormRows(record: CaseRecord): [string, string][] {
  const n = record.notification;
  const quoted = (text: string) => `„${text}”`;
  return [
    ['Numer sprawy', record.caseId],
    ['Jednostka', quoted(n.officeName)],
    ['Kod TERYT', n.teryt],
    ['Kod jednostki w MZT CSIZS', quoted(n.mztUnitCode)],
    ['Planowana data zmiany', n.plannedChangeDate],
    ['Dotychczasowy SD', `${quoted(n.oldSd.product)} (${quoted(n.oldSd.supplier)})`],
    ['Nowy SD', `${quoted(n.newSd.product)} (${quoted(n.newSd.supplier)})`],
    ...record.collections.map((c): [string, string] => [`Obszar ${quoted(c.area)}`, `zbiór ${c.oldCode}`]),
    ['Osoba kontaktowa', quoted(n.contact.name)],
  ];
}

const UNCONFIRMED_SUMMARY_TITLE = 'Dane podane w formularzu zgłoszenia (niesprawdzone)';

/** An informational e-mail: any number of recipients, and no action link (its Content cannot carry one). */
function compose(record: CaseRecord, to: string[], cc: string[], topic: string, content: Content, statusUrl: string): EmailMessage {
  return { to, cc, ...render(record, topic, content, statusUrl) };
}

/**
 * The only e-mail that carries an action link: to exactly one recipient, nobody copied, so a link that acts
 * for someone never reaches anyone else (the link's recipient tag is this recipient's).
 */
function personalEmail(record: CaseRecord, to: string, topic: string, content: Content, action: Action, statusUrl: string, unconfirmed = false): EmailMessage {
  return { to: [to], cc: [], ...render(record, topic, content, statusUrl, action, unconfirmed) };
}

function render(record: CaseRecord, topic: string, content: Content, statusUrl: string, action?: Action, unconfirmed = false): Pick<EmailMessage, 'subject' | 'html' | 'text'> {
  const rows = unconfirmed ? unconfirmedFormRows(record) : caseSummaryRows(record);
  const summaryTitle = unconfirmed ? UNCONFIRMED_SUMMARY_TITLE : 'Podsumowanie sprawy';
  const table = (title: string, data: [string, string][]) =>
    html`<h2 style="font-size:16px;margin:20px 0 8px">${title}</h2><table style="border-collapse:collapse;font-size:14px">${data.map(
      ([k, v]) => html`<tr><th style="text-align:left;padding:4px 12px 4px 0;vertical-align:top">${k}</th><td style="padding:4px 0">${v}</td></tr>`,
    )}</table>`;
  const body = html`<!doctype html><html lang="pl"><head><meta charset="utf-8"><title>${topic}</title></head><body style="font-family:Arial,sans-serif;color:#1b1b1b;line-height:1.5">
<h1 style="font-size:20px">${content.heading}</h1>
${content.paragraphs.map((p) => html`<p>${p}</p>`)}
${action ? html`<p><a href="${action.url}" style="display:inline-block;background:#1d7a35;color:#fff;padding:10px 18px;text-decoration:none;font-weight:bold;border-radius:4px">${action.label}</a></p><p style="font-size:13px;overflow-wrap:anywhere;word-break:break-all">Termin: ${action.deadline}. ${PERSONAL_LINK_NOTE} Jeśli przycisk nie działa, prosimy skopiować adres: ${action.url}</p>` : ''}
${content.rows ? table(content.rows.title, content.rows.rows) : ''}
${table(summaryTitle, rows)}
<p style="font-size:13px;overflow-wrap:anywhere;word-break:break-all">Przebieg i stan sprawy (strona tylko do odczytu): <a href="${statusUrl}">${statusUrl}</a></p>
<p style="font-size:12px;color:#555">Wiadomość wysłana automatycznie w procedurze zmiany dostawcy SD (MRPiPS, CBB CSIZS). Prosimy na nią nie odpowiadać.</p>
</body></html>`;
  const textRows = (data: [string, string][]) => data.map(([k, v]) => `  ${k}: ${v}`).join('\n');
  const text = [
    content.heading,
    '',
    ...content.paragraphs.flatMap((p) => [p, '']),
    ...(action ? [`${action.label}: ${action.url}`, `Termin: ${action.deadline}. ${PERSONAL_LINK_NOTE}`, ''] : []),
    ...(content.rows ? [`${content.rows.title}:`, textRows(content.rows.rows), ''] : []),
    `${summaryTitle}:`,
    textRows(rows),
    '',
    `Przebieg i stan sprawy (tylko do odczytu): ${statusUrl}`,
    '',
    '-- ',
    'Wiadomość wysłana automatycznie w procedurze zmiany dostawcy SD (MRPiPS, CBB CSIZS).',
  ].join('\n');
  return { subject: unconfirmed ? `[${record.caseId}] ${topic}` : subject(record, topic), html: body.value, text };
}

/** The request (or its reminder, or MRPiPS's resend) to confirm the contact address: sent before it is confirmed. */
function contactConfirmationEmail(args: { record: CaseRecord; to: string; url: string; deadline: string; remindersSent: number; resent?: boolean; final?: boolean; statusUrl: string }): EmailMessage {
  const which = args.resent ? ' (link wysłany ponownie)' : args.final ? ' (ostatnie przypomnienie)' : args.remindersSent > 0 ? ` (przypomnienie nr ${args.remindersSent})` : '';
  // Shaped as every subject ("[case] <unit>: <topic>"), with a fixed label where the unit's name would be.
  const topic = `Zgłoszenie zmiany dostawcy SD: prośba o potwierdzenie adresu e-mail${which}`;
  return personalEmail(args.record, args.to, topic, {
    heading: 'Prośba o potwierdzenie adresu e-mail',
    paragraphs: [
      'Dzień dobry, ten adres e-mail podano w formularzu zgłoszenia zmiany dostawcy systemu dziedzinowego (SD), prowadzonym przez MRPiPS (Departament Informatyki), jako adres osoby kontaktowej jednostki samorządu terytorialnego.',
      ...(args.remindersSent > 0 || args.resent ? ['Nie otrzymaliśmy jeszcze potwierdzenia. Poprzednie linki w tej sprawie przestały działać — prosimy użyć linku z tej wiadomości.'] : []),
      'Zgłoszenie trafi do MRPiPS dopiero po potwierdzeniu, że adres należy do Państwa i że zgłoszenie złożono w imieniu jednostki. Dane zgłoszenia podajemy poniżej dokładnie tak, jak wpisano je w formularzu; MRPiPS ich nie sprawdzało.',
      'Jeżeli nie składali Państwo tego zgłoszenia, prosimy zignorować tę wiadomość — niepotwierdzone zgłoszenie wygaśnie, a adres nie zostanie użyty w żadnej sprawie.',
      'Otwarcie linku niczego nie zmienia; potwierdzenie następuje dopiero przyciskiem na otwartej stronie.',
    ],
  }, { url: args.url, label: 'Otwórz stronę potwierdzenia', deadline: args.deadline }, args.statusUrl, true);
}

function stepAction(def: StepDefinition, args: { url: string; deadline: string }): Action {
  return { url: args.url, label: def.submitLabel.startsWith('Potwierdzam') ? 'Otwórz stronę potwierdzenia' : 'Otwórz formularz', deadline: args.deadline };
}

function requestTopic(args: { remindersSent: number; final?: boolean }): string {
  return args.final ? 'termin minął, ostatnie przypomnienie' : args.remindersSent > 0 ? `przypomnienie nr ${args.remindersSent}` : 'prośba o potwierdzenie';
}

export function confirmationRequestEmail(args: {
  record: CaseRecord;
  step: StepId;
  round: number;
  comment?: string | null;
  to: string;
  url: string;
  deadline: string;
  remindersSent: number;
  statusUrl: string;
  /** Set when a colleague handed the step over to this recipient. */
  delegatedBy?: string;
  /** The last link after the final deadline passed. */
  final?: boolean;
}): EmailMessage {
  if (args.step === 'CONFIRM_CONTACT') return contactConfirmationEmail(args);
  const def = STEPS[args.step];
  const reminder = args.remindersSent > 0;
  const instructions = def.instructions({ record: args.record, round: args.round, comment: args.comment });
  return personalEmail(args.record, args.to, `${def.title} — ${requestTopic(args)}`, {
    heading: `${reminder ? 'Przypomnienie: ' : ''}${def.title} (krok ${def.ref} procedury)`,
    paragraphs: [
      `Dzień dobry, ta wiadomość jest skierowana do: ${ROLE_LABEL[def.role]}.`,
      ...(args.delegatedBy ? [`${args.delegatedBy} przekazał(a) Ci ten krok do wykonania.`] : []),
      ...(reminder ? [`Nie otrzymaliśmy jeszcze potwierdzenia tego kroku. Poprzednie linki w tej sprawie przestały działać — użyj linku z tej wiadomości.`] : []),
      ...(args.final ? ['Termin na ten krok minął. MRPiPS zdecyduje o dalszym postępowaniu w sprawie; do tego czasu możesz nadal potwierdzić krok linkiem z tej wiadomości.'] : []),
      ...instructions,
      'Po wykonaniu czynności otwórz link poniżej, sprawdź dane i potwierdź je przyciskiem na stronie. Samo otwarcie strony niczego nie zmienia.',
    ],
  }, stepAction(def, args), args.statusUrl);
}

/**
 * The new supplier's own copy of a request to the JST (step b): what the JST is asked to do and by when, for
 * information only. The supplier's address comes from the public form and is never verified, so this e-mail
 * carries no action link: the JST confirms the step through its own link.
 */
export function supplierInformedEmail(args: { record: CaseRecord; step: StepId; round: number; comment?: string | null; to: string; deadline: string; remindersSent: number; final?: boolean; statusUrl: string }): EmailMessage {
  const def = STEPS[args.step];
  const office = args.record.notification.officeName;
  // What the JST declares on its page, quoted: the supplier reads what is asked of the JST, not the JST's instructions.
  const declaration = def.fields({ record: args.record, round: args.round, comment: args.comment }).find((field) => field.kind === 'checkbox')?.label;
  return compose(args.record, [args.to], [], `${def.title} — informacja dla nowego dostawcy SD (${requestTopic(args)})`, {
    heading: `Informacja: ${def.title} (krok ${def.ref} procedury)`,
    paragraphs: [
      `Dzień dobry, ta wiadomość jest skierowana do nowego dostawcy SD (${args.record.notification.newSd.supplier}) i ma charakter wyłącznie informacyjny.`,
      args.remindersSent > 0 || args.final
        ? `Jednostka ${office} nie potwierdziła jeszcze wykonania kroku „${def.title}” i otrzymała ${args.final ? 'ostatnie przypomnienie' : `przypomnienie nr ${args.remindersSent}`}.`
        : `Jednostka ${office} została poproszona o wykonanie kroku „${def.title}” i jego potwierdzenie.`,
      ...(declaration ? [`JST potwierdzi w systemie oświadczenie: „${declaration}”`] : []),
      ...(args.round > 1 ? [`Weryfikacja MRPiPS wykazała rozbieżności (runda ${args.round}). Uwagi MRPiPS: ${args.comment ?? '(brak)'}`] : []),
      `Termin potwierdzenia: ${args.deadline}. Krok potwierdza JST osobistym linkiem, przesłanym jej w osobnej wiadomości; od nowego dostawcy SD nie jest wymagane potwierdzenie w systemie.`,
    ],
  }, args.statusUrl);
}

export function escalationEmail(args: { record: CaseRecord; step: StepId; round: number; awaited: string; remindersSent: number; requestedAt: string; to: string; statusUrl: string }): EmailMessage {
  const def = STEPS[args.step];
  return compose(args.record, [args.to], [], `${def.title} — brak odpowiedzi (eskalacja)`, {
    heading: `Eskalacja: brak potwierdzenia kroku „${def.title}”`,
    paragraphs: [
      `${ROLE_LABEL[def.role]} (${args.awaited}${def.role === 'VOIVODESHIP_ADMIN' ? `, województwo ${voivodeshipName(args.record.voivodeship)}` : ''}) nie potwierdził(a) kroku ${def.ref} mimo ${args.remindersSent} przypomnień.`,
      `Prośba wysłana: ${formatDateTime(args.requestedAt)}. Przypomnienia są wysyłane dalej; prosimy o kontakt z uczestnikiem.`,
    ],
  }, args.statusUrl);
}

export function participantConfirmedEmail(args: { record: CaseRecord; step: StepId; by: string; role: Role; at: string; response: [string, string][]; to: string; statusUrl: string }): EmailMessage {
  const def = STEPS[args.step];
  return compose(args.record, [args.to], [], `${def.title} — potwierdzono`, {
    heading: `Potwierdzono krok ${def.ref}: ${def.title}`,
    paragraphs: [`${ROLE_LABEL[args.role]} (${args.by}) potwierdził(a) wykonanie kroku w dniu ${formatDateTime(args.at)}.`],
    rows: { title: 'Potwierdzone dane', rows: args.response },
  }, args.statusUrl);
}

export function variantAgreedEmail(record: CaseRecord, to: string, cc: string[], statusUrl: string): EmailMessage {
  const variant = record.variant!;
  return compose(record, [to], cc, `uzgodniono tryb zmiany: ${VARIANT_LABEL[variant]}`, {
    heading: `MRPiPS uzgodniło tryb zmiany dostawcy SD: ${VARIANT_LABEL[variant]}`,
    paragraphs: [
      variant === 'WITH_MIGRATION'
        ? 'Nowy dostawca przeniesie pełne dane z lokalnej bazy dotychczasowego SD do nowego SD. Po zakończeniu i weryfikacji dotychczasowe zbiory CBB zostaną zarchiwizowane.'
        : 'Dane nie będą migrowane; nowy SD rozpocznie zasilanie nowych zbiorów CBB. Po weryfikacji dotychczasowe zbiory CBB zostaną zamknięte (pozostaną dostępne dla usług weryfikacyjnych).',
      ...(record.agreement?.note ? [`Ustalenia MRPiPS: ${record.agreement.note}`] : []),
      'MRPiPS utworzy teraz nowe zbiory CBB i przekaże ich kody w kolejnej wiadomości.',
    ],
  }, statusUrl);
}

export function newCollectionCodesEmail(record: CaseRecord, to: string, cc: string[], statusUrl: string): EmailMessage {
  return compose(record, [to], cc, 'kody nowych zbiorów CBB', {
    heading: 'MRPiPS utworzyło nowe zbiory CBB',
    paragraphs: ['Nowy SD ma zasilać poniższe zbiory. Za chwilę otrzymasz prośbę o potwierdzenie deaktywacji dotychczasowego SD.'],
    rows: { title: 'Nowe zbiory CBB', rows: record.collections.map((c) => [c.area, `${c.newCode} (zastępuje ${c.oldCode})`]) },
  }, statusUrl);
}

export function registeredEmail(record: CaseRecord, to: string, statusUrl: string): EmailMessage {
  return compose(record, [to], [], 'przyjęto zgłoszenie zmiany dostawcy SD', {
    heading: `Przyjęto zgłoszenie — sprawa ${record.caseId}`,
    paragraphs: [
      'Dziękujemy. Zgłoszenie planowanej zmiany dostawcy SD zostało zarejestrowane i przekazane do MRPiPS (Departament Informatyki).',
      'MRPiPS uzgodni z Państwem tryb zmiany (z migracją danych lub bez). O każdym kolejnym kroku poinformujemy e-mailem; w korespondencji prosimy podawać numer sprawy.',
    ],
  }, statusUrl);
}

export function rejectedEmail(record: CaseRecord, to: string, statusUrl: string): EmailMessage {
  return compose(record, [to], [], 'zgłoszenie odrzucone', {
    heading: 'MRPiPS odrzuciło zgłoszenie zmiany dostawcy SD',
    paragraphs: [`Powód: ${record.agreement?.reason ?? '(nie podano)'}`, 'Po uzupełnieniu lub poprawieniu danych można złożyć nowe zgłoszenie. Dotychczasowe zbiory CBB pozostają bez zmian.'],
  }, statusUrl);
}

/** The contact confirmed, but a case confirmed earlier holds one of the collections (or one was closed or archived meanwhile). */
export function collectionsUnavailableEmail(record: CaseRecord, to: string, statusUrl: string): EmailMessage {
  return compose(record, [to], [], 'zgłoszenie nie może zostać przyjęte', {
    heading: 'Zgłoszenie zmiany dostawcy SD nie może zostać przyjęte',
    paragraphs: [
      'Dziękujemy za potwierdzenie adresu e-mail. Zgłoszenia nie można jednak przekazać do MRPiPS: co najmniej jeden z podanych w nim zbiorów CBB jest już objęty inną sprawą zmiany dostawcy SD, potwierdzoną wcześniej, albo został w międzyczasie zamknięty lub zarchiwizowany.',
      'Sprawa została zakończona; stan zbiorów CBB pozostaje bez zmian. Jeżeli zgłoszenie jest nadal potrzebne, prosimy skontaktować się z MRPiPS (sekretariat Departamentu Informatyki), podając numer sprawy.',
    ],
  }, statusUrl);
}

export function verificationEscalatedEmail(record: CaseRecord, to: string, statusUrl: string): EmailMessage {
  return compose(record, [to], [], 'weryfikacja zbiorów — eskalacja', {
    heading: 'Weryfikacja zbiorów nie powiodła się w trzech rundach',
    paragraphs: [
      `Ostatnie uwagi MRPiPS: ${record.verification?.comment ?? '(brak)'}`,
      'Sprawa została przekazana do wyjaśnienia w MRPiPS poza procedurą automatyczną. Dotychczasowe zbiory CBB pozostają aktywne do czasu decyzji MRPiPS.',
    ],
  }, statusUrl);
}

export function completedEmail(record: CaseRecord, to: string, cc: string[], statusUrl: string): EmailMessage {
  const state = record.outcome?.collectionsState ?? (record.variant === 'WITH_MIGRATION' ? 'ARCHIVED' : 'CLOSED');
  return compose(record, [to], cc, 'zmiana dostawcy SD zakończona', {
    heading: 'Zmiana dostawcy SD została zakończona',
    paragraphs: [
      `MRPiPS zweryfikowało dane dotychczasowych zbiorów z nowymi zbiorami przypisanymi do nowego SD. Tryb zmiany: ${VARIANT_LABEL[record.variant!]}.`,
      `Dotychczasowe zbiory CBB mają teraz stan: ${COLLECTION_STATE_LABEL[state]}. Nowe zbiory są aktywne i zasilane z nowego SD.`,
    ],
    rows: {
      title: 'Wykonane czynności',
      rows: [
        ...record.collections.map((c): [string, string] => [c.area, `${c.oldCode}: ${COLLECTION_STATE_LABEL[state]}; ${c.newCode}: aktywny`]),
        ['Deaktywacja dotychczasowego SD', record.oldSdDeactivatedOn ?? '—'],
        ['Zasilenie nowych zbiorów', record.newSdFeedingSince ?? '—'],
        ['Deaktywacja jednostki w MZT', record.mztDeactivatedOn ?? '—'],
      ],
    },
  }, statusUrl);
}

export function stepReassignedEmail(args: { record: CaseRecord; step: StepId; from: string; to: string; notify: string; statusUrl: string }): EmailMessage {
  const def = STEPS[args.step];
  return compose(args.record, [args.notify], [], `${def.title} — przekazano innej osobie`, {
    heading: `Krok „${def.title}” przekazano innej osobie`,
    paragraphs: [`${args.from} przekazał(a) krok ${def.ref} osobie: ${args.to}. Nowa osoba otrzymała własny link; poprzedni link przestał działać.`],
  }, args.statusUrl);
}

export function stepStalledEmail(args: { record: CaseRecord; step: StepId; awaited: string; remindersSent: number; requestedAt: string; to: string; statusUrl: string }): EmailMessage {
  const def = STEPS[args.step];
  return compose(args.record, [args.to], [], `${def.title} — termin minął, sprawa wstrzymana`, {
    heading: `Sprawa wstrzymana: krok „${def.title}” po terminie`,
    paragraphs: [
      `${ROLE_LABEL[def.role]} (${args.awaited}${def.role === 'VOIVODESHIP_ADMIN' ? `, województwo ${voivodeshipName(args.record.voivodeship)}` : ''}) nie potwierdził(a) kroku ${def.ref} mimo ${args.remindersSent} przypomnień (prośba z ${formatDateTime(args.requestedAt)}).`,
      'Sprawa ma stan „wstrzymana”. Uczestnik dostał ostatni link, który nadal działa. Zdecyduj: wyślij link ponownie, przekaż krok innej osobie albo anuluj sprawę (polecenia `npm run cases -- resend | reassign | cancel`).',
    ],
  }, args.statusUrl);
}

/** MRPiPS sent a step's link again (operations): same task and deadline, a new link; older links stopped working. */
export function stepLinkResentEmail(args: { record: CaseRecord; step: StepId; round: number; comment?: string | null; to: string; url: string; deadline: string; statusUrl: string; delegatedBy?: string }): EmailMessage {
  if (args.step === 'CONFIRM_CONTACT') return contactConfirmationEmail({ ...args, remindersSent: 0, resent: true });
  const def = STEPS[args.step];
  return personalEmail(args.record, args.to, `${def.title} — link wysłany ponownie`, {
    heading: `${def.title} (krok ${def.ref} procedury) — link wysłany ponownie`,
    paragraphs: [
      `Dzień dobry, ta wiadomość jest skierowana do: ${ROLE_LABEL[def.role]}.`,
      ...(args.delegatedBy ? [`${args.delegatedBy} przekazał(a) Ci ten krok do wykonania.`] : []),
      'MRPiPS wysyła ponownie link do tego kroku. Poprzednie linki w tej sprawie przestały działać — użyj linku z tej wiadomości.',
      ...def.instructions({ record: args.record, round: args.round, comment: args.comment }),
      'Po wykonaniu czynności otwórz link poniżej, sprawdź dane i potwierdź je przyciskiem na stronie. Samo otwarcie strony niczego nie zmienia.',
    ],
  }, stepAction(def, args), args.statusUrl);
}

/** MRPiPS (operations) handed a step to another person: told to MRPiPS and to the person who had it. */
export function stepReassignedByMrpipsEmail(args: { record: CaseRecord; step: StepId; from: string; to: string; by: string; notify: string; statusUrl: string }): EmailMessage {
  const def = STEPS[args.step];
  return compose(args.record, [args.notify], [], `${def.title} — MRPiPS przekazało krok innej osobie`, {
    heading: `Krok „${def.title}” przekazano innej osobie`,
    paragraphs: [
      `MRPiPS (${args.by}) przekazało krok ${def.ref} od ${args.from} osobie: ${args.to}. Nowa osoba otrzymała własny link; poprzedni link przestał działać.`,
      ...(args.notify === args.from ? ['Nie musisz już wykonywać tego kroku.'] : []),
    ],
  }, args.statusUrl);
}

/** MRPiPS cancelled the case: every participant is told why; links stopped working, collections released. */
export function caseCancelledEmail(record: CaseRecord, to: string, reason: string, statusUrl: string): EmailMessage {
  return compose(record, [to], [], 'sprawa anulowana', {
    heading: `MRPiPS anulowało sprawę ${record.caseId}`,
    paragraphs: [
      `Powód: ${reason}`,
      'Linki do potwierdzeń wysłane w tej sprawie przestały działać i nie trzeba wykonywać dalszych kroków w ramach tej sprawy.',
      'Zbiory CBB objęte sprawą zostały zwolnione bez zmiany ich stanu. W razie potrzeby JST może złożyć nowe zgłoszenie.',
    ],
  }, statusUrl);
}

/**
 * Operations are told of an incident once: which case and step, the error, until when the execution waits, and
 * what to do. Sent to the operations address, never to participants (the error may name addresses or codes).
 */
export function incidentOpenedEmail(args: { caseId: string; record?: CaseRecord; state: string; reason: string; openedAt: string; waitsUntil: string; to: string; statusUrl: string }): EmailMessage {
  return operationsEmail(args, `incydent techniczny w kroku „${args.state}”`, `Incydent techniczny w sprawie ${args.caseId}`, [
    `Czynność „${args.state}” w sprawie ${args.caseId} nie powiodła się i nie zostanie ponowiona automatycznie. Sprawa ma stan „wstrzymana — błąd techniczny” i czeka na decyzję MRPiPS.`,
    `Błąd: ${args.reason}`,
    `Zarejestrowano: ${formatDateTime(args.openedAt)}. Jeżeli do ${formatDateTime(args.waitsUntil)} nikt nie podejmie decyzji, sprawa zostanie oznaczona jako zakończona błędem.`,
    `Po usunięciu przyczyny proszę ponowić czynność poleceniem \`npm run cases -- retry ${args.caseId}\` (sprawa będzie kontynuowana od tego kroku; uczestnicy nie otrzymają ponownie wysłanych już wiadomości) albo anulować sprawę poleceniem \`npm run cases -- cancel ${args.caseId} --reason "…"\`. Lista incydentów: \`npm run cases -- incidents\`.`,
  ]);
}

/** How an execution of the procedure ended when it ended abnormally, in the words of the operations e-mail. */
const ENDED_EXECUTION_LABEL: Record<'FAILED' | 'TIMED_OUT' | 'ABORTED', string> = {
  TIMED_OUT: 'przekroczyło roczny limit czasu wykonania (TIMED_OUT)',
  FAILED: 'zakończyło się błędem, którego procedura nie mogła obsłużyć (FAILED)',
  ABORTED: 'zostało zatrzymane poza procedurą anulowania, np. w konsoli AWS (ABORTED)',
};

/** To operations, once: the procedure's execution ended abnormally and its case was marked FAILED (or was never registered). */
export function executionEndedEmail(args: { caseId: string; record?: CaseRecord; status: 'FAILED' | 'TIMED_OUT' | 'ABORTED'; reason: string; executionArn: string; endedAt: string; to: string; statusUrl: string }): EmailMessage {
  const outcome = args.record
    ? 'Sprawa nie będzie kontynuowana: otrzymała stan „błąd przetwarzania”, a oczekujące incydenty zostały zamknięte. Linki wysłane uczestnikom nie przyjmą już odpowiedzi.'
    : 'Sprawa nie została zarejestrowana, więc zgłoszenie nie będzie rozpatrzone, jeżeli MRPiPS nie podejmie działań.';
  return operationsEmail(args, 'wykonanie procedury zakończyło się nieprawidłowo', `Nieprawidłowe zakończenie procedury w sprawie ${args.caseId}`, [
    `Wykonanie procedury w sprawie ${args.caseId} ${ENDED_EXECUTION_LABEL[args.status]} (${formatDateTime(args.endedAt)}).`,
    `Przyczyna: ${args.reason}`,
    outcome,
    `Proszę sprawdzić historię wykonania w konsoli AWS Step Functions (${args.executionArn}) i poinformować uczestników o dalszym postępowaniu.`,
  ]);
}

/** An e-mail to operations about a case, with its summary when the case was registered. */
function operationsEmail(args: { caseId: string; record?: CaseRecord; to: string; statusUrl: string }, topic: string, heading: string, paragraphs: string[]): EmailMessage {
  if (args.record) return compose(args.record, [args.to], [], topic, { heading, paragraphs }, args.statusUrl);
  // The case was never registered (its notification failed the action that registers it): no summary to show.
  const body = html`<!doctype html><html lang="pl"><head><meta charset="utf-8"><title>${topic}</title></head><body style="font-family:Arial,sans-serif;color:#1b1b1b;line-height:1.5">
<h1 style="font-size:20px">${heading}</h1>
${paragraphs.map((p) => html`<p>${p}</p>`)}
<p style="font-size:12px;color:#555">Wiadomość wysłana automatycznie w procedurze zmiany dostawcy SD (MRPiPS, CBB CSIZS). Prosimy na nią nie odpowiadać.</p>
</body></html>`;
  return { to: [args.to], cc: [], subject: `[${args.caseId}] ${topic}`, html: body.value, text: [heading, '', ...paragraphs.flatMap((p) => [p, ''])].join('\n') };
}

/** To MRPiPS, once per step and address: SES reported that the step's request cannot reach its recipient. */
export function stepUndeliverableEmail(args: { record: CaseRecord; step: StepId; stepKey: string; address: string; what: string; to: string; statusUrl: string }): EmailMessage {
  const def = STEPS[args.step];
  return compose(args.record, [args.to], [], `nie można doręczyć wiadomości w kroku „${def.title}”`, {
    heading: `Nie można doręczyć wiadomości w sprawie ${args.record.caseId}`,
    paragraphs: [
      `Wiadomość z prośbą o potwierdzenie kroku „${def.title}” (krok ${def.ref}, ${args.stepKey}) nie może zostać doręczona na adres ${args.address}: ${args.what}.`,
      'Na ten adres nie będą wysyłane przypomnienia. Sprawa czeka, dopóki krok nie zostanie przekazany osobie, do której poczta dociera.',
      def.delegable
        ? `Aby przekazać krok na poprawny adres, proszę wykonać polecenie: npm run cases -- reassign ${args.record.caseId} ${args.stepKey} <adres e-mail>`
        : `Ten krok potwierdza wyłącznie właściciel adresu podanego w zgłoszeniu, więc nie można go przekazać. Proszę skontaktować się z osobą wskazaną w zgłoszeniu (${args.record.notification.contact.name}, tel. ${args.record.notification.contact.phone}): sprawa wygaśnie bez potwierdzenia adresu, a zgłoszenie należy złożyć ponownie z poprawnym adresem e-mail (albo anulować sprawę wcześniej: npm run cases -- cancel ${args.record.caseId}).`,
    ],
  }, args.statusUrl);
}
