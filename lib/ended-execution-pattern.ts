import { ENDED_EXECUTION_STATUSES } from '../lambdas/core/ended-execution.js';

/**
 * The EventBridge pattern of the procedure's executions that ended abnormally: FAILED, TIMED_OUT or ABORTED
 * ("Step Functions Execution Status Change", https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html).
 * Plain data without CDK imports: the rule (lib/ended-execution-watch.ts) deploys it and the local stack routes
 * the local service's events with it (local/event-rules.ts), so both let the same events through.
 */
export interface EndedExecutionPattern {
  readonly source: string[];
  readonly detailType: string[];
  readonly detail: { readonly status: string[]; readonly stateMachineArn: string[] };
}

export function endedExecutionPattern(procedureStateMachineArn: string): EndedExecutionPattern {
  return {
    source: ['aws.states'],
    detailType: ['Step Functions Execution Status Change'],
    detail: { status: [...ENDED_EXECUTION_STATUSES], stateMachineArn: [procedureStateMachineArn] },
  };
}
