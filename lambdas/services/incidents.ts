import type { CaseStore } from '../adapters/case-store.js';
import { sendOnce } from '../adapters/mail-once.js';
import type { Mailer } from '../core/outbox.js';
import type { Workflow } from '../adapters/workflow.js';
import type { CaseRecord, TimelineEntry } from '../core/case.js';
import { incidentOpenedEmail } from '../core/emails.js';
import { ConflictError, IncidentLimitReached, NotFoundError } from '../core/errors.js';
import { failureReason, incidentIdOf, statusAfterIncident, WAITING_INCIDENT_STATUSES, type IncidentRecord } from '../core/incident.js';
import { log } from '../core/log.js';
import type { CountCase } from '../core/metrics.js';
import type { StatusLinks } from '../core/links.js';

/**
 * Incidents (core/incident.ts): opened by the incident state of either state machine (open-incident), retried or
 * listed by operations (the CLI), closed when the case is cancelled or marked failed. Dependencies come in as
 * arguments. Every write is a single-item conditional update, ordered so that a crash and a rerun converge.
 */
export interface OpenIncidentDeps {
  store: CaseStore;
  mailer: Mailer;
  statusLinks: StatusLinks;
  operationsEmail: string;
  maxIncidentsPerCase: number;
  /** Counts IncidentOpened once per incident (the alarm that tells operations at once). */
  count: CountCase;
  now?: Date;
}

export interface OpenIncidentInput {
  caseId: string;
  state: string;
  failure: { Error?: string; Cause?: string };
  executionId: string;
  waitSeconds: number;
  taskToken: string;
}

/**
 * Holds the case for the operator: the incident item (with the waiting task token), the case's status INCIDENT
 * with a timeline entry, and one e-mail to operations. A duplicated invocation (same token) is the same incident.
 * Returns whether the incident is new (the caller counts it once).
 */
export async function openIncident(deps: OpenIncidentDeps, input: OpenIncidentInput): Promise<{ incidentId: string; opened: boolean }> {
  const now = deps.now ?? new Date();
  const incidentId = incidentIdOf(input.taskToken);
  const earlier = await deps.store.listIncidents(input.caseId);
  const known = earlier.some((incident) => incident.incidentId === incidentId);
  if (!known && earlier.length >= deps.maxIncidentsPerCase) {
    throw new IncidentLimitReached(`Case ${input.caseId} has had ${earlier.length} incidents (the limit); ${input.state} failed again: ${failureReason(input.failure)}`);
  }
  const incident: IncidentRecord = {
    caseId: input.caseId,
    incidentId,
    state: input.state,
    error: input.failure.Error ?? 'Error',
    reason: failureReason(input.failure),
    openedAt: now.toISOString(),
    waitsUntil: new Date(now.getTime() + input.waitSeconds * 1000).toISOString(),
    executionId: input.executionId,
    status: 'OPEN',
    taskToken: input.taskToken,
  };
  const opened = await deps.store.putIncident(incident);
  if (opened) deps.count('IncidentOpened');
  const stored = opened ? incident : (earlier.find((i) => i.incidentId === incidentId) ?? incident);

  const record = await deps.store.getCase(input.caseId);
  if (record) {
    await deps.store.updateCase(
      input.caseId,
      { id: `incident:${incidentId}`, at: stored.openedAt, actor: { role: 'SYSTEM' }, action: 'INCIDENT_OPENED', summary: `Błąd techniczny w kroku „${stored.state}”: ${stored.reason}. Sprawa czeka na decyzję MRPiPS.`, details: { incidentId, state: stored.state, error: stored.error } },
      { status: 'INCIDENT', statusBeforeIncident: statusAfterIncident(record) },
    );
  } else {
    // The action that registers the case failed: there is no case to hold, but the incident is listed and retried as any other.
    log.warn('incident of an unregistered case', { caseId: input.caseId, step: input.state });
  }
  await tellOperations(deps, stored, record);
  return { incidentId, opened };
}

/** One e-mail per incident. Mail may be the very thing that fails: then the alarm and the CLI list still show it. */
async function tellOperations(deps: OpenIncidentDeps, incident: IncidentRecord, record: CaseRecord | undefined): Promise<void> {
  const message = incidentOpenedEmail({
    caseId: incident.caseId,
    record,
    state: incident.state,
    reason: incident.reason,
    openedAt: incident.openedAt,
    waitsUntil: incident.waitsUntil,
    to: deps.operationsEmail,
    statusUrl: deps.statusLinks(record ?? { caseId: incident.caseId }),
  });
  try {
    await sendOnce(deps, incident.caseId, `incident:${incident.incidentId}`, message, deps.now);
  } catch (error) {
    log.error('incident e-mail not sent', { caseId: incident.caseId, step: incident.state, error: error instanceof Error ? error.name : String(error) });
  }
}

export interface RetryDeps {
  store: CaseStore;
  workflow: Workflow;
  now?: Date;
}

export interface RetriedIncident {
  incident: IncidentRecord;
  /** 'retried': the execution runs the failed state again; 'gone': it no longer waited (ended, or its wait ran out). */
  outcome: 'retried' | 'gone';
}

/**
 * Runs the failed state of every waiting incident of a case again. Per incident: RETRYING (token kept), the case
 * back to the status it had (unless another incident still waits), the token handed to Step Functions, RETRIED
 * (token removed). A crash anywhere is finished by running it again; a new failure opens a new incident.
 */
export async function retryIncidents(deps: RetryDeps, input: { caseId: string; by: string }): Promise<{ record: CaseRecord | undefined; retried: RetriedIncident[] }> {
  const now = deps.now ?? new Date();
  const waiting = (await deps.store.listIncidents(input.caseId)).filter((i) => WAITING_INCIDENT_STATUSES.includes(i.status));
  const before = await deps.store.getCase(input.caseId);
  if (waiting.length === 0) {
    if (!before) throw new NotFoundError(`Case ${input.caseId} not found`);
    throw new ConflictError(`Case ${input.caseId} has no incident waiting for a decision (status ${before.status})`);
  }
  if (before?.status === 'CANCELLED') throw new ConflictError(`Case ${input.caseId} is CANCELLED: its incidents no longer wait`);
  const retried: RetriedIncident[] = [];
  for (const [index, incident] of waiting.entries()) {
    await deps.store.moveIncident(input.caseId, incident.incidentId, ['OPEN', 'RETRYING'], 'RETRYING');
    // The case goes on before the execution does, so a new incident of the rerun is never overwritten by this.
    if (before) await recordRetry(deps.store, before, retriedEvent(incident, input.by, now), index === waiting.length - 1);
    const answer = incident.taskToken ? await deps.workflow.completeTask(incident.taskToken, { retriedBy: input.by, retriedAt: now.toISOString() }) : 'gone';
    const outcome = answer === 'gone' ? 'gone' : 'retried';
    await deps.store.moveIncident(input.caseId, incident.incidentId, ['RETRYING'], outcome === 'retried' ? 'RETRIED' : 'CLOSED', outcome === 'retried' ? { retriedAt: now.toISOString(), retriedBy: input.by } : { closedAt: now.toISOString(), closedBecause: 'the execution no longer waited' });
    retried.push({ incident, outcome });
  }
  return { record: await deps.store.getCase(input.caseId), retried };
}

function retriedEvent(incident: IncidentRecord, by: string, now: Date): TimelineEntry {
  return { id: `incident-retried:${incident.incidentId}`, at: now.toISOString(), actor: { role: 'MRPIPS', email: by }, action: 'INCIDENT_RETRIED', summary: `MRPiPS (${by}) ponowiło czynność „${incident.state}” po błędzie technicznym.`, details: { incidentId: incident.incidentId, state: incident.state } };
}

/** The timeline entry of the retry; with `restore` (the last waiting incident) also the status the case had. */
async function recordRetry(store: CaseStore, record: CaseRecord, event: TimelineEntry, restore: boolean): Promise<void> {
  if (restore) {
    try {
      await store.updateCaseIf(record.caseId, event, { status: statusAfterIncident(record) }, ['INCIDENT']);
      return;
    } catch (error) {
      // Not held any more (cancelled meanwhile): the retry is recorded all the same.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  await store.updateCase(record.caseId, event);
}

/** When the case is cancelled or marked failed, its incidents stop waiting: tokens removed, reason kept. */
export async function closeWaitingIncidents(store: CaseStore, caseId: string, because: string, now: Date): Promise<string[]> {
  const closed: string[] = [];
  for (const incident of await store.listIncidents(caseId)) {
    if (!WAITING_INCIDENT_STATUSES.includes(incident.status)) continue;
    if (await store.moveIncident(caseId, incident.incidentId, WAITING_INCIDENT_STATUSES, 'CLOSED', { closedAt: now.toISOString(), closedBecause: because })) closed.push(incident.incidentId);
  }
  return closed;
}
