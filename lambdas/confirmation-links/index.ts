import type { CaseStore } from '../adapters/case-store.js';
import { formOf, methodNotAllowed, pageHandler, type PageRequest } from '../adapters/http.js';
import { caseStore, workflow } from '../adapters/runtime.js';
import { loadSigningKeys } from '../adapters/signing-keys.js';
import type { Workflow } from '../adapters/workflow.js';
import { confirmedSummary } from '../core/apply.js';
import { ConflictError } from '../core/errors.js';
import { fieldErrors, todayInPoland } from '../core/fields.js';
import { formatDateTime } from '../core/format.js';
import { hashLinkId, verifyLink, type SigningKeys } from '../core/links.js';
import { log } from '../core/log.js';
import { alreadyRecordedPage, confirmedPage, linkProblemPage, stepPage, type PageResponse } from '../core/pages.js';
import type { StepRecord } from '../core/step-record.js';
import { STEPS, type StepContext } from '../core/steps.js';
import type { CaseRecord } from '../core/case.js';

/**
 * The page behind every signed link. GET and HEAD only show the step (mail scanners open links; they must
 * change nothing). POST, from the page's button, validates the step's form, completes the step exactly once
 * (conditional write first), then hands the response to the waiting task. Every refusal is a Polish page
 * with a 4xx status and no change.
 */
export async function handleConfirmationLink(request: PageRequest, deps: { store: CaseStore; workflow: Workflow; keys: SigningKeys; now?: Date }): Promise<PageResponse> {
  if (!['GET', 'HEAD', 'POST'].includes(request.method)) return methodNotAllowed(['GET', 'HEAD', 'POST']);
  const now = deps.now ?? new Date();
  const check = verifyLink(request.query, deps.keys, Math.floor(now.getTime() / 1000));
  if (!check.ok) return linkProblemPage(check.reason);
  const { claims } = check;
  const [record, step] = await Promise.all([deps.store.getCase(claims.caseId), deps.store.getStep(claims.caseId, claims.step)]);
  if (!record || !step || step.role !== claims.role) return linkProblemPage('NOT_FOUND');
  const linkIdHash = hashLinkId(claims.linkId);
  const refusal = refuse(record, step, linkIdHash);
  if (refusal) return refusal;

  const def = STEPS[step.step];
  const ctx: StepContext = { record, round: step.round, comment: step.comment, today: todayInPoland(now) };
  const show = (values?: Record<string, string>, errors?: Record<string, string>) =>
    stepPage({ record, def, round: step.round, comment: step.comment, recipient: step.recipient, deadline: formatDateTime(step.deadline), query: request.rawQuery, values, errors });
  if (request.method !== 'POST') return show();

  const form = formOf(request);
  const parsed = def.schema(ctx).safeParse(def.fromForm(form, ctx));
  if (!parsed.success) return show(form, fieldErrors(parsed.error));
  const response = parsed.data;
  if (step.step === 'NEW_COLLECTIONS') {
    const taken = await takenCollectionCodes(deps.store, response as { newCollections: { newCollectionCode: string }[] }, record.caseId);
    if (Object.keys(taken).length) return { ...show(form, taken), statusCode: 409 };
  }

  const participant = { email: step.recipient, role: step.role, ip: request.ip, userAgent: request.userAgent, linkId: claims.linkId };
  const at = now.toISOString();
  let completed: StepRecord;
  try {
    completed = await deps.store.completeStep(record.caseId, step.stepKey, linkIdHash, response, participant, at);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // Another submission won the race (or a reminder replaced the link): show what the store says now.
    const current = await deps.store.getStep(record.caseId, step.stepKey);
    return (current && refuse(record, current, linkIdHash)) || linkProblemPage('NOT_PENDING');
  }

  let handed: 'completed' | 'gone';
  try {
    handed = await deps.workflow.completeTask(completed.taskToken ?? '', { response, participant: { email: participant.email, role: participant.role }, confirmedAt: at });
  } catch (error) {
    await deps.store.reopenStep(record.caseId, step.stepKey, linkIdHash);
    throw error;
  }
  if (handed === 'gone') {
    await deps.store.reopenStep(record.caseId, step.stepKey, linkIdHash);
    log.warn('task no longer waiting', { caseId: record.caseId, step: step.stepKey });
    return linkProblemPage('TOO_LATE');
  }
  await deps.store.forgetTaskToken(record.caseId, step.stepKey);
  await deps.store.updateCase(record.caseId, {
    id: `confirmed:${step.stepKey}`,
    at,
    actor: { role: step.role, email: step.recipient },
    action: 'STEP_CONFIRMED',
    step: step.stepKey,
    summary: confirmedSummary(step.step, step.round, step.role, step.recipient),
    details: { ip: request.ip, userAgent: request.userAgent, linkId: claims.linkId },
  });
  log.info('step confirmed', { caseId: record.caseId, step: step.stepKey });
  return confirmedPage(record, def, at);
}

/** Why this link cannot act on this step now, as a page; undefined when the step waits for this very link. */
function refuse(record: CaseRecord, step: StepRecord, linkIdHash: string): PageResponse | undefined {
  if (step.status === 'COMPLETED' && step.completedBy && step.completedAt) return alreadyRecordedPage(record, STEPS[step.step], step.completedBy.email, step.completedAt);
  if (step.status !== 'PENDING' || record.status !== 'IN_PROGRESS') return linkProblemPage('NOT_PENDING');
  if (step.linkIdHash !== linkIdHash) return linkProblemPage('SUPERSEDED');
  return undefined;
}

async function takenCollectionCodes(store: CaseStore, response: { newCollections: { newCollectionCode: string }[] }, caseId: string): Promise<Record<string, string>> {
  const errors: Record<string, string> = {};
  await Promise.all(
    response.newCollections.map(async ({ newCollectionCode }, index) => {
      const existing = await store.getCollection(newCollectionCode);
      if (existing && existing.lockedByCase !== caseId) errors[`newCollections.${index}.newCollectionCode`] = `Zbiór o kodzie ${newCollectionCode} jest już zarejestrowany w CBB.`;
    }),
  );
  return errors;
}

export const handler = pageHandler('confirmation-links', async (request) =>
  handleConfirmationLink(request, { store: caseStore(), workflow: workflow(), keys: await loadSigningKeys() }),
);
