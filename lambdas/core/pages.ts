import type { CaseRecord } from './case.js';
import { CASE_STATUS_LABEL, ROLE_LABEL, VARIANT_LABEL } from './case.js';
import { caseSummaryRows } from './emails.js';
import { formatDateTime } from './format.js';
import { html, layout, pageHeaders, type SafeHtml } from './html.js';
import { MAX_AREAS } from './notification.js';
import type { FormField, StepDefinition } from './steps.js';

/** Server-rendered pages: no scripts (the CSP forbids them), one deliberate button press per action. */
export interface PageResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export function page(statusCode: number, title: string, body: SafeHtml): PageResponse {
  return { statusCode, headers: pageHeaders(), body: layout(title, body) };
}

type Errors = Record<string, string>;
type Values = Record<string, string>;

const fieldId = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

function errorSummary(errors: Errors, labels: Record<string, string>): SafeHtml | '' {
  const entries = Object.entries(errors);
  if (entries.length === 0) return '';
  return html`<div class="summary-errors" role="alert" aria-labelledby="bledy"><h2 id="bledy">Formularz zawiera błędy (${entries.length})</h2><ul>${entries.map(
    ([name, message]) => html`<li><a href="#${fieldId(name)}">${labels[name] ?? 'Formularz'}: ${message}</a></li>`,
  )}</ul></div>`;
}

function describedBy(name: string, hint: string | undefined, error: string | undefined): string {
  return [hint ? `${fieldId(name)}-hint` : '', error ? `${fieldId(name)}-error` : ''].filter(Boolean).join(' ');
}

function inputField(spec: { name: string; label: string; type: string; hint?: string; maxLength?: number; required?: boolean; autocomplete?: string }, values: Values, errors: Errors): SafeHtml {
  const id = fieldId(spec.name);
  const error = errors[spec.name];
  const described = describedBy(spec.name, spec.hint, error);
  return html`<label for="${id}">${spec.label}${spec.required === false ? ' (opcjonalnie)' : ''}</label>${spec.hint ? html`<p class="hint" id="${id}-hint">${spec.hint}</p>` : ''}${
    error ? html`<p class="error" id="${id}-error">Błąd: ${error}</p>` : ''
  }<input type="${spec.type}" id="${id}" name="${spec.name}" value="${values[spec.name] ?? ''}"${html`${spec.maxLength ? html` maxlength="${spec.maxLength}"` : ''}${spec.required === false ? '' : html` required aria-required="true"`}${
    spec.autocomplete ? html` autocomplete="${spec.autocomplete}"` : ''
  }${described ? html` aria-describedby="${described}"` : ''}${error ? html` aria-invalid="true" class="invalid"` : ''}`}>`;
}

function stepField(field: FormField, values: Values, errors: Errors): SafeHtml {
  const id = fieldId(field.name);
  const error = errors[field.name];
  const errorLine = error ? html`<p class="error" id="${id}-error">Błąd: ${error}</p>` : '';
  switch (field.kind) {
    case 'radio':
      return html`<fieldset id="${id}"${error ? html` aria-describedby="${id}-error"` : ''}><legend>${field.label}</legend>${errorLine}${field.options.map(
        (option, index) =>
          html`<div class="choice"><input type="radio" id="${id}-${index}" name="${field.name}" value="${option.value}"${values[field.name] === option.value ? ' checked' : ''}${index === 0 ? ' required' : ''}><label for="${id}-${index}">${option.label}</label></div>`,
      )}</fieldset>`;
    case 'checkbox':
      return html`<div class="choice" id="${id}-wrap">${errorLine}<input type="checkbox" id="${id}" name="${field.name}" value="tak"${values[field.name] === 'tak' ? ' checked' : ''} required${
        error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''
      }><label for="${id}">${field.label}</label></div>`;
    case 'textarea': {
      const described = describedBy(field.name, field.hint, error);
      return html`<label for="${id}">${field.label}</label>${errorLine}<textarea id="${id}" name="${field.name}" maxlength="${field.maxLength}"${described ? html` aria-describedby="${described}"` : ''}${
        error ? html` aria-invalid="true" class="invalid"` : ''
      }>${values[field.name] ?? ''}</textarea>`;
    }
    case 'date':
      return inputField({ name: field.name, label: field.label, type: 'date', hint: field.hint }, values, errors);
    case 'text':
      return inputField({ name: field.name, label: field.label, type: 'text', hint: field.hint, maxLength: field.maxLength }, values, errors);
  }
}

function summaryList(record: CaseRecord): SafeHtml {
  return html`<dl>${caseSummaryRows(record).map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
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
}): PageResponse {
  const { record, def } = args;
  const ctx = { record, round: args.round, comment: args.comment };
  const fields = def.fields(ctx);
  const errors = args.errors ?? {};
  const labels: Record<string, string> = { ...Object.fromEntries(fields.map((f) => [f.name, f.label])), delegateEmail: 'Adres e-mail osoby, której przekazujesz krok' };
  const body = html`${errorSummary(errors, labels)}<h1>${def.title}</h1>
<p>Sprawa <strong>${record.caseId}</strong> · krok ${def.ref} procedury · termin: ${args.deadline}</p>
<p class="notice">Potwierdzasz jako: <strong>${args.recipient}</strong> (${ROLE_LABEL[def.role]}).</p>
${def.instructions(ctx).map((p) => html`<p>${p}</p>`)}
<form method="post" action="?${args.query}" novalidate>
<input type="hidden" name="csrf" value="${args.formToken}">
${fields.map((field) => stepField(field, args.values ?? {}, errors))}
<button type="submit">${def.submitLabel}</button>
</form>
<h2>Podsumowanie sprawy</h2>${summaryList(record)}
<h2 id="przekaz">Nie jesteś właściwą osobą?</h2>
<p>Możesz przekazać ten krok współpracownikowi. Otrzyma własny link, a Twój link przestanie działać. MRPiPS zostanie o tym poinformowane.</p>
<form method="post" action="?${args.query}" novalidate>
<input type="hidden" name="csrf" value="${args.formToken}">
<input type="hidden" name="action" value="reassign">
${inputField({ name: 'delegateEmail', label: 'Adres e-mail osoby, której przekazujesz krok', type: 'email', maxLength: 254, autocomplete: 'email' }, args.values ?? {}, errors)}
<button type="submit" class="secondary">Przekaż krok</button>
</form>`;
  return page(Object.keys(errors).length ? 400 : 200, def.title, body);
}

export function confirmedPage(record: CaseRecord, def: StepDefinition, at: string): PageResponse {
  return page(
    200,
    'Dziękujemy',
    html`<h1>Dziękujemy — potwierdzenie zapisane</h1><p class="notice ok">Krok „${def.title}” w sprawie <strong>${record.caseId}</strong> został potwierdzony ${formatDateTime(at)}. MRPiPS otrzymało informację. O kolejnych krokach poinformujemy e-mailem.</p><h2>Podsumowanie sprawy</h2>${summaryList(record)}`,
  );
}

/** A second click after completion: who confirmed what and when (informational; status 409, nothing changes). */
export function alreadyRecordedPage(record: CaseRecord, def: StepDefinition, by: string, at: string, confirmed: [string, string][]): PageResponse {
  return page(
    409,
    'Już potwierdzono',
    html`<h1>Ten krok został już potwierdzony</h1><p class="notice ok">Krok „${def.title}” w sprawie <strong>${record.caseId}</strong> potwierdził(a) <strong>${by}</strong> w dniu ${formatDateTime(at)}. Nie trzeba nic więcej robić.</p>${
      confirmed.length ? html`<h2>Potwierdzone dane</h2><dl>${confirmed.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>` : ''
    }`,
  );
}

export function reassignedPage(record: CaseRecord, def: StepDefinition, to: string): PageResponse {
  return page(
    200,
    'Krok przekazany',
    html`<h1>Krok przekazany</h1><p class="notice ok">Krok „${def.title}” w sprawie <strong>${record.caseId}</strong> przekazano osobie: <strong>${to}</strong>. Otrzyma ona własny link e-mailem; Twój link przestał działać. MRPiPS zostało poinformowane.</p>`,
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
}

/** The read-only case page every e-mail links to: where the case is, who is awaited, and its history. */
export function caseStatusPage(record: CaseRecord, steps: StatusStep[]): PageResponse {
  const waiting = steps.filter((s) => s.status === 'PENDING');
  return page(
    200,
    `Sprawa ${record.caseId}`,
    html`<h1>Sprawa ${record.caseId}</h1>
<p class="notice">Stan sprawy: <strong>${CASE_STATUS_LABEL[record.status]}</strong>${record.variant ? html` · tryb: ${VARIANT_LABEL[record.variant]}` : ''}. Strona tylko do odczytu.</p>
<h2>Na co czekamy</h2>
${
  waiting.length
    ? html`<ul>${waiting.map((s) => html`<li><strong>${s.title}</strong> (krok ${s.ref}) — czeka na: ${s.role}, ${s.recipient}; termin ${s.deadline}</li>`)}</ul>`
    : html`<p>${record.status === 'IN_PROGRESS' ? 'Trwa przetwarzanie — za chwilę zostanie wysłana kolejna prośba.' : 'Sprawa nie czeka na nikogo.'}</p>`
}
<h2>Przebieg sprawy</h2>
<table><thead><tr><th scope="col">Kiedy</th><th scope="col">Kto</th><th scope="col">Co</th></tr></thead><tbody>${[...record.timeline]
      .reverse()
      .map((e) => html`<tr><td>${formatDateTime(e.at)}</td><td>${e.actor.role === 'SYSTEM' ? 'system' : `${ROLE_LABEL[e.actor.role]}${e.actor.email ? `, ${e.actor.email}` : ''}`}</td><td>${e.summary}</td></tr>`)}</tbody></table>
<h2>Podsumowanie sprawy</h2>${summaryList(record)}`,
  );
}

export type LinkProblem = 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED' | 'SUPERSEDED' | 'NOT_PENDING' | 'NOT_FOUND' | 'TOO_LATE' | 'FORM_TOKEN';

const LINK_PROBLEMS: Record<LinkProblem, { status: number; title: string; text: string }> = {
  MALFORMED: { status: 400, title: 'Niepełny link', text: 'Link jest niepełny lub uszkodzony. Otwórz go ponownie z wiadomości e-mail, w całości (niektóre programy pocztowe dzielą długie adresy).' },
  BAD_SIGNATURE: { status: 403, title: 'Nieprawidłowy link', text: 'Tego linku nie można zweryfikować: mógł zostać zmieniony. Otwórz link bezpośrednio z wiadomości e-mail.' },
  EXPIRED: { status: 410, title: 'Link wygasł', text: 'Termin ważności linku minął. Otrzymasz przypomnienie z nowym linkiem; możesz też skontaktować się z MRPiPS.' },
  SUPERSEDED: { status: 410, title: 'Link nieaktualny', text: 'Ten link został zastąpiony nowszym (np. w przypomnieniu). Użyj linku z najnowszej wiadomości w tej sprawie.' },
  NOT_PENDING: { status: 409, title: 'Krok nie oczekuje na potwierdzenie', text: 'Ten krok nie oczekuje już na potwierdzenie (sprawa jest zakończona, anulowana albo krok został zamknięty). Nic nie zostało zmienione.' },
  NOT_FOUND: { status: 404, title: 'Nie znaleziono sprawy', text: 'Nie znaleziono sprawy lub kroku wskazanego w linku.' },
  FORM_TOKEN: { status: 403, title: 'Formularz nieważny', text: 'Formularz nie pochodzi ze strony otwartej z linku albo jest niepełny. Otwórz link z wiadomości e-mail ponownie i wyślij formularz z tej strony. Nic nie zostało zmienione.' },
  TOO_LATE: { status: 410, title: 'Link nieaktualny', text: 'Czas na potwierdzenie tego linku upłynął i wysyłamy nowy link. Użyj linku z najnowszej wiadomości. Nic nie zostało zmienione.' },
};

export function linkProblemPage(problem: LinkProblem): PageResponse {
  const spec = LINK_PROBLEMS[problem];
  return page(spec.status, spec.title, html`<h1>${spec.title}</h1><p class="notice warn">${spec.text}</p>`);
}

export function messagePage(statusCode: number, title: string, text: string): PageResponse {
  return page(statusCode, title, html`<h1>${title}</h1><p class="notice${statusCode >= 400 ? ' warn' : ''}">${text}</p>`);
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

export function notificationFormPage(args: { values?: Values; errors?: Errors; rows?: number; statusCode?: number }): PageResponse {
  const values = args.values ?? {};
  const errors = args.errors ?? {};
  const rows = args.rows ?? areaRowCount(values);
  const labels: Record<string, string> = { ...NOTIFICATION_LABELS };
  for (let i = 0; i < MAX_AREAS; i++) {
    labels[`areas.${i}.area`] = `Obszar ${i + 1}`;
    labels[`areas.${i}.oldCollectionCode`] = `Kod zbioru CBB ${i + 1}`;
  }
  const input = (name: string, type = 'text', extra: { hint?: string; maxLength?: number; required?: boolean; autocomplete?: string } = {}) =>
    inputField({ name, label: labels[name]!, type, ...extra }, values, errors);
  const areaRows = Array.from({ length: rows }, (_, i) =>
    html`<fieldset><legend>Obszar ${i + 1}${i === 0 ? '' : ' (opcjonalnie)'}</legend>${inputField(
      { name: `areas.${i}.area`, label: 'Obszar wsparcia', type: 'text', hint: i === 0 ? 'Np. świadczenia rodzinne, fundusz alimentacyjny, pomoc społeczna.' : undefined, maxLength: 120, required: i === 0 },
      values,
      errors,
    )}${inputField({ name: `areas.${i}.oldCollectionCode`, label: 'Kod dotychczasowego zbioru CBB', type: 'text', maxLength: 40, required: i === 0 }, values, errors)}</fieldset>`,
  );
  const body = html`${errorSummary(errors, labels)}<h1>Zgłoszenie zmiany dostawcy systemu dziedzinowego (SD)</h1>
<p>Formularz dla jednostek samorządu terytorialnego (gmin, powiatów) zasilających Centralną Bazę Beneficjentów. Zgłoszenie trafi do MRPiPS (Departament Informatyki). Wszystkie pola są wymagane, chyba że oznaczono je jako opcjonalne.</p>
<form method="post" action="/zgloszenie" novalidate>
<input type="hidden" name="submissionId" value="${values.submissionId ?? ''}">
<fieldset><legend>Jednostka</legend>
${input('officeName', 'text', { maxLength: 200, autocomplete: 'organization' })}
${input('teryt', 'text', { hint: '7 cyfr; dwie pierwsze to kod województwa, np. 1465011.', maxLength: 7 })}
${input('mztUnitCode', 'text', { maxLength: 50 })}
${input('plannedChangeDate', 'date', { hint: 'Format RRRR-MM-DD; nie wcześniej niż dziś.' })}
</fieldset>
<h2>Obszary i zbiory CBB objęte zmianą</h2>
${errors.areas ? html`<p class="error" id="f-areas">Błąd: ${errors.areas}</p>` : ''}
${areaRows}
${rows < MAX_AREAS ? html`<button type="submit" name="action" value="addArea" formnovalidate>Dodaj kolejny obszar</button><input type="hidden" name="rows" value="${rows}">` : ''}
<fieldset><legend>Osoba kontaktowa w JST</legend>
${input('contact.name', 'text', { maxLength: 120, autocomplete: 'name' })}
${input('contact.email', 'email', { maxLength: 254, autocomplete: 'email' })}
${input('contact.phone', 'tel', { maxLength: 24, autocomplete: 'tel' })}
</fieldset>
<fieldset><legend>Dotychczasowy SD</legend>${input('oldSd.product', 'text', { maxLength: 120 })}${input('oldSd.supplier', 'text', { maxLength: 160 })}</fieldset>
<fieldset><legend>Nowy SD</legend>${input('newSd.product', 'text', { maxLength: 120 })}${input('newSd.supplier', 'text', { maxLength: 160 })}${input('newSd.contactEmail', 'email', {
    maxLength: 254,
    required: false,
    hint: 'Jeśli podasz adres, dostawca otrzyma kopie wiadomości o kroku b (deaktywacja i zasilenie).',
  })}</fieldset>
<label for="${fieldId('remarks')}">Uwagi (opcjonalnie)</label><textarea id="${fieldId('remarks')}" name="remarks" maxlength="2000">${values.remarks ?? ''}</textarea>
<button type="submit">Wyślij zgłoszenie</button>
</form>`;
  return page(args.statusCode ?? (Object.keys(errors).length ? 400 : 200), 'Zgłoszenie zmiany dostawcy SD', body);
}

export function notificationAcceptedPage(caseId: string, email: string): PageResponse {
  return page(
    201,
    'Zgłoszenie przyjęte',
    html`<h1>Zgłoszenie przyjęte</h1><p class="notice ok">Numer sprawy: <strong>${caseId}</strong>.</p><p>Na adres <strong>${email}</strong> wysłaliśmy wiadomość z linkiem. <strong>Potwierdź w niej adres e-mail</strong> — dopiero wtedy zgłoszenie trafi do MRPiPS. Prosimy podawać numer sprawy w korespondencji z MRPiPS.</p>`,
  );
}
