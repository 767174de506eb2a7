import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { SupplierChangeStack } from './supplier-change-stack.js';

/**
 * cdk-nag (v3, a CDK policy-validation plugin) findings of the AwsSolutions pack that are intended, each
 * acknowledged on the narrowest construct it concerns with the reason it is accepted. Everything else the pack
 * reports is fixed in the constructs themselves (encrypted TLS-only SNS topic with a rotating key, access logs,
 * log retention, PITR, function roles without AWS managed policies, ...); test/infra/operations.test.ts runs the
 * pack and fails on any finding left.
 *
 * IAM5 findings are acknowledged per finding (`AwsSolutions-IAM5[Resource::…]`), never for the rule as a whole,
 * so a new wildcard on the same policy is still reported.
 */
export interface NagAcknowledgement {
  /** Construct path the acknowledgement is recorded on (it covers that construct and its children). */
  readonly path: string;
  /** Rule id, with the finding in brackets for granular IAM findings. */
  readonly id: string;
  readonly reason: string;
}

const XRAY_FUNCTION_REASON =
  'X-Ray active tracing of the function: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level ' +
  'permissions, the service requires Resource "*" (these two actions are the only statement on "*" in this policy).';
const STATE_MACHINE_STAR_REASON =
  'Resource "*" is required by the services: X-Ray tracing of the state machine (xray:PutTraceSegments, PutTelemetryRecords, ' +
  'GetSamplingRules, GetSamplingTargets) and Step Functions logging to CloudWatch Logs (logs:CreateLogDelivery, GetLogDelivery, ' +
  'UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups), ' +
  'none of which support resource-level permissions. These are the only statements on "*" in this policy.';
const CHILD_EXECUTIONS_REASON =
  'states:DescribeExecution and states:StopExecution on the executions of the confirmation state machine, as the ' +
  'startExecution.sync:2 integration requires: child execution names (<case id>-<STEP>-<round>) are only known at run time, ' +
  'so the wildcard is the execution name within that one state machine.';
const PUBLIC_PAGES_REASON =
  'The link pages are public by design: the JST fills in the notification form without an account, and officials act through ' +
  'the signed links e-mailed to them. Every confirmation and status request is authorised by its HMAC-SHA256 signature ' +
  '(bound to case, step, role, recipient and expiry, one-time via the stored link-id hash); the form is throttled at the ' +
  'route, rate-limited per client address by AWS WAF and limited per client address by the form. There is no user directory to authorise against.';
const SIGNING_KEY_ROTATION_REASON =
  'The link-signing keys rotate by the documented manual procedure (README "Rotating the link key"): add k2, make it current, ' +
  'keep k1 until links it signed have expired (the response timeout; status links while their case runs and statusLinkDaysAfterEnd, 30 by default, after). Secrets Manager rotation replaces ' +
  'the secret value, which would invalidate every outstanding e-mailed link at once; no rotation Lambda can keep old keys ' +
  'verifying without reimplementing that procedure.';
const FORM_KEY_ROTATION_REASON =
  'The form-token keys rotate by key id as the link keys do (lib/signing-keys-secret.ts): add k2, make it current, drop k1 a day ' +
  'later. Secrets Manager rotation replaces the secret value, which would refuse every form opened before it.';

const ORIGIN_SECRET_ROTATION_REASON =
  'The origin-verification value is resolved into the distribution\'s origin header when CloudFormation updates the distribution; ' +
  'a scheduled rotation would change the secret without updating CloudFront, and every page would answer 403 until the next ' +
  'deployment that touches the distribution. It is changed by hand with such a deployment (the functions read the new value within five minutes).';
const DISTRIBUTION_LOGS_REASON =
  'CloudFront standard logs record every request\'s query string, which carries the signed link fields (case, step, link id, signature); ' +
  'the project keeps them out of every log. Requests are logged without it by AWS WAF (query string redacted, every request) and by the ' +
  'HTTP API\'s access log (route key, status, no query string).';
const DEFAULT_CERTIFICATE_REASON =
  'The distribution uses its default *.cloudfront.net certificate, whose viewer TLS policy CloudFront fixes (TLSv1) and no property can ' +
  'raise; a minimum of TLSv1.2_2021 needs a custom domain with an ACM certificate in us-east-1 (publicBaseUrl), which is outside this stack.';
const NO_GEO_RESTRICTION_REASON =
  'Participants are Polish officials and suppliers, but a supplier\'s staff or an official may open a link from abroad (travel, a foreign ' +
  'supplier\'s office): a geographic block would lock them out of a step they must confirm. WAF\'s rules and the signed links protect the pages instead.';

/** Logical id of a construct's CloudFormation resource. */
const logicalIdOf = (construct: IConstruct): string => Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

/** The DefaultPolicy (AWS::IAM::Policy) CDK attaches a role's grants to. */
function defaultPolicyOf(role: IRole | undefined, what: string): IConstruct {
  const policy = role?.node.tryFindChild('DefaultPolicy');
  if (!policy) throw new Error(`nag acknowledgements: ${what} has no DefaultPolicy`);
  return policy;
}

/** Record the acknowledgements on the stack's constructs and return them (for the tests and the report). */
export function acknowledgeNagFindings(stack: SupplierChangeStack): NagAcknowledgement[] {
  const acknowledged: NagAcknowledgement[] = [];
  const acknowledge = (construct: IConstruct, id: string, reason: string) => {
    Validations.of(construct).acknowledge({ id, reason });
    acknowledged.push({ path: construct.node.path, id, reason });
  };

  // Functions: only X-Ray is on "*" (the log group, table, secret, sender and state machines are granted by ARN).
  for (const fn of Object.values(stack.functions.byName)) {
    acknowledge(defaultPolicyOf(fn.role, fn.node.path), 'AwsSolutions-IAM5[Resource::*]', XRAY_FUNCTION_REASON);
  }

  // State machines: X-Ray and log delivery on "*", the child's executions.
  const machines: [string, IRole][] = [
    ['confirmation', stack.stateMachines.confirmation.role],
    ['procedure', stack.stateMachines.procedure.role],
  ];
  for (const [name, role] of machines) acknowledge(defaultPolicyOf(role, `state machine ${name}`), 'AwsSolutions-IAM5[Resource::*]', STATE_MACHINE_STAR_REASON);
  const child = logicalIdOf(stack.stateMachines.confirmation);
  acknowledge(
    defaultPolicyOf(stack.stateMachines.procedure.role, 'state machine procedure'),
    // How cdk-nag flattens the ARN ProcedureStateMachines builds from the child's name (Fn::Select of its ARN).
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${child}"}]}]}:*]`,
    CHILD_EXECUTIONS_REASON,
  );

  // The public link pages (every route of the HTTP API).
  acknowledge(stack.linkPages.httpApi, 'AwsSolutions-APIG4', PUBLIC_PAGES_REASON);

  // The edge: CloudFront's origin header value, logs, certificate and reach.
  acknowledge(stack.edge.originSecret, 'AwsSolutions-SMG4', ORIGIN_SECRET_ROTATION_REASON);
  acknowledge(stack.edge.distribution, 'AwsSolutions-CFR3', DISTRIBUTION_LOGS_REASON);
  acknowledge(stack.edge.distribution, 'AwsSolutions-CFR4', DEFAULT_CERTIFICATE_REASON);
  acknowledge(stack.edge.distribution, 'AwsSolutions-CFR1', NO_GEO_RESTRICTION_REASON);

  // The link-signing keys: manual rotation that keeps old keys verifying.
  acknowledge(stack.signingKeys.secret, 'AwsSolutions-SMG4', SIGNING_KEY_ROTATION_REASON);
  acknowledge(stack.statusKeys.secret, 'AwsSolutions-SMG4', SIGNING_KEY_ROTATION_REASON);
  acknowledge(stack.formKeys.secret, 'AwsSolutions-SMG4', FORM_KEY_ROTATION_REASON);

  return acknowledged;
}
