import { Duration } from 'aws-cdk-lib';
import { Rule, type EventPattern } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/**
 * An EventBridge rule on the default bus that hands the matching events to one function. Delivery: EventBridge
 * invokes the function asynchronously and retries a failed delivery for up to a day; Lambda retries a failed
 * invocation twice (so the handler must be idempotent), and a failure after that shows in the function's Errors
 * alarm (lib/operations-monitoring.ts). The only permission is lambda:InvokeFunction for events.amazonaws.com from
 * this rule (the target adds it, with the rule as SourceArn).
 */
export class FunctionEventRule extends Construct {
  public readonly rule: Rule;

  public constructor(scope: Construct, id: string, props: { description: string; eventPattern: EventPattern; handler: IFunction }) {
    super(scope, id);
    this.rule = new Rule(this, 'Rule', { description: props.description, eventPattern: props.eventPattern });
    this.rule.addTarget(new LambdaFunction(props.handler, { retryAttempts: 185, maxEventAge: Duration.hours(24) }));
  }
}
