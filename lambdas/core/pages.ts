import { byTime, CASE_STATUS_LABEL, ROLE_LABEL, VARIANT_LABEL, type CaseRecord, type TimelineEntry } from './case.js';
import { caseSummaryRows } from './emails.js';
import { formatDateTime } from './format.js';
import { escapeHtml, html, layout, pageHeaders, SafeHtml } from './html.js';
import { t, tExact, type Lang } from './i18n.js';
import { MAX_AREAS } from './notification.js';
import type { FormField, StepDefinition } from './steps.js';

/** Server-rendered pages: no scripts (the CSP forbids them), one deliberate button press per action. */
export interface PageResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** `lang` is the language of the page; `query` the raw query of the current URL (for the language switch). */
export function page(statusCode: number, title: string, body: SafeHtml, lang: Lang = 'pl', query = ''): PageResponse {
  return { statusCode, headers: pageHeaders(), body: layout(title, body, lang, query) };
}

/**
 * A sentence of a page with placeholders: the Polish template is translated as a whole (word order differs
 * between the languages), then `{name}` is filled; the text is escaped, values are escaped unless SafeHtml.
 */
function fill(lang: Lang, template: string, values: Record<string, SafeHtml | string | number> = {}): SafeHtml {
  const parts = t(lang, template).split(/\{(\w+)\}/);
  return new SafeHtml(parts.map((part, index) => (index % 2 === 0 ? escapeHtml(part) : html`${values[part] ?? ''}`.value)).join(''));
}

type Errors = Record<string, string>;
type Values = Record<string, string>;

const fieldId = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

function errorSummary(errors: Errors, labels: Record<string, string>, lang: Lang = 'pl'): SafeHtml | '' {
  const entries = Object.entries(errors);
  if (entries.length === 0) return '';
  return html`<div class="summary-errors" role="alert" aria-labelledby="bledy"><h2 id="bledy">${fill(lang, 'Formularz zawiera błędy ({count})', { count: entries.length })}</h2><ul>${entries.map(
    ([name, message]) => html`<li><a href="#${fieldId(name)}">${t(lang, labels[name] ?? 'Formularz')}: ${t(lang, message)}</a></li>`,
  )}</ul></div>`;
}

function describedBy(name: string, hint: string | undefined, error: string | undefined): string {
  return [hint ? `${fieldId(name)}-hint` : '', error ? `${fieldId(name)}-error` : ''].filter(Boolean).join(' ');
}

/** Labels, hints and errors are given in Polish and shown in `lang`. */
function inputField(spec: { name: string; label: string; type: string; hint?: string; maxLength?: number; required?: boolean; autocomplete?: string }, values: Values, errors: Errors, lang: Lang = 'pl'): SafeHtml {
  const id = fieldId(spec.name);
  const error = errors[spec.name];
  const described = describedBy(spec.name, spec.hint, error);
  return html`<label for="${id}">${t(lang, spec.label)}${spec.required === false ? t(lang, ' (opcjonalnie)') : ''}</label>${spec.hint ? html`<p class="hint" id="${id}-hint">${t(lang, spec.hint)}</p>` : ''}${
    error ? html`<p class="error" id="${id}-error">${t(lang, 'Błąd: ')}${t(lang, error)}</p>` : ''
  }<input type="${spec.type}" id="${id}" name="${spec.name}" value="${values[spec.name] ?? ''}"${html`${spec.maxLength ? html` maxlength="${spec.maxLength}"` : ''}${spec.required === false ? '' : html` required aria-required="true"`}${
    spec.autocomplete ? html` autocomplete="${spec.autocomplete}"` : ''
  }${described ? html` aria-describedby="${described}"` : ''}${error ? html` aria-invalid="true" class="invalid"` : ''}`}>`;
}

function stepField(field: FormField, values: Values, errors: Errors, lang: Lang = 'pl'): SafeHtml {
  const id = fieldId(field.name);
  const error = errors[field.name];
  const errorLine = error ? html`<p class="error" id="${id}-error">${t(lang, 'Błąd: ')}${t(lang, error)}</p>` : '';
  switch (field.kind) {
    case 'radio':
      return html`<fieldset id="${id}"${error ? html` aria-describedby="${id}-error"` : ''}><legend>${t(lang, field.label)}</legend>${errorLine}${field.options.map(
        (option, index) =>
          html`<div class="choice"><input type="radio" id="${id}-${index}" name="${field.name}" value="${option.value}"${values[field.name] === option.value ? ' checked' : ''}${index === 0 ? ' required' : ''}><label for="${id}-${index}">${t(lang, option.label)}</label></div>`,
      )}</fieldset>`;
    case 'checkbox':
      return html`<div class="choice" id="${id}-wrap">${errorLine}<input type="checkbox" id="${id}" name="${field.name}" value="tak"${values[field.name] === 'tak' ? ' checked' : ''} required${
        error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''
      }><label for="${id}">${t(lang, field.label)}</label></div>`;
    case 'textarea': {
      const described = describedBy(field.name, field.hint, error);
      return html`<label for="${id}">${t(lang, field.label)}</label>${errorLine}<textarea id="${id}" name="${field.name}" maxlength="${field.maxLength}"${described ? html` aria-describedby="${described}"` : ''}${
        error ? html` aria-invalid="true" class="invalid"` : ''
      }>${values[field.name] ?? ''}</textarea>`;
    }
    case 'date':
      return inputField({ name: field.name, label: field.label, type: 'date', hint: field.hint }, values, errors, lang);
    case 'text':
      return inputField({ name: field.name, label: field.label, type: 'text', hint: field.hint, maxLength: field.maxLength }, values, errors, lang);
  }
}

/** Summary rows whose values the system writes (labels, codes); the other values are what people typed. */
const TRANSLATED_SUMMARY_VALUES = new Set(['Województwo', 'Tryb zmiany', 'Kontakt w JST']);

function summaryList(record: CaseRecord, lang: Lang = 'pl'): SafeHtml {
  return html`<dl>${caseSummaryRows(record).map(
    ([k, v]) => html`<dt>${t(lang, k)}</dt><dd>${TRANSLATED_SUMMARY_VALUES.has(k) || k.startsWith('Obszar: ') ? t(lang, v) : v}</dd>`,
  )}</dl>`;
}

export function stepPage(args: {
  record: CaseRecord;
  def: StepDefinition;
  round: number;
  comment?: string | null;
  recipient: string;
  deadline: string;
  query: string;
  /** The per-page form token (see links.ts formToken). */
  formToken: string;
  values?: Values;
  errors?: Errors;
  lang?: Lang;
  /** False once the step has been handed over as often as allowed (MAX_HAND_OVERS_PER_STEP): no hand-over form then. */
  canHandOver?: boolean;
}): PageResponse {
  const { record, def } = args;
  const lang = args.lang ?? 'pl';
  const ctx = { record, round: args.round, comment: args.comment };
  const fields = def.fields(ctx);
  const errors = args.errors ?? {};
  const labels: Record<string, string> = { ...Object.fromEntries(fields.map((f) => [f.name, f.label])), delegateEmail: 'Adres e-mail osoby, której przekazujesz krok' };
  const body = html`${errorSummary(errors, labels, lang)}<h1>${t(lang, def.title)}</h1>
<p>${fill(lang, 'Sprawa {caseId} · krok {ref} procedury · termin: {deadline}', { caseId: html`<strong>${record.caseId}</strong>`, ref: def.ref, deadline: args.deadline })}</p>
<p class="notice">${fill(lang, 'Potwierdzasz jako: {recipient} ({role}).', { recipient: html`<strong>${args.recipient}</strong>`, role: t(lang, ROLE_LABEL[def.role]) })}</p>
${def.instructions(ctx).map((p) => html`<p>${t(lang, p)}</p>`)}
<form method="post" action="?${args.query}" novalidate>
<input type="hidden" name="csrf" value="${args.formToken}">
${fields.map((field) => stepField(field, args.values ?? {}, errors, lang))}
<button type="submit">${t(lang, def.submitLabel)}</button>
</form>
<h2>${t(lang, 'Podsumowanie sprawy')}</h2>${summaryList(record, lang)}
${def.delegable ? (args.canHandOver === false ? html`<h2 id="przekaz">${t(lang, 'Przekazanie kroku')}</h2><p>${t(lang, HAND_OVER_LIMIT_TEXT)}</p>` : handOverForm(args, errors, lang)) : ''}`;
  return page(Object.keys(errors).length ? 400 : 200, t(lang, def.title), body, lang, args.query);
}

function handOverForm(args: { query: string; formToken: string; values?: Values }, errors: Errors, lang: Lang): SafeHtml {
  return html`<h2 id="przekaz">${t(lang, 'Nie jesteś właściwą osobą?')}</h2>
<p>${t(lang, 'Możesz przekazać ten krok współpracownikowi. Otrzyma własny link, a Twój link przestanie działać. MRPiPS zostanie o tym poinformowane.')}</p>
<form method="post" action="?${args.query}" novalidate>
<input type="hidden" name="csrf" value="${args.formToken}">
<input type="hidden" name="action" value="reassign">
${inputField({ name: 'delegateEmail', label: 'Adres e-mail osoby, której przekazujesz krok', type: 'email', maxLength: 254, autocomplete: 'email' }, args.values ?? {}, errors, lang)}
<button type="submit" class="secondary">${t(lang, 'Przekaż krok')}</button>
</form>`;
}

export function confirmedPage(record: CaseRecord, def: StepDefinition, at: string, lang: Lang = 'pl', query = ''): PageResponse {
  return page(
    200,
    t(lang, 'Dziękujemy'),
    html`<h1>${t(lang, 'Dziękujemy — potwierdzenie zapisane')}</h1><p class="notice ok">${fill(
      lang,
      'Krok „{title}” w sprawie {caseId} został potwierdzony {at}. MRPiPS otrzymało informację. O kolejnych krokach poinformujemy e-mailem.',
      { title: t(lang, def.title), caseId: html`<strong>${record.caseId}</strong>`, at: formatDateTime(at, lang) },
    )}</p><h2>${t(lang, 'Podsumowanie sprawy')}</h2>${summaryList(record, lang)}`,
    lang,
    query,
  );
}

/** A second click after completion: who confirmed what and when (informational; status 409, nothing changes). */
export function alreadyRecordedPage(record: CaseRecord, def: StepDefinition, by: string, at: string, confirmed: [string, string][], lang: Lang = 'pl', query = ''): PageResponse {
  return page(
    409,
    t(lang, 'Już potwierdzono'),
    html`<h1>${t(lang, 'Ten krok został już potwierdzony')}</h1><p class="notice ok">${fill(lang, 'Krok „{title}” w sprawie {caseId} potwierdził(a) {by} w dniu {at}. Nie trzeba nic więcej robić.', {
      title: t(lang, def.title),
      caseId: html`<strong>${record.caseId}</strong>`,
      by: html`<strong>${by}</strong>`,
      at: formatDateTime(at, lang),
    })}</p>${
      // Labels are the system's; values are option labels, yes/no or what the person typed (translated only when exactly a known label).
      confirmed.length ? html`<h2>${t(lang, 'Potwierdzone dane')}</h2><dl>${confirmed.map(([k, v]) => html`<dt>${t(lang, k)}</dt><dd>${tExact(lang, v)}</dd>`)}</dl>` : ''
    }`,
    lang,
    query,
  );
}

export function reassignedPage(record: CaseRecord, def: StepDefinition, to: string, lang: Lang = 'pl', query = ''): PageResponse {
  return page(
    200,
    t(lang, 'Krok przekazany'),
    html`<h1>${t(lang, 'Krok przekazany')}</h1><p class="notice ok">${fill(
      lang,
      'Krok „{title}” w sprawie {caseId} przekazano osobie: {to}. Otrzyma ona własny link e-mailem; Twój link przestał działać. MRPiPS zostało poinformowane.',
      { title: t(lang, def.title), caseId: html`<strong>${record.caseId}</strong>`, to: html`<strong>${to}</strong>` },
    )}</p>`,
    lang,
    query,
  );
}

const HAND_OVER_LIMIT_TEXT =
  'Tego kroku nie można już przekazać za pomocą linku: został przekazany tyle razy, ile pozwalają zasady procedury. Jeżeli krok ma wykonać inna osoba, prosimy o kontakt z MRPiPS (Departament Informatyki), które może przypisać go innej osobie.';

/** A hand-over refused because the step has been handed over as often as allowed (status 409, nothing changes). */
export function handOverLimitPage(record: CaseRecord, def: StepDefinition, lang: Lang = 'pl', query = ''): PageResponse {
  return page(
    409,
    t(lang, 'Nie można przekazać kroku'),
    html`<h1>${t(lang, 'Nie można przekazać kroku')}</h1><p class="notice warn">${fill(lang, 'Krok „{title}” w sprawie {caseId}.', { title: t(lang, def.title), caseId: html`<strong>${record.caseId}</strong>` })} ${t(lang, HAND_OVER_LIMIT_TEXT)} ${t(lang, 'Nic nie zostało zmienione.')}</p>`,
    lang,
    query,
  );
}

/**
 * A hand-over whose new recipient has the link, but whose notices or timeline entry could not be written yet
 * (status 202): the page says what is true, and that sending the form again finishes it.
 */
export function handOverUnfinishedPage(record: CaseRecord, def: StepDefinition, to: string, lang: Lang = 'pl', query = ''): PageResponse {
  return page(
    202,
    t(lang, 'Krok przekazany'),
    html`<h1>${t(lang, 'Krok przekazany')}</h1><p class="notice ok">${fill(
      lang,
      'Krok „{title}” w sprawie {caseId} został przekazany osobie: {to}, która otrzymała własny link e-mailem; dotychczasowy link przestał działać.',
      { title: t(lang, def.title), caseId: html`<strong>${record.caseId}</strong>`, to: html`<strong>${to}</strong>` },
    )}</p><p class="notice warn">${t(
      lang,
      'Nie udało się jeszcze powiadomić MRPiPS ani odnotować przekazania w przebiegu sprawy. Prosimy za kilka minut wysłać formularz ponownie (odświeżyć stronę i potwierdzić ponowne wysłanie): krok nie zostanie przekazany drugi raz, a brakujące powiadomienie zostanie wysłane.',
    )}</p>`,
    lang,
    query,
  );
}

export interface StatusStep {
  title: string;
  ref: string;
  role: string;
  recipient: string;
  status: string;
  deadline: string;
  completedAt?: string;
  /** SES reported that e-mail to the recipient cannot be delivered (core/step-record.ts recipientUnreachable). */
  undeliverable?: boolean;
}

/**
 * The read-only case page every e-mail links to: where the case is, who is awaited, and its history. The
 * steps' title and role are given in Polish and their dates already formatted in `lang`.
 */
export function caseStatusPage(record: CaseRecord, steps: StatusStep[], timeline: TimelineEntry[], lang: Lang = 'pl', query = ''): PageResponse {
  // A lapsed, rejected or cancelled case waits for nobody, whatever its last step item says.
  const waiting = record.status === 'IN_PROGRESS' || record.status === 'STALLED' ? steps.filter((s) => s.status === 'PENDING') : [];
  const heading = t(lang, 'Sprawa {caseId}').replace('{caseId}', record.caseId);
  const status = html`<strong>${t(lang, CASE_STATUS_LABEL[record.status])}</strong>`;
  return page(
    200,
    heading,
    html`<h1>${heading}</h1>
<p class="notice">${
      record.variant
        ? fill(lang, 'Stan sprawy: {status} · tryb: {variant}. Strona tylko do odczytu.', { status, variant: t(lang, VARIANT_LABEL[record.variant]) })
        : fill(lang, 'Stan sprawy: {status}. Strona tylko do odczytu.', { status })
    }</p>
<h2>${t(lang, 'Na co czekamy')}</h2>
${
  waiting.length
    ? html`<ul>${waiting.map(
        (s) =>
          html`<li>${fill(lang, '{title} (krok {ref}) — czeka na: {role}, {recipient}; termin {deadline}', {
            title: html`<strong>${t(lang, s.title)}</strong>`,
            ref: s.ref,
            role: t(lang, s.role),
            recipient: s.recipient,
            deadline: s.deadline,
          })}${s.undeliverable ? html`<br><strong>${t(lang, 'Wiadomości na ten adres nie można doręczyć. MRPiPS przekaże krok na inny adres.')}</strong>` : ''}</li>`,
      )}</ul>`
    : html`<p>${t(lang, record.status === 'IN_PROGRESS' ? 'Trwa przetwarzanie — za chwilę zostanie wysłana kolejna prośba.' : 'Sprawa nie czeka na nikogo.')}</p>`
}
<h2>${t(lang, 'Przebieg sprawy')}</h2>
<table><thead><tr><th scope="col">${t(lang, 'Kiedy')}</th><th scope="col">${t(lang, 'Kto')}</th><th scope="col">${t(lang, 'Co')}</th></tr></thead><tbody>${byTime(timeline)
      .reverse()
      .map(
        (e) =>
          html`<tr><td>${formatDateTime(e.at, lang)}</td><td>${e.actor.role === 'SYSTEM' ? t(lang, 'system') : `${t(lang, ROLE_LABEL[e.actor.role])}${e.actor.email ? `, ${e.actor.email}` : ''}`}</td><td>${t(lang, e.summary)}</td></tr>`,
      )}</tbody></table>
<h2>${t(lang, 'Podsumowanie sprawy')}</h2>${summaryList(record, lang)}`,
    lang,
    query,
  );
}

export type LinkProblem = 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED' | 'SUPERSEDED' | 'NOT_PENDING' | 'NOT_FOUND' | 'TOO_LATE' | 'FORM_TOKEN' | 'STATUS_REVOKED' | 'STATUS_EXPIRED';

const LINK_PROBLEMS: Record<LinkProblem, { status: number; title: string; text: string }> = {
  MALFORMED: { status: 400, title: 'Niepełny link', text: 'Link jest niepełny lub uszkodzony. Otwórz go ponownie z wiadomości e-mail, w całości (niektóre programy pocztowe dzielą długie adresy).' },
  BAD_SIGNATURE: { status: 403, title: 'Nieprawidłowy link', text: 'Tego linku nie można zweryfikować: mógł zostać zmieniony. Otwórz link bezpośrednio z wiadomości e-mail.' },
  EXPIRED: { status: 410, title: 'Link wygasł', text: 'Termin ważności linku minął. Otrzymasz przypomnienie z nowym linkiem; możesz też skontaktować się z MRPiPS.' },
  SUPERSEDED: { status: 410, title: 'Link nieaktualny', text: 'Ten link nie jest już aktualny. Jeżeli otrzymali Państwo nowszą wiadomość w tej sprawie, prosimy skorzystać z zawartego w niej linku. Nic nie zostało zmienione.' },
  NOT_PENDING: { status: 409, title: 'Krok nie oczekuje na potwierdzenie', text: 'Ten krok nie oczekuje już na potwierdzenie (sprawa jest zakończona, anulowana albo krok został zamknięty). Nic nie zostało zmienione.' },
  NOT_FOUND: { status: 404, title: 'Nie znaleziono sprawy', text: 'Nie znaleziono sprawy lub kroku wskazanego w linku.' },
  FORM_TOKEN: { status: 403, title: 'Formularz nieważny', text: 'Formularz nie pochodzi ze strony otwartej z linku albo jest niepełny. Otwórz link z wiadomości e-mail ponownie i wyślij formularz z tej strony. Nic nie zostało zmienione.' },
  STATUS_REVOKED: { status: 410, title: 'Link unieważniony', text: 'Linki do strony stanu tej sprawy zostały unieważnione przez MRPiPS. Aktualny link znajduje się w każdej wiadomości e-mail w tej sprawie wysłanej po unieważnieniu; w razie potrzeby prosimy o kontakt z MRPiPS.' },
  STATUS_EXPIRED: { status: 410, title: 'Link wygasł', text: 'Sprawa została zakończona, a okres, w którym link do strony jej stanu był ważny, upłynął. Informacji o sprawie udziela MRPiPS.' },
  TOO_LATE: { status: 410, title: 'Link nieaktualny', text: 'Czas na potwierdzenie tego linku upłynął i wysyłamy nowy link. Użyj linku z najnowszej wiadomości. Nic nie zostało zmienione.' },
};

export function linkProblemPage(problem: LinkProblem, lang: Lang = 'pl', query = ''): PageResponse {
  const spec = LINK_PROBLEMS[problem];
  return page(spec.status, t(lang, spec.title), html`<h1>${t(lang, spec.title)}</h1><p class="notice warn">${t(lang, spec.text)}</p>`, lang, query);
}

/** A page with one message; `title` and `text` are given in Polish and shown in `lang`. */
export function messagePage(statusCode: number, title: string, text: string, lang: Lang = 'pl', query = ''): PageResponse {
  return page(statusCode, t(lang, title), html`<h1>${t(lang, title)}</h1><p class="notice${statusCode >= 400 ? ' warn' : ''}">${t(lang, text)}</p>`, lang, query);
}

const NOTIFICATION_LABELS: Record<string, string> = {
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
  'newSd.contactEmail': 'E-mail kontaktowy nowego dostawcy',
  remarks: 'Uwagi',
  areas: 'Obszary i zbiory CBB',
};

export function areaRowCount(values: Values, requested = 0): number {
  let filled = 0;
  for (let i = 0; i < MAX_AREAS; i++) if (values[`areas.${i}.area`] || values[`areas.${i}.oldCollectionCode`]) filled = i + 1;
  return Math.min(MAX_AREAS, Math.max(3, filled, requested));
}

/** The notification form; in English (`lang: 'en'`) it posts to `/zgloszenie?lang=en`, so the answer is English too. */
export function notificationFormPage(args: { values?: Values; errors?: Errors; rows?: number; statusCode?: number; lang?: Lang }): PageResponse {
  const lang = args.lang ?? 'pl';
  const values = args.values ?? {};
  const errors = args.errors ?? {};
  const rows = args.rows ?? areaRowCount(values);
  const labels: Record<string, string> = { ...NOTIFICATION_LABELS };
  for (let i = 0; i < MAX_AREAS; i++) {
    labels[`areas.${i}.area`] = `Obszar ${i + 1}`;
    labels[`areas.${i}.oldCollectionCode`] = `Kod zbioru CBB ${i + 1}`;
  }
  const input = (name: string, type = 'text', extra: { hint?: string; maxLength?: number; required?: boolean; autocomplete?: string } = {}) =>
    inputField({ name, label: labels[name]!, type, ...extra }, values, errors, lang);
  const areaRows = Array.from({ length: rows }, (_, i) =>
    html`<fieldset><legend>${fill(lang, i === 0 ? 'Obszar {n}' : 'Obszar {n} (opcjonalnie)', { n: i + 1 })}</legend>${inputField(
      { name: `areas.${i}.area`, label: 'Obszar wsparcia', type: 'text', hint: i === 0 ? 'Np. świadczenia rodzinne, fundusz alimentacyjny, pomoc społeczna.' : undefined, maxLength: 120, required: i === 0 },
      values,
      errors,
      lang,
    )}${inputField({ name: `areas.${i}.oldCollectionCode`, label: 'Kod dotychczasowego zbioru CBB', type: 'text', maxLength: 40, required: i === 0 }, values, errors, lang)}</fieldset>`,
  );
  const body = html`${errorSummary(errors, labels, lang)}<h1>${t(lang, 'Zgłoszenie zmiany dostawcy systemu dziedzinowego (SD)')}</h1>
<p>${t(lang, 'Formularz dla jednostek samorządu terytorialnego (gmin, powiatów) zasilających Centralną Bazę Beneficjentów. Zgłoszenie trafi do MRPiPS (Departament Informatyki). Wszystkie pola są wymagane, chyba że oznaczono je jako opcjonalne.')}</p>
<form method="post" action="${lang === 'en' ? '/zgloszenie?lang=en' : '/zgloszenie'}" novalidate>
<input type="hidden" name="submissionId" value="${values.submissionId ?? ''}"><input type="hidden" name="formToken" value="${values.formToken ?? ''}">
<fieldset><legend>${t(lang, 'Jednostka')}</legend>
${input('officeName', 'text', { maxLength: 200, autocomplete: 'organization' })}
${input('teryt', 'text', { hint: '7 cyfr; dwie pierwsze to kod województwa, np. 1465011.', maxLength: 7 })}
${input('mztUnitCode', 'text', { maxLength: 50 })}
${input('plannedChangeDate', 'date', { hint: 'Nie wcześniej niż dziś.' })}
</fieldset>
<h2>${t(lang, 'Obszary i zbiory CBB objęte zmianą')}</h2>
${errors.areas ? html`<p class="error" id="f-areas">${t(lang, 'Błąd: ')}${t(lang, errors.areas)}</p>` : ''}
${areaRows}
${rows < MAX_AREAS ? html`<button type="submit" name="action" value="addArea" formnovalidate>${t(lang, 'Dodaj kolejny obszar')}</button><input type="hidden" name="rows" value="${rows}">` : ''}
<fieldset><legend>${t(lang, 'Osoba kontaktowa w JST')}</legend>
${input('contact.name', 'text', { maxLength: 120, autocomplete: 'name' })}
${input('contact.email', 'email', { maxLength: 254, autocomplete: 'email' })}
${input('contact.phone', 'tel', { maxLength: 24, autocomplete: 'tel' })}
</fieldset>
<fieldset><legend>${t(lang, 'Dotychczasowy SD')}</legend>${input('oldSd.product', 'text', { maxLength: 120 })}${input('oldSd.supplier', 'text', { maxLength: 160 })}</fieldset>
<fieldset><legend>${t(lang, 'Nowy SD')}</legend>${input('newSd.product', 'text', { maxLength: 120 })}${input('newSd.supplier', 'text', { maxLength: 160 })}${input('newSd.contactEmail', 'email', {
    maxLength: 254,
    required: false,
    hint: 'Jeśli podasz adres, dostawca otrzyma kopie wiadomości o kroku b (deaktywacja i zasilenie).',
  })}</fieldset>
<label for="${fieldId('remarks')}">${t(lang, 'Uwagi (opcjonalnie)')}</label><textarea id="${fieldId('remarks')}" name="remarks" maxlength="2000">${values.remarks ?? ''}</textarea>
<button type="submit">${t(lang, 'Wyślij zgłoszenie')}</button>
</form>`;
  return page(args.statusCode ?? (Object.keys(errors).length ? 400 : 200), t(lang, 'Zgłoszenie zmiany dostawcy SD'), body, lang);
}

export function notificationAcceptedPage(caseId: string, email: string, lang: Lang = 'pl'): PageResponse {
  return page(
    201,
    t(lang, 'Zgłoszenie przyjęte'),
    html`<h1>${t(lang, 'Zgłoszenie przyjęte')}</h1><p class="notice ok">${fill(lang, 'Numer sprawy: {caseId}.', { caseId: html`<strong>${caseId}</strong>` })}</p><p>${fill(
      lang,
      'Na adres {email} wysyłamy wiadomość z linkiem; zwykle dociera w ciągu kilku minut. {confirm} — dopiero wtedy zgłoszenie trafi do MRPiPS. Prosimy podawać numer sprawy w korespondencji z MRPiPS.',
      { email: html`<strong>${email}</strong>`, confirm: html`<strong>${t(lang, 'Potwierdź w niej adres e-mail')}</strong>` },
    )}</p>`,
    lang,
  );
}
