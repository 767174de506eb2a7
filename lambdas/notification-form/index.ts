import { caseStore, type CaseStore } from '../adapters/case-store.js';
import { formOf, langOfRequest, methodNotAllowed, pageHandler, type PageRequest } from '../adapters/http.js';
import { workflow, type Workflow } from '../adapters/workflow.js';
import { loadFormKeys } from '../adapters/form-keys.js';
import { formatCaseId } from '../core/case.js';
import { formConfigSchema, parseConfig, type FormConfig } from '../core/config.js';
import { todayInPoland } from '../core/fields.js';
import { stepTimings } from '../core/timing.js';
import { SUBMISSION_ID_PATTERN, formTokenProblem, issueFormToken, newSubmissionId, type FormTokenProblem } from '../core/form.js';
import type { Lang } from '../core/i18n.js';
import type { SigningKeys } from '../core/links.js';
import { log } from '../core/log.js';
import { MAX_AREAS, contactKey, notificationDigest, parseNotificationForm, type Notification } from '../core/notification.js';
import { areaRowCount, messagePage, notificationAcceptedPage, notificationFormPage, type PageResponse } from '../core/pages.js';

export const FORM_PATH = '/zgloszenie';
const SUBMISSION_TTL_SECONDS = 30 * 86_400;
const HOUR = 3600;

const NOT_FROM_OUR_FORM = 'Nie można potwierdzić, że formularz wypełniono na tej stronie. Nic nie zostało zapisane. Prosimy sprawdzić dane i wysłać formularz ponownie.';
const FORM_TOKEN_MESSAGE: Record<FormTokenProblem, string> = {
  MISSING: NOT_FROM_OUR_FORM,
  INVALID: NOT_FROM_OUR_FORM,
  EXPIRED: 'Formularz był otwarty dłużej niż 24 godziny. Nic nie zostało zapisane. Prosimy sprawdzić dane i wysłać formularz ponownie.',
};

/**
 * The public notification form (step 1): GET shows it, POST validates it field by field, refuses collections
 * a confirmed case holds, takes the next case number and starts the procedure named by that case id. A
 * submission creates its case once: a double submit or a retry of the POST shows the same case. The form holds
 * no collection: they are taken when the contact confirms the address (apply-response, CONFIRM_CONTACT).
 */
export async function handleNotificationForm(
  request: PageRequest,
  deps: { store: CaseStore; workflow: Workflow; config: FormConfig; formKeys: SigningKeys; now?: Date },
): Promise<PageResponse> {
  // `?lang=en` shows the form in English; its action keeps the parameter, so the answer to the POST is English too.
  const lang = langOfRequest(request);
  const now = deps.now ?? new Date();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  // Every rendering carries a fresh token for its submission id and the client's address.
  const formPage = (args: Omit<Parameters<typeof notificationFormPage>[0], 'lang'> & { values: Record<string, string> & { submissionId: string } }) =>
    notificationFormPage({ ...args, values: { ...args.values, formToken: issueFormToken(deps.formKeys, args.values.submissionId, request.ip, nowSeconds) }, lang });

  if (request.path === '/' && (request.method === 'GET' || request.method === 'HEAD')) {
    return { statusCode: 302, headers: { location: lang === 'en' ? `${FORM_PATH}?lang=en` : FORM_PATH, 'cache-control': 'no-store' }, body: '' };
  }
  if (request.method === 'GET' || request.method === 'HEAD') return formPage({ values: { submissionId: newSubmissionId() } });
  if (request.method !== 'POST') return methodNotAllowed(['GET', 'HEAD', 'POST'], lang, request.rawQuery);

  if (postedFromAnotherSite(request, deps.config.PUBLIC_BASE_URL)) {
    log.warn('cross-site notification refused', { fetchSite: request.fetchSite ?? null });
    return messagePage(
      403,
      'Formularz wysłany z innej strony',
      'Zgłoszenie można wysłać tylko z formularza na stronie MRPiPS. Nic nie zostało zapisane. Prosimy otworzyć formularz zgłoszenia bezpośrednio i wysłać go ponownie.',
      lang,
      request.rawQuery,
    );
  }

  const form = formOf(request);
  let submissionId = SUBMISSION_ID_PATTERN.test(form.submissionId ?? '') ? form.submissionId! : newSubmissionId();
  const values = { ...form, submissionId };
  // "Add another area" only shows the form again (with a fresh token) and touches nothing: no token needed.
  if (form.action === 'addArea') {
    const rows = Number.parseInt(form.rows ?? '', 10);
    return formPage({ values, rows: areaRowCount(form, Math.min(MAX_AREAS, (Number.isFinite(rows) ? rows : 3) + 1)) });
  }
  const tokenProblem = formTokenProblem(deps.formKeys, form.formToken, form.submissionId ?? '', request.ip, nowSeconds);
  if (tokenProblem) return formPage({ values, errors: { formToken: FORM_TOKEN_MESSAGE[tokenProblem] } });
  const parsed = parseNotificationForm(form, todayInPoland(now));
  if (!parsed.ok) return formPage({ values, errors: parsed.errors });
  const notification = parsed.notification;

  // The same submission id with other content is a corrected form sent again: a new notification.
  const digest = notificationDigest(notification);
  const found = await deps.store.getSubmission(submissionId);
  const earlier = found && found.digest === digest ? found : undefined;
  if (found && !earlier) submissionId = newSubmissionId();
  if (earlier?.started) return notificationAcceptedPage(earlier.caseId, notification.contact.email, lang);

  // Before the collections are looked at, so asking which codes are taken is limited like notifications are.
  if (!earlier) {
    const refused = await takeNotificationUse(deps.store, deps.config, request.ip, notification.contact.email, nowSeconds);
    if (refused) return refused === 'source' ? tooMany(lang, request.rawQuery, nowSeconds, 'Z tego adresu sieciowego') : tooMany(lang, request.rawQuery, nowSeconds, 'Na ten adres e-mail osoby kontaktowej');
  }

  const taken = await collectionsUnavailable(deps.store, notification);
  if (Object.keys(taken).length) return formPage({ values: { ...values, submissionId }, errors: remapToRows(form, taken), statusCode: 409 });

  const year = Number(todayInPoland(now).slice(0, 4));
  const caseId = earlier?.caseId ?? (await deps.store.claimSubmission(submissionId, formatCaseId(year, await deps.store.nextCaseSequence(year)), digest, nowSeconds + SUBMISSION_TTL_SECONDS));
  const started = await deps.workflow.startProcedure(deps.config.PROCEDURE_STATE_MACHINE_ARN, caseId, {
    caseId,
    notification,
    timing: stepTimings(
      {
        responseTimeoutSeconds: deps.config.RESPONSE_TIMEOUT_SECONDS,
        escalateAfterReminders: deps.config.ESCALATE_AFTER_REMINDERS,
        stalledAfterReminders: deps.config.STALLED_AFTER_REMINDERS,
        stalledWaitSeconds: deps.config.STALLED_WAIT_SECONDS,
      },
      deps.config.REMINDER_SCHEDULE,
    ),
    incidentWaitSeconds: deps.config.INCIDENT_WAIT_SECONDS,
  });
  log.info(started === 'started' ? 'procedure started' : 'procedure already started', { caseId });
  await deps.store.markSubmissionStarted(submissionId);
  return notificationAcceptedPage(caseId, notification.contact.email, lang);
}

/**
 * A browser says where a form post comes from: `Origin` (any POST) and `Sec-Fetch-Site`. The site's origin is the
 * one of PUBLIC_BASE_URL, the address people are given, not the request's Host: behind CloudFront the Host is the
 * API's own domain, and nothing a client sends decides what counts as our site. `same-site` is a sibling host,
 * never this origin. `Origin: null` names no site: our own pages send it (their Referrer-Policy is no-referrer),
 * so it is left to Sec-Fetch-Site and the form token. Clients sending neither header (no browser) are not
 * cross-site requests of a visitor; the form token still binds their post to a rendering they fetched.
 */
function postedFromAnotherSite(request: PageRequest, publicBaseUrl: string): boolean {
  if (request.fetchSite === 'cross-site' || request.fetchSite === 'same-site') return true;
  return request.origin !== undefined && request.origin !== 'null' && request.origin !== new URL(publicBaseUrl).origin;
}

const SOURCE_LIMIT_KEY = (ip: string) => `notification#${ip}`;

/**
 * Takes one notification from the client address's and the contact address's hourly limits, or neither: a refused
 * attempt takes nothing. The contact's counter is keyed by a hash of the address, not the address.
 */
async function takeNotificationUse(store: CaseStore, config: FormConfig, ip: string, contactEmail: string, nowSeconds: number): Promise<'source' | 'contact' | undefined> {
  if (!(await store.takeUse(SOURCE_LIMIT_KEY(ip), HOUR, nowSeconds, config.NOTIFICATIONS_PER_HOUR_PER_IP))) {
    log.warn('notification rate limit hit', { limit: config.NOTIFICATIONS_PER_HOUR_PER_IP, per: 'client address' });
    return 'source';
  }
  if (!(await store.takeUse(`notification-contact#${contactKey(contactEmail)}`, HOUR, nowSeconds, config.NOTIFICATIONS_PER_HOUR_PER_CONTACT))) {
    await store.giveBackUse(SOURCE_LIMIT_KEY(ip), HOUR, nowSeconds);
    log.warn('notification rate limit hit', { limit: config.NOTIFICATIONS_PER_HOUR_PER_CONTACT, per: 'contact address' });
    return 'contact';
  }
  return undefined;
}

function tooMany(lang: Lang, rawQuery: string, nowSeconds: number, from: string): PageResponse {
  const page = messagePage(
    429,
    'Zbyt wiele zgłoszeń',
    `${from} wysłano w ciągu ostatniej godziny zbyt wiele zgłoszeń. Nic nie zostało zapisane. Prosimy spróbować ponownie za godzinę albo skontaktować się z MRPiPS (sekretariat Departamentu Informatyki).`,
    lang,
    rawQuery,
  );
  return { ...page, headers: { ...page.headers, 'retry-after': String(HOUR - (nowSeconds % HOUR)) } };
}

/** Codes a confirmed case holds, or that are closed or archived; the message never names the case holding one. */
async function collectionsUnavailable(store: CaseStore, notification: Notification): Promise<Record<string, string>> {
  const taken: Record<string, string> = {};
  await Promise.all(
    notification.areas.map(async (area, index) => {
      const existing = await store.getCollection(area.oldCollectionCode);
      if (existing?.lockedByCase) taken[`areas.${index}.oldCollectionCode`] = `Zbiór ${area.oldCollectionCode} jest już objęty inną sprawą zmiany dostawcy SD.`;
      else if (existing && existing.state !== 'ACTIVE') taken[`areas.${index}.oldCollectionCode`] = `Zbiór ${area.oldCollectionCode} jest już ${existing.state === 'ARCHIVED' ? 'zarchiwizowany' : 'zamknięty'}.`;
    }),
  );
  return taken;
}

/** Errors found on the validated (compacted) areas point back at the row the person filled in. */
function remapToRows(form: Record<string, string>, errors: Record<string, string>): Record<string, string> {
  const rows: number[] = [];
  for (let i = 0; i < MAX_AREAS; i++) if ((form[`areas.${i}.area`] ?? '').trim() || (form[`areas.${i}.oldCollectionCode`] ?? '').trim()) rows.push(i);
  return Object.fromEntries(Object.entries(errors).map(([key, message]) => [key.replace(/^areas\.(\d+)\./, (_, i: string) => `areas.${rows[Number(i)]}.`), message]));
}

let config: FormConfig | undefined;
export const handler = pageHandler('notification-form', async (request) =>
  handleNotificationForm(request, { store: caseStore(), workflow: workflow(), config: (config ??= parseConfig(formConfigSchema, process.env)), formKeys: await loadFormKeys() }),
);
