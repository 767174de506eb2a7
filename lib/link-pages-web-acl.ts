import { Arn, ArnFormat, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnLoggingConfiguration, CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { FORM_POST_PATHS, FORM_POST_RATE_WINDOW_SECONDS, RATE_LIMITED_ANSWER } from './link-page-routes.js';

export interface LinkPagesWebAclProps {
  /** Form POSTs one client address may make per FORM_POST_RATE_WINDOW_SECONDS before WAF refuses it (lib/config.ts formPostsPerClient). */
  readonly formPostsPerClient: number;
  readonly logRetention: RetentionDays;
}

const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({ metricName, cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true });
const exactPath = (path: string): CfnWebACL.StatementProperty => ({
  byteMatchStatement: { fieldToMatch: { uriPath: {} }, positionalConstraint: 'EXACTLY', searchString: path, textTransformations: [{ priority: 0, type: 'NONE' }] },
});

/**
 * AWS WAF in front of the link pages' CloudFront distribution (scope CLOUDFRONT):
 * - a rate-based rule per client IP on the form's POSTs (`POST /zgloszenie`, and `POST /`, which submits too): a client
 *   over the limit in WAF's window is answered RATE_LIMITED_ANSWER, while every other client still submits (API
 *   Gateway's route throttle is one bucket for all clients, which one client could empty);
 * - AWS's core rule set, with SizeRestrictions_BODY only counted: it blocks bodies over 8 KB, and the notification
 *   form legitimately posts up to 32 KB (MAX_FORM_BYTES), which notification-form bounds itself with its own 413 page;
 * - AWS's known-bad-inputs rule set (Log4j, Java deserialisation, exploitable paths): no false positives expected on
 *   these pages, and it costs no more capacity units than the ACL's included 1,500.
 * Every rule has CloudWatch metrics and sampled requests; full logs go to CloudWatch Logs with the query string
 * redacted (it carries the signed link fields).
 */
export class LinkPagesWebAcl extends Construct {
  public readonly webAcl: CfnWebACL;
  public readonly logs: LogGroup;

  public constructor(scope: Construct, id: string, props: LinkPagesWebAclProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (stack.region !== 'us-east-1') throw new Error(`LinkPagesWebAcl: a web ACL for CloudFront must be created in us-east-1, not ${stack.region}`);

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      description: 'Zmiana dostawcy SD: link pages - notification form, confirmation links, case status',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('LinkPages'),
      customResponseBodies: { [RATE_LIMITED_ANSWER.bodyKey]: { contentType: 'TEXT_HTML', content: RATE_LIMITED_ANSWER.body } },
      rules: [
        {
          name: 'FormPostsPerClient',
          priority: 0,
          action: {
            block: {
              customResponse: {
                responseCode: RATE_LIMITED_ANSWER.status,
                customResponseBodyKey: RATE_LIMITED_ANSWER.bodyKey,
                responseHeaders: Object.entries(RATE_LIMITED_ANSWER.headers).map(([name, value]) => ({ name, value })),
              },
            },
          },
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              limit: props.formPostsPerClient,
              evaluationWindowSec: FORM_POST_RATE_WINDOW_SECONDS,
              scopeDownStatement: {
                andStatement: {
                  statements: [
                    { byteMatchStatement: { fieldToMatch: { method: {} }, positionalConstraint: 'EXACTLY', searchString: 'POST', textTransformations: [{ priority: 0, type: 'NONE' }] } },
                    FORM_POST_PATHS.length === 1 ? exactPath(FORM_POST_PATHS[0]!) : { orStatement: { statements: FORM_POST_PATHS.map(exactPath) } },
                  ],
                },
              },
            },
          },
          visibilityConfig: visibility('FormPostsPerClient'),
        },
        {
          name: 'AWSManagedRulesCommonRuleSet',
          priority: 1,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: {
              vendorName: 'AWS',
              name: 'AWSManagedRulesCommonRuleSet',
              ruleActionOverrides: [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }],
            },
          },
          visibilityConfig: visibility('AWSManagedRulesCommonRuleSet'),
        },
        {
          name: 'AWSManagedRulesKnownBadInputsRuleSet',
          priority: 2,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' } },
          visibilityConfig: visibility('AWSManagedRulesKnownBadInputsRuleSet'),
        },
      ],
    });

    // WAF delivers only to log groups named aws-waf-logs-*, in the web ACL's region.
    this.logs = new LogGroup(this, 'Logs', {
      logGroupName: `aws-waf-logs-${stack.stackName}`.slice(0, 512),
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // The log group's ARN without the `:*` CloudWatch Logs grants use: WAF refuses that form.
      logDestinationConfigs: [Arn.format({ service: 'logs', resource: 'log-group', resourceName: this.logs.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack)],
      redactedFields: [{ queryString: {} }],
    });
  }

  public get arn(): string {
    return this.webAcl.attrArn;
  }
}

export interface LinkPagesWebAclStackProps extends StackProps, LinkPagesWebAclProps {}

/**
 * The web ACL of the link pages in a stack of its own: CloudFront takes only web ACLs created in us-east-1, while
 * the product's data and functions stay in the stack's own region (lib/supplier-change-app.ts).
 */
export class LinkPagesWebAclStack extends Stack {
  public readonly linkPages: LinkPagesWebAcl;

  public constructor(scope: Construct, id: string, props: LinkPagesWebAclStackProps) {
    super(scope, id, props);
    this.linkPages = new LinkPagesWebAcl(this, 'LinkPages', props);
  }
}
