import { caseStore, type CaseStore } from '../adapters/case-store.js';
import { langOfRequest, methodNotAllowed, pageHandler, type PageRequest } from '../adapters/http.js';
import { once } from '../adapters/runtime.js';
import { loadStatusKeys } from '../adapters/signing-keys.js';
import { ROLE_LABEL } from '../core/case.js';
import { parseConfig, statusPageConfigSchema } from '../core/config.js';
import { formatDateTime } from '../core/format.js';
import { statusLinkStanding, verifyStatusLink, type SigningKeys } from '../core/links.js';
import { caseStatusPage, linkProblemPage, type PageResponse } from '../core/pages.js';
import { recipientUnreachable } from '../core/step-record.js';
import { STEPS } from '../core/steps.js';

/** The read-only status page linked from every e-mail: timeline, current step, who is awaited, deadline. */
export async function handleCaseStatus(request: PageRequest, deps: { store: CaseStore; keys: SigningKeys; daysAfterEnd: number; now?: Date }): Promise<PageResponse> {
  // `lang=en` shows the page in English; the switch on the page is a plain link to the same URL.
  const lang = langOfRequest(request);
  if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed(['GET', 'HEAD'], lang, request.rawQuery);
  const check = verifyStatusLink(request.query, deps.keys);
  if (!check.ok) return linkProblemPage(check.reason, lang, request.rawQuery);
  const record = await deps.store.getCase(check.caseId);
  if (!record) return linkProblemPage('NOT_FOUND', lang, request.rawQuery);
  const standing = statusLinkStanding(record, check.generation, deps.now ?? new Date(), deps.daysAfterEnd);
  if (standing !== 'VALID') return linkProblemPage(standing === 'REVOKED' ? 'STATUS_REVOKED' : 'STATUS_EXPIRED', lang, request.rawQuery);
  const [steps, timeline] = await Promise.all([deps.store.listSteps(check.caseId), deps.store.getTimeline(check.caseId)]);
  return caseStatusPage(
    record,
    steps
      .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt))
      .map((step) => ({
        title: STEPS[step.step].title,
        ref: STEPS[step.step].ref,
        role: ROLE_LABEL[step.role],
        recipient: step.recipient,
        status: step.status,
        deadline: formatDateTime(step.deadline, lang),
        ...(step.completedAt ? { completedAt: formatDateTime(step.completedAt, lang) } : {}),
        ...(recipientUnreachable(step) ? { undeliverable: true } : {}),
      })),
    timeline,
    lang,
    request.rawQuery,
  );
}

const statusPageConfig = once(() => parseConfig(statusPageConfigSchema, process.env));

// Only the status keys: this function cannot read the keys of the confirmation links (lib/procedure-functions.ts).
export const handler = pageHandler('case-status', async (request) =>
  handleCaseStatus(request, { store: caseStore(), keys: await loadStatusKeys(), daysAfterEnd: statusPageConfig().STATUS_LINK_DAYS_AFTER_END }),
);
