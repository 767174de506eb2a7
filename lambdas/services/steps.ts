import type { CaseStore } from '../adapters/case-store.js';
import { sendAllOnce } from '../adapters/mail-once.js';
import type { Mailer } from '../core/outbox.js';
import type { Workflow } from '../adapters/workflow.js';
import { CASE_STATUS_LABEL, OPEN_CASE_STATUSES, ROLE_LABEL, type CaseRecord, type CaseStatus, type Role, type TimelineEntry } from '../core/case.js';
import { caseCancelledEmail, confirmationRequestEmail, stepLinkResentEmail, stepReassignedByMrpipsEmail, stepReassignedEmail, type EmailMessage } from '../core/emails.js';
import type { StepLimitsConfig } from '../core/config.js';
import { ConflictError, LimitReachedError, NotFoundError, ValidationError } from '../core/errors.js';
import { emailAddress, multiLine } from '../core/fields.js';
import { formatDateTime } from '../core/format.js';
import { hashLinkId, linkUrl, newLinkId, statusLinks, type SigningKeys } from '../core/links.js';
import { supplierContact, type Directory } from '../core/participants.js';
import type { HandOver, StepCounter, StepRecord } from '../core/step-record.js';
import { STEPS } from '../core/steps.js';
import { closeWaitingIncidents } from './incidents.js';

/**
 * Operations on the steps of a case that more than one entry point performs: the link page (a participant
 * hands their step to a colleague) and the operations CLI (MRPiPS resends a link, reassigns a step, cancels a
 * case). Dependencies come in as arguments, so each entry point wires its own clients. This directory has no
 * index.ts: it is not an action of its own.
 *
 * Every write is a single-item conditional update, and each operation is ordered so that a crash and a retry
 * converge: the write that makes old links stop working comes first, then e-mails, then the timeline entry
 * (idempotent by its id).
 */
export interface StepServiceDeps {
  store: CaseStore;
  mailer: Mailer;
  directory: Directory;
  keys: SigningKeys;
  baseUrl: string;
  /** The bounds of hand-overs, reassignments and resends of one step. */
  limits: StepLimitsConfig;
  now?: Date;
}

export interface CancelDeps extends StepServiceDeps {
  workflow: Workflow;
  /** Used to name the execution when the case does not record its execution id. */
  procedureStateMachineArn?: string;
}

/** Who acts: the participant holding the link (page), or an MRPiPS operator (CLI). */
export interface Actor {
  role: Role;
  email: string;
}

/** Statuses in which a case still waits for its participants (a STALLED case still accepts answers). */
/** Statuses from which MRPiPS may cancel a case (ended cases — completed, rejected, lapsed — cannot be). */
export const CANCELLABLE_CASE_STATUSES: readonly CaseStatus[] = ['IN_PROGRESS', 'STALLED', 'INCIDENT', 'ESCALATED', 'FAILED'];

/** The reason MRPiPS gives for a cancellation: every participant reads it in the e-mail. */
export const cancellationReason = multiLine(2000).refine((value) => value.length >= 3, 'Podaj powód anulowania (co najmniej 3 znaki).');

function nowOf(deps: { now?: Date }): Date {
  return deps.now ?? new Date();
}

async function openStep(store: CaseStore, caseId: string, stepKey: string): Promise<{ record: CaseRecord; step: StepRecord }> {
  const [record, step] = await Promise.all([store.getCase(caseId), store.getStep(caseId, stepKey)]);
  if (!record) throw new NotFoundError(`Case ${caseId} not found`);
  if (!step) throw new NotFoundError(`Step ${stepKey} of case ${caseId} not found`);
  if (!OPEN_CASE_STATUSES.includes(record.status)) throw new ConflictError(`Case ${caseId} is ${record.status} (${CASE_STATUS_LABEL[record.status]}): its steps no longer wait`);
  if (step.status !== 'PENDING') throw new ConflictError(`Step ${stepKey} of case ${caseId} is ${step.status}, not pending`);
  return { record, step };
}

const statusUrlOf = (deps: StepServiceDeps, now: Date, caseId: string) => statusLinks(deps.baseUrl, deps.keys, Math.floor(now.getTime() / 1000))(caseId);

export interface HandOverResult {
  record: CaseRecord;
  /** The step as it was before the hand-over. */
  step: StepRecord;
  to: string;
}

/**
 * The new recipient has the link, so the step is handed over; what failed after that (the notices, the timeline
 * entry) is finished by running the same hand-over again (the same POST, the same CLI command): every part of it
 * is idempotent. Callers tell the truth: the step has been handed over.
 */
export class HandOverUnfinished extends Error {
  override name = 'HandOverUnfinished';
  constructor(
    readonly result: HandOverResult,
    readonly cause: unknown,
  ) {
    super(`Step ${result.step.stepKey} of case ${result.record.caseId} was handed over to ${result.to}; telling MRPiPS or recording it failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** Which bound a hand-over counts against: the participants' (link page) or MRPiPS's (operations). */
function handOverLimit(deps: StepServiceDeps, throughLink: boolean): { counter: StepCounter; max: number; key: string } {
  return throughLink
    ? { counter: 'handOvers', max: deps.limits.MAX_HAND_OVERS_PER_STEP, key: 'MAX_HAND_OVERS_PER_STEP' }
    : { counter: 'reassignments', max: deps.limits.MAX_REASSIGNMENTS_PER_STEP, key: 'MAX_REASSIGNMENTS_PER_STEP' };
}

/** Whether a step may still be handed over through its link page (the page shows the form only then). */
export function canHandOverThroughLink(step: StepRecord, limits: Pick<StepLimitsConfig, 'MAX_HAND_OVERS_PER_STEP'>): boolean {
  return STEPS[step.step].delegable && (step.handOvers ?? 0) < limits.MAX_HAND_OVERS_PER_STEP;
}

function limitReached(step: StepRecord, caseId: string, limit: { counter: StepCounter; max: number; key: string }, what: string): LimitReachedError {
  return new LimitReachedError(`Step ${step.stepKey} of case ${caseId} has been ${what} ${step[limit.counter] ?? 0} times, the limit (${limit.key}=${limit.max})`, limit.max);
}

/**
 * Hands a pending step to another person: the new recipient gets a new link (same task, same deadline), the
 * current link stops working, MRPiPS is told (and, when MRPiPS hands it over, the person who had it), the
 * timeline records who handed it to whom. With `expectedLinkIdHash` (the link page) the hand-over only
 * happens through that link and counts against MAX_HAND_OVERS_PER_STEP; without it (operations) through
 * whatever link is current when read, counted against MAX_REASSIGNMENTS_PER_STEP. The count is part of the
 * write that reassigns the step, so concurrent hand-overs cannot pass it.
 *
 * Order, so that every outcome is true and a retry converges: (1) the step item (new recipient and link, the
 * count, the hand-over itself); (2) the new recipient's e-mail — if it fails, or (1)'s answer is lost, the
 * step is given back and nothing happened; (3) the notices (mail-once, keyed by the hand-over) and (4) the
 * timeline entry (by its id). A failure in (3) or (4) is HandOverUnfinished: the same hand-over again (the
 * same POST through the old link, the same CLI command) finds it recorded on the step and finishes (3) and (4).
 * A later hand-over of the step finishes its predecessor's first.
 * ConflictError: the step is no longer pending for that link; LimitReachedError: the bound is reached.
 */
export async function handOverStep(deps: StepServiceDeps, input: { caseId: string; stepKey: string; to: string; by: Actor; expectedLinkIdHash?: string }): Promise<HandOverResult> {
  const now = nowOf(deps);
  const parsed = emailAddress.safeParse(input.to);
  if (!parsed.success) throw new ValidationError(`Invalid address "${input.to}": ${parsed.error.issues[0]!.message}`);
  const to = parsed.data;
  const [found, current] = await Promise.all([deps.store.getCase(input.caseId), deps.store.getStep(input.caseId, input.stepKey)]);
  const earlier = current?.handOver;
  if (found && current && earlier && earlier.to === to && current.recipient === to && (input.expectedLinkIdHash ? earlier.fromLinkIdHash === input.expectedLinkIdHash : earlier.by.email === input.by.email)) {
    // This very hand-over again: finish what a failure left undone.
    const result = { record: found, step: { ...current, recipient: earlier.from, linkIdHash: earlier.fromLinkIdHash }, to };
    await finishHandOver(deps, found, current, earlier, now);
    return result;
  }
  const { record, step } = await openStep(deps.store, input.caseId, input.stepKey);
  const currentLink = input.expectedLinkIdHash ?? step.linkIdHash;
  if (step.linkIdHash !== currentLink) throw new ConflictError(`Step ${input.stepKey} of case ${input.caseId} has a newer link`);
  const def = STEPS[step.step];
  if (!def.delegable) throw new ValidationError(`Step ${step.step} cannot be handed over: the owner of the address confirms it`);
  if (to === step.recipient) throw new ValidationError(`Step ${input.stepKey} is already with ${to}`);
  const limit = handOverLimit(deps, input.expectedLinkIdHash !== undefined);
  if ((step[limit.counter] ?? 0) >= limit.max) throw limitReached(step, record.caseId, limit, 'handed over');
  if (step.handOver) await finishHandOver(deps, record, step, step.handOver, now);

  const linkId = newLinkId();
  const linkIdHash = hashLinkId(linkId);
  const handOver: HandOver = { id: `reassigned:${step.stepKey}:${linkIdHash.slice(0, 12)}`, fromLinkIdHash: currentLink, from: step.recipient, to, by: input.by, at: now.toISOString() };
  const url = linkUrl(deps.baseUrl, { caseId: record.caseId, step: step.stepKey, role: step.role, recipient: to, expiresAt: step.linkExpiresAt, linkId }, deps.keys);
  try {
    await deps.store.reassignStep(record.caseId, step.stepKey, currentLink, { recipient: to, linkIdHash, delegatedBy: input.by.email, handOver }, limit);
    await deps.mailer.send(
      confirmationRequestEmail({ record, step: step.step, round: step.round, comment: step.comment, to, url, deadline: formatDateTime(step.deadline), remindersSent: 0, statusUrl: statusUrlOf(deps, now, record.caseId), delegatedBy: input.by.email }),
      // Its own mail key: the sender sends one message per key, and the notices (finishHandOver) are keyed by handOver.id.
      { caseId: record.caseId, mailKey: `${handOver.id}:request`, stepKey: step.stepKey },
    );
  } catch (error) {
    if (error instanceof LimitReachedError) throw limitReached({ ...step, [limit.counter]: limit.max }, record.caseId, limit, 'handed over');
    if (error instanceof ConflictError) throw error;
    // The new recipient has no link (or whether the write happened is unknown): the step goes back to the
    // current link, so "nothing was saved" is true.
    await deps.store.undoReassignStep(record.caseId, step.stepKey, linkIdHash, step, limit.counter).catch(() => undefined);
    throw error;
  }
  const result = { record, step, to };
  try {
    await finishHandOver(deps, record, step, handOver, now);
  } catch (error) {
    throw new HandOverUnfinished(result, error);
  }
  return result;
}

/** The notices of a hand-over and its timeline entry, each once (mail-once keys and the entry id are the hand-over's id). */
async function finishHandOver(deps: StepServiceDeps, record: CaseRecord, step: Pick<StepRecord, 'step' | 'stepKey'>, handOver: HandOver, now: Date): Promise<void> {
  const statusUrl = statusUrlOf(deps, now, record.caseId);
  const notices: EmailMessage[] =
    handOver.by.email === handOver.from
      ? [stepReassignedEmail({ record, step: step.step, from: handOver.from, to: handOver.to, notify: deps.directory.mrpipsEmail, statusUrl })]
      : [...new Set([deps.directory.mrpipsEmail, handOver.from])].map((notify) => stepReassignedByMrpipsEmail({ record, step: step.step, from: handOver.from, to: handOver.to, by: handOver.by.email, notify, statusUrl }));
  await sendAllOnce(deps, record.caseId, handOver.id, notices, now);
  await deps.store.updateCase(record.caseId, {
    id: handOver.id,
    at: handOver.at,
    actor: { role: handOver.by.role, email: handOver.by.email },
    action: 'STEP_REASSIGNED',
    step: step.stepKey,
    summary: `${ROLE_LABEL[handOver.by.role]}: krok „${STEPS[step.step].title}” przekazano z ${handOver.from} do ${handOver.to}.`,
  });
}

export interface ResendResult {
  record: CaseRecord;
  step: StepRecord;
  recipient: string;
}

/**
 * Sends a pending step's link again: a new link id for the same recipient and task (same deadline), older
 * links stop working, the recipient gets it by e-mail, the timeline records STEP_LINK_RESENT. Counted against
 * MAX_RESENDS_PER_STEP in the write that replaces the link (LimitReachedError once reached).
 */
export async function resendStepLink(deps: StepServiceDeps, input: { caseId: string; stepKey: string; by: Actor }): Promise<ResendResult> {
  const now = nowOf(deps);
  const { record, step } = await openStep(deps.store, input.caseId, input.stepKey);
  if (step.linkExpiresAt <= Math.floor(now.getTime() / 1000)) {
    throw new ConflictError(`The link deadline of step ${input.stepKey} has passed (${step.deadline}); the procedure is about to send a new link itself`);
  }
  const limit = { counter: 'resends', max: deps.limits.MAX_RESENDS_PER_STEP, key: 'MAX_RESENDS_PER_STEP' } as const;
  if ((step.resends ?? 0) >= limit.max) throw limitReached(step, record.caseId, limit, 'resent');
  const def = STEPS[step.step];
  const linkId = newLinkId();
  const linkIdHash = hashLinkId(linkId);
  const url = linkUrl(deps.baseUrl, { caseId: record.caseId, step: step.stepKey, role: step.role, recipient: step.recipient, expiresAt: step.linkExpiresAt, linkId }, deps.keys);
  try {
    await deps.store.replaceStepLink(record.caseId, step.stepKey, step.linkIdHash, linkIdHash, now.toISOString(), { ...limit, add: 1 });
    await deps.mailer.send(
      stepLinkResentEmail({
        record,
        step: step.step,
        round: step.round,
        comment: step.comment,
        to: step.recipient,
        url,
        deadline: formatDateTime(step.deadline),
        statusUrl: statusUrlOf(deps, now, record.caseId),
        delegatedBy: step.delegatedBy || undefined,
      }),
      { caseId: record.caseId, mailKey: `resent:${step.stepKey}:${linkIdHash.slice(0, 12)}`, stepKey: step.stepKey },
    );
  } catch (error) {
    if (error instanceof LimitReachedError) throw limitReached({ ...step, resends: limit.max }, record.caseId, limit, 'resent');
    if (error instanceof ConflictError) throw error;
    // Nobody got the new link (or whether it was written is unknown): the previous one works again.
    await deps.store.replaceStepLink(record.caseId, step.stepKey, linkIdHash, step.linkIdHash, step.lastSentAt, { ...limit, add: -1 }).catch(() => undefined);
    throw error;
  }
  await deps.store.updateCase(record.caseId, {
    id: `resent:${step.stepKey}:${linkIdHash.slice(0, 12)}`,
    at: now.toISOString(),
    actor: { role: input.by.role, email: input.by.email },
    action: 'STEP_LINK_RESENT',
    step: step.stepKey,
    summary: `Wysłano ponownie link do kroku „${def.title}” do: ${step.recipient}; poprzednie linki przestały działać.`,
  });
  return { record, step, recipient: step.recipient };
}

/** The procedure's execution: its id as recorded on the case, else named by the case id (as it is started). */
export function procedureExecutionArn(record: Pick<CaseRecord, 'caseId' | 'executionId'>, procedureStateMachineArn?: string): string {
  if (record.executionId) return record.executionId;
  const match = /^arn:([^:]+):states:([^:]*):([^:]*):stateMachine:([^:]+)$/.exec(procedureStateMachineArn ?? '');
  if (!match) throw new Error(`Case ${record.caseId} has no execution id and no procedure state machine ARN was given`);
  return `arn:${match[1]}:states:${match[2]}:${match[3]}:execution:${match[4]}:${record.caseId}`;
}

/**
 * Who took part in a case and is told it was cancelled: the JST contact, MRPiPS, everyone a step was sent to
 * (the voivodeship administrator once the case reached step c, colleagues a step was handed to) and the new
 * supplier's contact, if given and the contact address was confirmed (an unconfirmed notification never
 * reached the supplier). One address once.
 */
export function cancellationRecipients(record: CaseRecord, steps: StepRecord[], directory: Directory): string[] {
  const supplier = record.contactConfirmedAt ? supplierContact(record) : undefined;
  const admin = record.mztDeactivatedOn ? directory.voivodeshipAdmins[record.voivodeship] : undefined;
  const all = [record.notification.contact.email, directory.mrpipsEmail, ...steps.map((s) => s.recipient), admin, supplier];
  return [...new Set(all.filter((a): a is string => Boolean(a)).map((a) => a.trim().toLowerCase()))];
}

export interface CancelResult {
  record: CaseRecord;
  /** False when the case had been cancelled before (this run finished what was left). */
  cancelledNow: boolean;
  execution: { arn: string; status: string };
  closedSteps: string[];
  releasedCollections: string[];
  notified: string[];
}

const CANCELLED_EVENT = 'cancelled';
const RELEASED_EVENT = 'cancelled:collections';
const NOTIFIED_EVENT = 'cancelled:notified';

/**
 * Cancels a case. Order, so a crash and a retry converge (every step is idempotent):
 *  1. status CANCELLED with the reason and the timeline entry CASE_CANCELLED, in one conditional write:
 *     from here on every link of the case shows "no longer pending";
 *  2. StopExecution of the procedure (the `.sync:2` children stop with it); an ended execution is left as is;
 *  3. pending steps closed (status CANCELLED, task token removed);
 *  4. collections the case holds released, state unchanged (a later notification can take them);
 *  5. a Polish e-mail with the reason to every participant, each once (mail-once markers; the timeline entry
 *     that records them is written after the e-mails, so a crash never loses one).
 * Running it again on a cancelled case finishes what is left and keeps the first reason.
 */
export async function cancelCase(deps: CancelDeps, input: { caseId: string; reason: string; by: Actor }): Promise<CancelResult> {
  const now = nowOf(deps);
  const at = now.toISOString();
  const reasonCheck = cancellationReason.safeParse(input.reason);
  if (!reasonCheck.success) throw new ValidationError(`Invalid reason: ${reasonCheck.error.issues[0]!.message}`);
  const reason = reasonCheck.data;
  let record = await deps.store.getCase(input.caseId);
  if (!record) throw new NotFoundError(`Case ${input.caseId} not found`);
  if (record.status !== 'CANCELLED' && !CANCELLABLE_CASE_STATUSES.includes(record.status)) {
    throw new ConflictError(`Case ${input.caseId} is ${record.status} (${CASE_STATUS_LABEL[record.status]}) and cannot be cancelled`);
  }

  // 1. Status first: links stop working at once.
  const cancellation = { reason, by: input.by.email, at };
  const written = await deps.store
    .updateCaseIf(
      record.caseId,
      { id: CANCELLED_EVENT, at, actor: { role: input.by.role, email: input.by.email }, action: 'CASE_CANCELLED', summary: `Sprawa anulowana przez MRPiPS. Powód: ${reason}`, details: { reason, previousStatus: record.status } },
      { status: 'CANCELLED', cancellation },
      [...CANCELLABLE_CASE_STATUSES],
    )
    .catch((error: unknown) => {
      if (error instanceof ConflictError) throw new ConflictError(`Case ${input.caseId} cannot be cancelled: ${error.message}`);
      throw error;
    });
  record = (await deps.store.getCase(record.caseId))!;
  const firstReason = record.cancellation?.reason ?? reason;

  // 2. Stop the procedure (its waiting children stop with it).
  const arn = procedureExecutionArn(record, deps.procedureStateMachineArn);
  const executionStatus = await deps.workflow.stopExecution(arn, `Case ${record.caseId} cancelled by MRPiPS (reason on the case timeline)`);

  // 3. Close the steps that still wait.
  const steps = await deps.store.listSteps(record.caseId);
  const closedSteps: string[] = [];
  for (const step of steps.filter((s) => s.status === 'PENDING')) {
    if (await deps.store.closePendingStep(record.caseId, step.stepKey, at)) closedSteps.push(step.stepKey);
  }
  // Incidents stopped waiting with the execution: their tokens go too.
  await closeWaitingIncidents(deps.store, record.caseId, 'the case was cancelled', now);

  // 4. Release the collections the case holds, without changing their state.
  const codes = [...new Set(record.collections.flatMap((c) => [c.oldCode, ...(c.newCode ? [c.newCode] : [])]))];
  const releasedCollections: string[] = [];
  for (const code of codes) {
    const item = await deps.store.getCollection(code);
    if (item?.lockedByCase !== record.caseId) continue;
    try {
      await deps.store.releaseCollection(code, record.caseId, at);
      releasedCollections.push(code);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  if (codes.length) {
    await append(deps.store, record.caseId, { id: RELEASED_EVENT, at, actor: { role: 'SYSTEM' }, action: 'COLLECTIONS_RELEASED', summary: `Zbiory CBB sprawy zwolnione bez zmiany stanu: ${codes.join(', ')}.` });
  }

  // 5. Tell every participant, once.
  let notified: string[] = [];
  if (!(await deps.store.hasEvent(record.caseId, NOTIFIED_EVENT))) {
    notified = cancellationRecipients(record, steps, deps.directory);
    const statusUrl = statusUrlOf(deps, now, record.caseId);
    // Keyed per message (mail-once markers): a retry after a crash half-way sends only the ones not sent yet.
    await sendAllOnce(deps, record.caseId, 'cancelled', notified.map((to) => caseCancelledEmail(record!, to, firstReason, statusUrl)), now);
    await append(deps.store, record.caseId, { id: NOTIFIED_EVENT, at, actor: { role: 'SYSTEM' }, action: 'CASE_CANCELLATION_SENT', summary: `Poinformowano o anulowaniu sprawy: ${notified.join(', ')}.` });
  }
  record = (await deps.store.getCase(record.caseId)) ?? record;
  return { record, cancelledNow: written === 'applied', execution: { arn, status: executionStatus }, closedSteps, releasedCollections, notified };
}

async function append(store: CaseStore, caseId: string, event: TimelineEntry): Promise<void> {
  await store.updateCase(caseId, event);
}
