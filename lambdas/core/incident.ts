import { createHash } from 'node:crypto';
import type { CaseStatus } from './case.js';

/**
 * An incident: an action of the procedure failed without hope of retry (or its retries ran out). The execution
 * waits in its incident state (a task token), the case is held (status INCIDENT), operations are told, and an
 * operator decides: `retry` runs the failed state again, `cancel` ends the case. Stored as
 * `CASE#<id>` / `INCIDENT#<incidentId>`; the task token stays there only while the incident waits.
 *
 * OPEN: waiting for the operator. RETRYING: the operator's retry is being handed to Step Functions (a crash
 * there is finished by running `retry` again). RETRIED: the execution went on. CLOSED: it no longer waits (the
 * case was cancelled or failed, or its wait ran out).
 */
export type IncidentStatus = 'OPEN' | 'RETRYING' | 'RETRIED' | 'CLOSED';

export interface IncidentRecord {
  caseId: string;
  incidentId: string;
  /** The state of the state machine that failed, where a retry resumes (its name names the step). */
  state: string;
  /** The error name Step Functions reported (e.g. `Sandbox.Timedout`, `EmailRejected`). */
  error: string;
  /** The error with its cause, short and readable. */
  reason: string;
  openedAt: string;
  /** Until when the execution waits for a decision; afterwards the case is marked FAILED. */
  waitsUntil: string;
  executionId: string;
  status: IncidentStatus;
  /** Only the server reads it; removed once the incident is retried or closed. */
  taskToken?: string;
  retriedAt?: string;
  retriedBy?: string;
  closedAt?: string;
  closedBecause?: string;
}

/** Incidents that still hold their execution (a RETRYING one is finished by another `retry`). */
export const WAITING_INCIDENT_STATUSES: readonly IncidentStatus[] = ['OPEN', 'RETRYING'];

/** One id per entry into the incident state: a duplicated invocation (same task token) is the same incident. */
export function incidentIdOf(taskToken: string): string {
  return createHash('sha256').update(taskToken).digest('hex').slice(0, 16);
}

/** The reason in a form people can read: Lambda causes are JSON with an errorMessage; keep it short. */
export function failureReason(failure: { Error?: string; Cause?: string }): string {
  let cause = failure.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string; Error?: string; Cause?: string; error?: string; cause?: string };
    cause = parsed.errorMessage ?? parsed.cause ?? parsed.Cause ?? parsed.error ?? parsed.Error ?? cause;
  } catch {
    // not JSON: keep the text as it is
  }
  return `${failure.Error ?? 'Error'}: ${cause}`.slice(0, 1000);
}

/** The status a case returns to when its last waiting incident is retried. */
export function statusAfterIncident(record: { status: CaseStatus; statusBeforeIncident?: CaseStatus }): CaseStatus {
  return record.status === 'INCIDENT' ? (record.statusBeforeIncident ?? 'IN_PROGRESS') : record.status;
}
