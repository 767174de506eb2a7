import { createHash } from 'node:crypto';
import { failureReason } from './incident.js';

/**
 * An execution of the procedure that ended abnormally despite the incident loop: TIMED_OUT (a Standard
 * execution's one-year limit), FAILED by an error no Catch can take (`States.Runtime`,
 * `States.DataLimitExceeded`), or ABORTED by StopExecution outside `cancel` (the console, say). Step Functions
 * reports it on EventBridge ("Step Functions Execution Status Change"); record-ended-execution marks the case.
 */
export const ENDED_EXECUTION_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;
export type EndedExecutionStatus = (typeof ENDED_EXECUTION_STATUSES)[number];

export interface EndedExecution {
  caseId: string;
  executionArn: string;
  status: EndedExecutionStatus;
  /** Epoch milliseconds, as EventBridge reports it. */
  stopDate: number;
  error?: string;
  cause?: string;
}

/** "the execution ended TIMED_OUT", with `: <error>: <cause>` when Step Functions gave them (a timeout has none). */
export function endedExecutionReason(ended: Pick<EndedExecution, 'status' | 'error' | 'cause'>): string {
  const what = ended.error || ended.cause ? `: ${failureReason({ Error: ended.error, Cause: ended.cause })}` : '';
  return `the execution ended ${ended.status}${what}`;
}

/** One event id per execution: a redelivered event (EventBridge and Lambda deliver at least once) is the same. */
export function endedExecutionEventId(executionArn: string): string {
  return `execution-ended:${createHash('sha256').update(executionArn).digest('hex').slice(0, 16)}`;
}
