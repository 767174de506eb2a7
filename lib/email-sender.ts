import { ArnFormat, CfnOutput, Stack } from 'aws-cdk-lib';
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

/**
 * The SES sender of the procedure's e-mail. `grantSend` allows ses:SendEmail / ses:SendRawEmail
 * only on the sender's identities (its domain and its address) and only with
 * `ses:FromAddress` equal to the sender.
 */
export class EmailSender extends Construct {
  public readonly address: string;
  public readonly domain: string;
  /** ARNs of the SES identities the sender may be verified as (domain, address). */
  public readonly identityArns: string[];
  public readonly identity?: ses.EmailIdentity;

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
      actions: ['ses:SendEmail', 'ses:SendRawEmail'],
      resourceArns: this.identityArns,
      conditions: { StringEquals: { 'ses:FromAddress': this.address } },
    });
  }
}
