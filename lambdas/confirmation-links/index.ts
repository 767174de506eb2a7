import { randomUUID } from 'node:crypto';
import { caseStore, type CaseStore } from '../adapters/case-store.js';
import { finishConfirmation } from '../adapters/confirmations.js';
import { formOf, langOfRequest, methodNotAllowed, pageHandler, type PageRequest } from '../adapters/http.js';
import { outbox } from '../adapters/outbox.js';
import type { Mailer } from '../core/outbox.js';
import { loadSigningKeys } from '../adapters/signing-keys.js';
import { workflow, type Workflow } from '../adapters/workflow.js';
import { directory, mailConfig, once } from '../adapters/runtime.js';
import { describeResponse } from '../core/apply.js';
import { OPEN_CASE_STATUSES, type CaseRecord } from '../core/case.js';
import { parseConfig, stepLimitsConfigSchema, type StepLimitsConfig } from '../core/config.js';
import { ConflictError, LimitReachedError } from '../core/errors.js';
import { emailAddress, fieldErrors, todayInPoland } from '../core/fields.js';
import { formatDateTime } from '../core/format.js';
import type { Lang } from '../core/i18n.js';
import { formToken, formTokenMatches, hashLinkId, sentTo, verifyLink, type SigningKeys } from '../core/links.js';
import { log } from '../core/log.js';
import type { Directory } from '../core/participants.js';
import { alreadyRecordedPage, confirmedPage, handOverLimitPage, handOverUnfinishedPage, linkProblemPage, reassignedPage, stepPage, type PageResponse } from '../core/pages.js';
import type { StepRecord } from '../core/step-record.js';
import { STEPS, type StepContext } from '../core/steps.js';
import { canHandOverThroughLink, handOverStep, HandOverUnfinished } from '../services/steps.js';

export interface LinkDeps {
  store: CaseStore;
  workflow: Workflow;
  mailer: Mailer;
  directory: Directory;
  keys: SigningKeys;
  baseUrl: string;
  /** MAX_HAND_OVERS_PER_STEP: the hand-over form is shown only while the step is under it. */
  limits: StepLimitsConfig;
  now?: Date;
}

/**
 * The page behind every signed link. GET and HEAD only show the step (mail scanners open links; they must
 * change nothing). POST, from the page's own form (its token is checked), either confirms the step —
 * validated, completed exactly once by a conditional write, then handed to the waiting task — or hands the
 * step to a colleague. Every refusal is a page (Polish, or English with `lang=en`) with a 4xx status and no change.
 * The unsigned `lang` parameter stays in the query the forms post back to, so the answers keep the language.
 */
export async function handleConfirmationLink(request: PageRequest, deps: LinkDeps): Promise<PageResponse> {
  const page: PageIn = { lang: langOfRequest(request), query: request.rawQuery };
  if (!['GET', 'HEAD', 'POST'].includes(request.method)) return methodNotAllowed(['GET', 'HEAD', 'POST'], page.lang, page.query);
  const now = deps.now ?? new Date();
  const check = verifyLink(request.query, deps.keys, Math.floor(now.getTime() / 1000));
  if (!check.ok) return linkProblemPage(check.reason, page.lang, page.query);
  const { claims } = check;
  const [record, step] = await Promise.all([deps.store.getCase(claims.caseId), deps.store.getStep(claims.caseId, claims.step)]);
  if (!record || !step || step.role !== claims.role) return linkProblemPage('NOT_FOUND', page.lang, page.query);
  const linkIdHash = hashLinkId(claims.linkId);
  const holds: HeldBy = (s) => s.linkIdHash === linkIdHash && sentTo(claims, check.keyId, s.recipient, deps.keys);
  const refusal = refuse(record, step, holds, page);
  // This link handed the step over: its hand-over form posted again finishes what a failure left undone.
  const handedOverHere = request.method === 'POST' && step.handOver?.fromLinkIdHash === linkIdHash;
  if (refusal && !handedOverHere) return refusal;

  const def = STEPS[step.step];
  const ctx: StepContext = { record, round: step.round, comment: step.comment, today: todayInPoland(now) };
  const token = formToken(deps.keys, check.keyId, check.signature);
  const show = (values?: Record<string, string>, errors?: Record<string, string>) =>
    stepPage({
      record, def, round: step.round, comment: step.comment, recipient: step.recipient, deadline: formatDateTime(step.deadline, page.lang), query: request.rawQuery, formToken: token, values, errors, lang: page.lang,
      canHandOver: canHandOverThroughLink(step, deps.limits),
    });
  if (request.method !== 'POST') return show();

  const form = formOf(request);
  if (!formTokenMatches(form.csrf, deps.keys, check.keyId, check.signature)) return linkProblemPage('FORM_TOKEN', page.lang, page.query);
  if (form.action === 'reassign') return reassign({ record, step, holds, linkIdHash, form, show, page }, deps, now);
  if (refusal) return refusal;

  const parsed = def.schema(ctx).safeParse(def.fromForm(form, ctx));
  if (!parsed.success) return show(form, fieldErrors(parsed.error));
  const response = parsed.data;
  if (step.step === 'NEW_COLLECTIONS') {
    const taken = await takenCollectionCodes(deps.store, response as { newCollections: { newCollectionCode: string }[] }, record.caseId);
    if (Object.keys(taken).length) return { ...show(form, taken), statusCode: 409 };
  }

  const participant = { email: step.recipient, role: step.role, ip: request.ip, userAgent: request.userAgent, linkId: claims.linkId };
  const at = now.toISOString();
  // One id per submission: the completion write is idempotent for the SDK's retry of it, and only this
  // submission's own completion is ever undone below.
  const completionId = randomUUID();
  let completed: StepRecord;
  try {
    completed = await deps.store.completeStep(record.caseId, step.stepKey, linkIdHash, response, participant, at, completionId);
  } catch (error) {
    if (!(error instanceof ConflictError)) {
      // Whether the write happened is unknown (its answer may have been lost): undo it if it did, so the 503
      // page's "nothing was saved" is true and the next click starts afresh instead of finding a completed
      // step that was never handed on.
      await deps.store.reopenStep(record.caseId, step.stepKey, linkIdHash, completionId).catch(() => undefined);
      throw error;
    }
    // Another submission won the race (or a reminder replaced the link): show what the store says now.
    const current = await deps.store.getStep(record.caseId, step.stepKey);
    return (current && refuse(record, current, holds, page)) || linkProblemPage('NOT_PENDING', page.lang, page.query);
  }

  let handed: Awaited<ReturnType<Workflow['completeTask']>>;
  try {
    handed = await deps.workflow.completeTask(completed.taskToken ?? '', { response, participant: { email: participant.email, role: participant.role }, confirmedAt: at });
  } catch (error) {
    // Step Functions did not take it (or said nothing): the step waits again, the participant is asked to retry.
    await deps.store.reopenStep(record.caseId, step.stepKey, linkIdHash, completionId);
    throw error;
  }
  if (handed === 'gone') {
    await deps.store.reopenStep(record.caseId, step.stepKey, linkIdHash, completionId);
    // A task closes by its own timeout when its link expires (both last the response time): then a reminder
    // with a new link is on its way. Gone well before that, its execution has ended (stopped, cancelled,
    // failed or timed out as a whole) and no new link is coming: the step no longer waits.
    const executionEnded = claims.expiresAt - Math.floor(now.getTime() / 1000) > TASK_TIMEOUT_SKEW_SECONDS;
    log.warn(executionEnded ? 'execution no longer waits for the step' : 'task no longer waiting', { caseId: record.caseId, step: step.stepKey });
    return linkProblemPage(executionEnded ? 'NOT_PENDING' : 'TOO_LATE', page.lang, page.query);
  }
  if (handed === 'completed earlier') log.warn('task answer lost; its retry found the task closed by it', { caseId: record.caseId, step: step.stepKey });
  // Handed on: the confirmation stands whatever happens next. If the bookkeeping below fails, apply-response
  // (which the procedure runs next, with retries) finishes it: same timeline id, token removed.
  try {
    await finishConfirmation(deps.store, { ...completed, status: 'COMPLETED', completedAt: at, completedBy: participant });
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    log.error('step confirmed; its record is completed by apply-response', { caseId: record.caseId, step: step.stepKey, error: err.name, reason: err.message });
  }
  log.info('step confirmed', { caseId: record.caseId, step: step.stepKey });
  return confirmedPage(record, def, at, page.lang, page.query);
}

/**
 * Hands the step to a colleague: a new link (same task, same deadline) goes to the colleague, the current
 * link stops working, MRPiPS is told, the timeline records who handed it to whom.
 */
async function reassign(
  args: {
    record: CaseRecord;
    step: StepRecord;
    holds: HeldBy;
    linkIdHash: string;
    form: Record<string, string>;
    show: (values?: Record<string, string>, errors?: Record<string, string>) => PageResponse;
    page: PageIn;
  },
  deps: LinkDeps,
  now: Date,
): Promise<PageResponse> {
  const { record, step, form } = args;
  const def = STEPS[step.step];
  const parsed = emailAddress.safeParse(form.delegateEmail ?? '');
  const retried = step.handOver?.fromLinkIdHash === args.linkIdHash && parsed.success && parsed.data === step.handOver.to;
  if (!retried) {
    const refusal = refuse(record, step, args.holds, args.page);
    if (refusal) return refusal;
    if (!def.delegable) return args.show(form, { delegateEmail: 'Tego kroku nie można przekazać: potwierdza go właściciel adresu.' });
    if (!canHandOverThroughLink(step, deps.limits)) return handOverLimitPage(record, def, args.page.lang, args.page.query);
    if (!parsed.success) return args.show(form, { delegateEmail: parsed.error.issues[0]!.message });
    if (parsed.data === step.recipient) return args.show(form, { delegateEmail: 'To jest adres, na który wysłano ten link. Podaj adres innej osoby.' });
  }
  const colleague = parsed.data!;

  try {
    await handOverStep({ ...deps, now }, { caseId: record.caseId, stepKey: step.stepKey, to: colleague, by: { role: step.role, email: retried ? step.handOver!.from : step.recipient }, expectedLinkIdHash: args.linkIdHash });
  } catch (error) {
    if (error instanceof HandOverUnfinished) {
      // The colleague has the link: say so, and that posting the form again finishes the rest.
      const err = error.cause instanceof Error ? error.cause : new Error(String(error.cause));
      log.error('step handed over; its notices or timeline entry are finished by a retry', { caseId: record.caseId, step: step.stepKey, error: err.name, reason: err.message });
      return handOverUnfinishedPage(record, def, colleague, args.page.lang, args.page.query);
    }
    if (error instanceof LimitReachedError) return handOverLimitPage(record, def, args.page.lang, args.page.query);
    if (!(error instanceof ConflictError)) throw error;
    const current = await deps.store.getStep(record.caseId, step.stepKey);
    return (current && refuse(record, current, args.holds, args.page)) || linkProblemPage('NOT_PENDING', args.page.lang, args.page.query);
  }
  return reassignedPage(record, def, colleague, args.page.lang, args.page.query);
}

/** The language of the pages of this request and its raw query (the language switch keeps the signed link). */
interface PageIn {
  lang: Lang;
  query: string;
}

/** How much earlier than its link's expiry a task may time out (invocation delay, rounding to seconds). */
const TASK_TIMEOUT_SKEW_SECONDS = 60;

/** Whether a step (as read now) waits for the link of this request: its current link id, sent to its current recipient. */
type HeldBy = (step: StepRecord) => boolean;

/**
 * Why this link cannot act on this step now, as a page; undefined when the step waits for this very link. A link
 * that is no longer the step's own (handed over, replaced by a reminder or a re-send) shows nothing of the step:
 * not who confirmed it, when, or what.
 */
function refuse(record: CaseRecord, step: StepRecord, holds: HeldBy, page: PageIn): PageResponse | undefined {
  if (!holds(step)) return linkProblemPage('SUPERSEDED', page.lang, page.query);
  if (step.status === 'COMPLETED' && step.completedBy && step.completedAt) {
    const confirmed = step.response ? describeResponse(step.step, { record, round: step.round, comment: step.comment }, step.response) : [];
    return alreadyRecordedPage(record, STEPS[step.step], step.completedBy.email, step.completedAt, confirmed, page.lang, page.query);
  }
  if (step.status !== 'PENDING' || !OPEN_CASE_STATUSES.includes(record.status)) return linkProblemPage('NOT_PENDING', page.lang, page.query);
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

const stepLimits = once(() => parseConfig(stepLimitsConfigSchema, process.env));

export const handler = pageHandler('confirmation-links', async (request) =>
  handleConfirmationLink(request, { store: caseStore(), workflow: workflow(), mailer: outbox(), directory: directory(), keys: await loadSigningKeys(), baseUrl: mailConfig().PUBLIC_BASE_URL, limits: stepLimits() }),
);
