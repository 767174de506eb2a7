import { caseStore, type CaseStore } from '../adapters/case-store.js';
import { langOfRequest, methodNotAllowed, pageHandler, type PageRequest } from '../adapters/http.js';
import { loadSigningKeys } from '../adapters/signing-keys.js';
import { ROLE_LABEL } from '../core/case.js';
import { formatDateTime } from '../core/format.js';
import { verifyStatusLink, type SigningKeys } from '../core/links.js';
import { caseStatusPage, linkProblemPage, type PageResponse } from '../core/pages.js';
import { recipientUnreachable } from '../core/step-record.js';
import { STEPS } from '../core/steps.js';

/** The read-only status page linked from every e-mail: timeline, current step, who is awaited, deadline. */
export async function handleCaseStatus(request: PageRequest, deps: { store: CaseStore; keys: SigningKeys; now?: Date }): Promise<PageResponse> {
  // `lang=en` shows the page in English; the switch on the page is a plain link to the same URL.
  const lang = langOfRequest(request);
  if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed(['GET', 'HEAD'], lang, request.rawQuery);
  const check = verifyStatusLink(request.query, deps.keys, Math.floor((deps.now ?? new Date()).getTime() / 1000));
  if (!check.ok) return linkProblemPage(check.reason, lang, request.rawQuery);
  const [record, steps, timeline] = await Promise.all([deps.store.getCase(check.caseId), deps.store.listSteps(check.caseId), deps.store.getTimeline(check.caseId)]);
  if (!record) return linkProblemPage('NOT_FOUND', lang, request.rawQuery);
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

export const handler = pageHandler('case-status', async (request) => handleCaseStatus(request, { store: caseStore(), keys: await loadSigningKeys() }));
