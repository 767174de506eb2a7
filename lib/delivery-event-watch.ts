import { Duration } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { DELIVERY_EVENT_TYPES } from '../lambdas/core/delivery-events.js';
import type { EmailSender } from './email-sender.js';

export interface DeliveryEventWatchProps {
  readonly sender: EmailSender;
  /** record-delivery-event: puts the event on its case. */
  readonly handler: IFunction;
}

/**
 * The EventBridge rule that hands SES's events for the sender's configuration set (delivery, bounce, complaint,
 * reject, delivery delay) to record-delivery-event. SES tags every event's message with
 * `ses:configuration-set`, so the rule takes only this stack's mail from the account's default bus.
 *
 * Why EventBridge rather than SNS: no topic to own, encrypt and restrict; the same delivery as the ended-execution
 * watch (asynchronous invocation, EventBridge retries a failed delivery for up to a day, Lambda twice more, then
 * the function's Errors alarm); the handler is idempotent, as at-least-once delivery requires.
 */
export class DeliveryEventWatch extends Construct {
  public readonly rule: Rule;

  public constructor(scope: Construct, id: string, props: DeliveryEventWatchProps) {
    super(scope, id);
    this.rule = new Rule(this, 'Rule', {
      description: "SES's delivery events of the procedure's e-mail: record them on the case, tell MRPiPS of an unreachable recipient",
      eventPattern: {
        source: ['aws.ses'],
        detailType: Object.values(DELIVERY_EVENT_TYPES),
        detail: { mail: { tags: { 'ses:configuration-set': [props.sender.configurationSet.configurationSetName] } } },
      },
    });
    this.rule.addTarget(new LambdaFunction(props.handler, { retryAttempts: 185, maxEventAge: Duration.hours(24) }));
  }
}
