import { Duration } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { endedExecutionPattern } from './ended-execution-pattern.js';

export interface EndedExecutionWatchProps {
  readonly procedure: IStateMachine;
  /** record-ended-execution: marks the case FAILED and tells operations. */
  readonly handler: IFunction;
}

/**
 * The EventBridge rule that hands every execution of the procedure that ended FAILED, TIMED_OUT or ABORTED to
 * record-ended-execution, so a case is never left open by an execution that ended despite the incident loop.
 *
 * Delivery: EventBridge invokes the function asynchronously and retries a failed delivery for up to a day;
 * Lambda retries a failed invocation twice (the handler is idempotent), and a failure after that shows in the
 * function's Errors alarm (lib/operations-monitoring.ts). The only permission is lambda:InvokeFunction for
 * events.amazonaws.com from this rule (the target adds it, with the rule as SourceArn).
 */
export class EndedExecutionWatch extends Construct {
  public readonly rule: Rule;

  public constructor(scope: Construct, id: string, props: EndedExecutionWatchProps) {
    super(scope, id);
    this.rule = new Rule(this, 'Rule', {
      description: 'Procedure executions that ended FAILED, TIMED_OUT or ABORTED: mark the case FAILED, tell operations',
      eventPattern: endedExecutionPattern(props.procedure.stateMachineArn),
    });
    this.rule.addTarget(new LambdaFunction(props.handler, { retryAttempts: 185, maxEventAge: Duration.hours(24) }));
  }
}
