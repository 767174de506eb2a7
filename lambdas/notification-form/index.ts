import { caseStore, type CaseStore } from '../adapters/case-store.js';
import { formOf, langOfRequest, methodNotAllowed, pageHandler, type PageRequest } from '../adapters/http.js';
import { workflow, type Workflow } from '../adapters/workflow.js';
import { formatCaseId } from '../core/case.js';
import { formConfigSchema, parseConfig, type FormConfig } from '../core/config.js';
import { ConflictError } from '../core/errors.js';
import { todayInPoland } from '../core/fields.js';
import { stepTimings } from '../core/timing.js';
import { SUBMISSION_ID_PATTERN, newSubmissionId } from '../core/form.js';
import { log } from '../core/log.js';
import { MAX_AREAS, notificationDigest, parseNotificationForm, type Notification } from '../core/notification.js';
import { areaRowCount, messagePage, notificationAcceptedPage, notificationFormPage, type PageResponse } from '../core/pages.js';

export const FORM_PATH = '/zgloszenie';
const SUBMISSION_TTL_SECONDS = 30 * 86_400;
const HOUR = 3600;

/**
 * The public notification form (step 1): GET shows it, POST validates it field by field, refuses collections
 * another case holds, takes the next case number and starts the procedure named by that case id. A
 * submission creates its case once: a double submit or a retry of the POST shows the same case.
 */
export async function handleNotificationForm(request: PageRequest, deps: { store: CaseStore; workflow: Workflow; config: FormConfig; now?: Date }): Promise<PageResponse> {
  // `?lang=en` shows the form in English; its action keeps the parameter, so the answer to the POST is English too.
  const lang = langOfRequest(request);
  if (request.path === '/' && (request.method === 'GET' || request.method === 'HEAD')) {
    return { statusCode: 302, headers: { location: lang === 'en' ? `${FORM_PATH}?lang=en` : FORM_PATH, 'cache-control': 'no-store' }, body: '' };
  }
  if (request.method === 'GET' || request.method === 'HEAD') return notificationFormPage({ values: { submissionId: newSubmissionId() }, lang });
  if (request.method !== 'POST') return methodNotAllowed(['GET', 'HEAD', 'POST'], lang, request.rawQuery);

  const form = formOf(request);
  let submissionId = SUBMISSION_ID_PATTERN.test(form.submissionId ?? '') ? form.submissionId! : newSubmissionId();
  const values = { ...form, submissionId };
  if (form.action === 'addArea') {
    const rows = Number.parseInt(form.rows ?? '', 10);
    return notificationFormPage({ values, rows: areaRowCount(form, Math.min(MAX_AREAS, (Number.isFinite(rows) ? rows : 3) + 1)), lang });
  }
  const now = deps.now ?? new Date();
  const parsed = parseNotificationForm(form, todayInPoland(now));
  if (!parsed.ok) return notificationFormPage({ values, errors: parsed.errors, lang });
  const notification = parsed.notification;

  // The same submission id with other content is a corrected form sent again: a new notification.
  const digest = notificationDigest(notification);
  const found = await deps.store.getSubmission(submissionId);
  const earlier = found && found.digest === digest ? found : undefined;
  if (found && !earlier) submissionId = newSubmissionId();
  if (earlier?.started) return notificationAcceptedPage(earlier.caseId, notification.contact.email, lang);

  const taken = await collectionsHeldElsewhere(deps.store, notification, earlier?.caseId);
  if (Object.keys(taken).length) return notificationFormPage({ values, errors: remapToRows(form, taken), statusCode: 409, lang });

  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (!earlier && (await deps.store.countUse(`notification#${request.ip}`, HOUR, nowSeconds)) > deps.config.NOTIFICATIONS_PER_HOUR_PER_IP) {
    log.warn('notification rate limit hit', { limit: deps.config.NOTIFICATIONS_PER_HOUR_PER_IP });
    const page = messagePage(
      429,
      'Zbyt wiele zgłoszeń',
      'Z tego adresu wysłano w ciągu ostatniej godziny zbyt wiele zgłoszeń. Nic nie zostało zapisane. Spróbuj ponownie za godzinę albo skontaktuj się z MRPiPS (sekretariat Departamentu Informatyki).',
      lang,
      request.rawQuery,
    );
    return { ...page, headers: { ...page.headers, 'retry-after': String(HOUR - (nowSeconds % HOUR)) } };
  }

  const year = Number(todayInPoland(now).slice(0, 4));
  const caseId = earlier?.caseId ?? (await deps.store.claimSubmission(submissionId, formatCaseId(year, await deps.store.nextCaseSequence(year)), digest, nowSeconds + SUBMISSION_TTL_SECONDS));
  // The collections are taken for this case before it starts, so two notifications racing for the same
  // collection cannot both be accepted; the loser is told here, on the form.
  const locked: string[] = [];
  try {
    for (const [index, area] of notification.areas.entries()) {
      try {
        await deps.store.lockCollection({ code: area.oldCollectionCode, caseId, area: area.area, teryt: notification.teryt, kind: 'OLD', updatedAt: now.toISOString() });
        locked.push(area.oldCollectionCode);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        await releaseAll(deps.store, locked, caseId, now);
        const again = await collectionsHeldElsewhere(deps.store, notification, caseId);
        return notificationFormPage({
          values,
          errors: remapToRows(form, Object.keys(again).length ? again : { [`areas.${index}.oldCollectionCode`]: `Zbiór ${area.oldCollectionCode} jest właśnie zgłaszany w innej sprawie.` }),
          statusCode: 409,
          lang,
        });
      }
    }
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
  } catch (error) {
    await releaseAll(deps.store, locked, caseId, now).catch(() => undefined);
    throw error;
  }
  // After the start, never release: the running case holds the collections.
  await deps.store.markSubmissionStarted(submissionId);
  return notificationAcceptedPage(caseId, notification.contact.email, lang);
}

async function collectionsHeldElsewhere(store: CaseStore, notification: Notification, ownCaseId?: string): Promise<Record<string, string>> {
  const taken: Record<string, string> = {};
  await Promise.all(
    notification.areas.map(async (area, index) => {
      const existing = await store.getCollection(area.oldCollectionCode);
      if (existing?.lockedByCase && existing.lockedByCase !== ownCaseId) taken[`areas.${index}.oldCollectionCode`] = `Zbiór ${area.oldCollectionCode} jest już objęty sprawą ${existing.lockedByCase}.`;
      else if (existing && existing.state !== 'ACTIVE') taken[`areas.${index}.oldCollectionCode`] = `Zbiór ${area.oldCollectionCode} jest już ${existing.state === 'ARCHIVED' ? 'zarchiwizowany' : 'zamknięty'}.`;
    }),
  );
  return taken;
}

async function releaseAll(store: CaseStore, codes: string[], caseId: string, now: Date): Promise<void> {
  for (const code of codes) await store.releaseCollection(code, caseId, now.toISOString());
}

/** Errors found on the validated (compacted) areas point back at the row the person filled in. */
function remapToRows(form: Record<string, string>, errors: Record<string, string>): Record<string, string> {
  const rows: number[] = [];
  for (let i = 0; i < MAX_AREAS; i++) if ((form[`areas.${i}.area`] ?? '').trim() || (form[`areas.${i}.oldCollectionCode`] ?? '').trim()) rows.push(i);
  return Object.fromEntries(Object.entries(errors).map(([key, message]) => [key.replace(/^areas\.(\d+)\./, (_, i: string) => `areas.${rows[Number(i)]}.`), message]));
}

let config: FormConfig | undefined;
export const handler = pageHandler('notification-form', (request) =>
  handleNotificationForm(request, { store: caseStore(), workflow: workflow(), config: (config ??= parseConfig(formConfigSchema, process.env)) }),
);
