import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { DELIVERY_EVENT_TYPES } from '../lambdas/core/delivery-events.js';
import type { EmailSender } from './email-sender.js';
import { FunctionEventRule } from './function-event-rule.js';

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
 * Why EventBridge rather than SNS: no topic to own, encrypt and restrict, and the same delivery as the
 * ended-execution watch (FunctionEventRule); the handler is idempotent, as at-least-once delivery requires.
 */
export class DeliveryEventWatch extends FunctionEventRule {
  public constructor(scope: Construct, id: string, props: DeliveryEventWatchProps) {
    super(scope, id, {
      description: "SES's delivery events of the procedure's e-mail: record them on the case, tell MRPiPS of an unreachable recipient",
      eventPattern: {
        source: ['aws.ses'],
        detailType: Object.values(DELIVERY_EVENT_TYPES),
        detail: { mail: { tags: { 'ses:configuration-set': [props.sender.configurationSet.configurationSetName] } } },
      },
      handler: props.handler,
    });
  }
}
