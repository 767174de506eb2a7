import { endedExecutionPattern, type EndedExecutionPattern } from '../lib/ended-execution-pattern.js';
import type { ExecutionStatusChangeEvent, LocalLambda } from './stepfunctions/index.js';

/**
 * EventBridge's matching of the patterns the product deploys (lib/ended-execution-pattern.ts): every field named
 * in the pattern must hold one of its values (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html).
 */
export function matchesPattern(pattern: EndedExecutionPattern, event: ExecutionStatusChangeEvent): boolean {
  const detail = event.detail as unknown as Record<string, unknown>;
  return (
    pattern.source.includes(event.source) &&
    pattern.detailType.includes(event['detail-type']) &&
    Object.entries(pattern.detail).every(([key, values]) => values.includes(detail[key] as string))
  );
}

export interface LocalEventRules {
  /** The local Step Functions service's onExecutionStatusChange. */
  deliver(event: ExecutionStatusChangeEvent): void;
  /** Resolves when every delivery so far has finished (the stack waits for them before it stops DynamoDB and SES). */
  settled(): Promise<void>;
}

/**
 * The rules lib/ deploys on Step Functions' events, locally: the procedure's executions that ended FAILED,
 * TIMED_OUT or ABORTED go to record-ended-execution (lib/ended-execution-watch.ts), invoked asynchronously as
 * EventBridge does, so the execution never waits for it. A failed invocation is logged (on AWS Lambda retries
 * it twice and the function's Errors alarm reports it).
 */
export function localEventRules(procedureStateMachineArn: string, recordEndedExecution: LocalLambda): LocalEventRules {
  const pattern = endedExecutionPattern(procedureStateMachineArn);
  const inFlight = new Set<Promise<void>>();
  return {
    deliver(event) {
      if (!matchesPattern(pattern, event)) return;
      const delivery: Promise<void> = recordEndedExecution(event)
        .then(
          () => undefined,
          (error: unknown) => console.error(`record-ended-execution failed for ${event.detail.executionArn}:`, error),
        )
        .finally(() => inFlight.delete(delivery));
      inFlight.add(delivery);
    },
    async settled() {
      await Promise.all([...inFlight]);
    },
  };
}
