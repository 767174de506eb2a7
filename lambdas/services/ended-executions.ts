import type { CaseStore } from '../adapters/case-store.js';
import { sendOnce } from '../adapters/mail-once.js';
import type { Mailer } from '../core/outbox.js';
import { OPEN_CASE_STATUSES, type CaseStatus } from '../core/case.js';
import { executionEndedEmail } from '../core/emails.js';
import { endedExecutionEventId, endedExecutionReason, type EndedExecution } from '../core/ended-execution.js';
import { ConflictError } from '../core/errors.js';
import type { StatusLinks } from '../core/links.js';
import { log } from '../core/log.js';
import type { CountCase } from '../core/metrics.js';
import { closeWaitingIncidents } from './incidents.js';

export interface EndedExecutionDeps {
  store: CaseStore;
  mailer: Mailer;
  statusLinks: StatusLinks;
  operationsEmail: string;
  /** Counts CaseFailed once, when this marks the case (as record-failure does). */
  count: CountCase;
  now?: Date;
}

/**
 * 'marked FAILED': the case was open and now shows why it ended; 'unregistered': no case was ever recorded
 * (operations are told all the same); 'left as it was': the case had already ended (cancelled — `cancel` stops
 * the execution itself —, failed through Record failure, completed …).
 */
export type EndedExecutionOutcome = { outcome: 'marked FAILED' | 'unregistered'; reason: string } | { outcome: 'left as it was'; status: CaseStatus };

/**
 * An execution of the procedure ended abnormally (core/ended-execution.ts). If its case is still open, the case
 * is marked FAILED with the reason, its waiting incidents are closed and operations are e-mailed once. Safe to
 * run again for the same execution: one event id, single-item conditional writes, mail-once.
 */
export async function recordEndedExecution(deps: EndedExecutionDeps, ended: EndedExecution): Promise<EndedExecutionOutcome> {
  const now = deps.now ?? new Date();
  const at = now.toISOString();
  const reason = endedExecutionReason(ended);
  const eventId = endedExecutionEventId(ended.executionArn);
  // The execution is gone, so no task token of the case is of use any more, whatever the case's status.
  await deps.store.forgetTaskTokens(ended.caseId);
  const record = await deps.store.getCase(ended.caseId);
  if (record) {
    try {
      const written = await deps.store.updateCaseIf(
        ended.caseId,
        { id: eventId, at, actor: { role: 'SYSTEM' }, action: 'CASE_FAILED', step: 'PROCEDURE', summary: `Wykonanie procedury zakończyło się nieprawidłowo (${ended.status}); sprawa nie będzie kontynuowana. ${reason}`, details: { executionStatus: ended.status } },
        { status: 'FAILED', failure: { step: 'PROCEDURE', reason, at }, endedAt: at },
        [...OPEN_CASE_STATUSES],
      );
      if (written === 'applied') deps.count('CaseFailed');
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      log.info('ended execution of a closed case', { caseId: ended.caseId, step: ended.status });
      return { outcome: 'left as it was', status: record.status };
    }
  } else {
    log.warn('ended execution of an unregistered case', { caseId: ended.caseId, step: ended.status });
  }
  await closeWaitingIncidents(deps.store, ended.caseId, reason, now);
  const marked = record ? await deps.store.getCase(ended.caseId) : undefined;
  const message = executionEndedEmail({
    caseId: ended.caseId,
    record: marked,
    status: ended.status,
    reason,
    executionArn: ended.executionArn,
    endedAt: new Date(ended.stopDate).toISOString(),
    to: deps.operationsEmail,
    statusUrl: deps.statusLinks(marked ?? { caseId: ended.caseId }),
  });
  // Not caught: if SES refuses, the invocation fails and is retried (the case is already marked), and the
  // function's Errors alarm reaches operations.
  await sendOnce(deps, ended.caseId, eventId, message, now);
  return { outcome: record ? 'marked FAILED' : 'unregistered', reason };
}
