import { ArnFormat, CfnOutput, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

export interface EmailSenderProps {
  /** The From address of every e-mail the procedure sends. */
  readonly address: string;
  /**
   * Create the SES domain identity for the sender's domain (DKIM records are output;
   * they must be published in DNS before SES sends).
   * @default false (the identity is managed outside this stack)
   */
  readonly createIdentity?: boolean;
}

/** The SES events the configuration set publishes: what record-delivery-event puts on the case. */
export const PUBLISHED_EMAIL_EVENTS = [
  ses.EmailSendingEvent.DELIVERY,
  ses.EmailSendingEvent.BOUNCE,
  ses.EmailSendingEvent.COMPLAINT,
  ses.EmailSendingEvent.REJECT,
  ses.EmailSendingEvent.DELIVERY_DELAY,
] as const;

/**
 * The SES sender of the procedure's e-mail, with the configuration set every message is sent with: it
 * publishes each message's delivery, bounces, complaints, rejection and delays to the account's default
 * EventBridge bus (the only bus SES publishes to), where lib/delivery-event-watch.ts routes them to
 * record-delivery-event, and keeps reputation metrics (Reputation.BounceRate / ComplaintRate).
 * `grantSend` allows ses:SendEmail (the mailer's only call: no SendRawEmail) only on the sender's identities (its domain and its
 * address) and the configuration set — SES authorises a send against the identity AND the configuration set
 * it names — and only with `ses:FromAddress` equal to the sender.
 */
export class EmailSender extends Construct {
  public readonly address: string;
  public readonly domain: string;
  /** ARNs of the SES identities the sender may be verified as (domain, address). */
  public readonly identityArns: string[];
  public readonly identity?: ses.EmailIdentity;
  public readonly configurationSet: ses.ConfigurationSet;
  public readonly configurationSetArn: string;

  public constructor(scope: Construct, id: string, props: EmailSenderProps) {
    super(scope, id);
    const at = props.address.lastIndexOf('@');
    if (at < 1 || at === props.address.length - 1) {
      throw new Error(`EmailSender: "${props.address}" is not an e-mail address`);
    }
    this.address = props.address;
    this.domain = props.address.slice(at + 1);

    const stack = Stack.of(this);
    const identityArn = (identity: string) =>
      stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.identityArns = [identityArn(this.domain), identityArn(this.address)];

    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', { reputationMetrics: true, sendingEnabled: true });
    this.configurationSetArn = stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: this.configurationSet.configurationSetName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.configurationSet.addEventDestination('DeliveryEvents', {
      destination: ses.EventDestination.eventBus(events.EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: [...PUBLISHED_EMAIL_EVENTS],
    });

    if (props.createIdentity === true) {
      this.identity = new ses.EmailIdentity(this, 'DomainIdentity', {
        identity: ses.Identity.domain(this.domain),
      });
      this.identity.dkimRecords.forEach((record, i) => {
        new CfnOutput(this, `DkimRecord${i + 1}`, {
          description: `DKIM CNAME record ${i + 1} to publish for ${this.domain}`,
          value: `${record.name} CNAME ${record.value}`,
        });
      });
    }
  }

  /** Allow `grantee` to send e-mail from this sender, and from nothing else. */
  public grantSend(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['ses:SendEmail'],
      resourceArns: [...this.identityArns, this.configurationSetArn],
      conditions: { StringEquals: { 'ses:FromAddress': this.address } },
    });
  }
}
