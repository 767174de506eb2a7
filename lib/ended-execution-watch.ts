import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { endedExecutionPattern } from './ended-execution-pattern.js';
import { FunctionEventRule } from './function-event-rule.js';

export interface EndedExecutionWatchProps {
  readonly procedure: IStateMachine;
  /** record-ended-execution: marks the case FAILED and tells operations. */
  readonly handler: IFunction;
}

/**
 * The EventBridge rule that hands every execution of the procedure that ended FAILED, TIMED_OUT or ABORTED to
 * record-ended-execution, so a case is never left open by an execution that ended despite the incident loop
 * (delivery and permission: FunctionEventRule).
 */
export class EndedExecutionWatch extends FunctionEventRule {
  public constructor(scope: Construct, id: string, props: EndedExecutionWatchProps) {
    super(scope, id, {
      description: 'Procedure executions that ended FAILED, TIMED_OUT or ABORTED: mark the case FAILED, tell operations',
      eventPattern: endedExecutionPattern(props.procedure.stateMachineArn),
      handler: props.handler,
    });
  }
}
