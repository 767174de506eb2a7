import type { KeptGrant } from './policies.js';

/**
 * Grants no test uses that stay, each with the reason: what needs them on AWS that the local stack does not run.
 * The run's report of unused grants (test/iam/global-setup.ts) names the reason beside each; a grant unused and
 * not listed here should be removed from lib/.
 */
export const KEPT_GRANTS: readonly KeptGrant[] = [
  {
    principal: 'function:*',
    action: 'logs:*',
    why: "Lambda's runtime writes the function's log group with its role; the local stack runs the handlers without it",
  },
  {
    principal: '*',
    action: 'xray:*',
    why: 'active tracing: Lambda and Step Functions send the X-Ray segments with the role; not modelled locally',
  },
  {
    principal: 'state-machine:*',
    action: 'logs:*',
    why: "Step Functions delivers the state machine's logs to its log group with these (CDK's logging grant), set up when it is created or updated",
  },
  {
    principal: 'function:*',
    action: 'secretsmanager:GetSecretValue',
    why:
      'on AWS the link-signing keys (LINK_KEYS_SECRET_ARN), the status-link keys (STATUS_KEYS_SECRET_ARN), the form-token keys ' +
      '(FORM_KEYS_SECRET_ARN) and the page functions\' origin-verification value (ORIGIN_VERIFICATION_SECRET_ARN) are read from ' +
      'Secrets Manager; locally they come from LINK_SIGNING_KEYS, STATUS_LINK_KEYS, FORM_TOKEN_KEYS and ORIGIN_VERIFICATION_VALUE (local/edge.ts)',
  },
  {
    principal: 'function:send-email',
    action: 'ses:SendEmail',
    resource: 'arn:aws:ses:*:*:identity/*@*',
    why: "SES authorises a send against the address's own identity when the address itself is verified (the identities are managed outside the stack unless createDomainIdentity); locally the domain's identity is the one modelled",
  },
  {
    principal: 'function:send-email',
    action: 'sqs:GetQueueAttributes',
    why: "Lambda's event source mapping reads the queue's attributes with the function's role when it is created (CDK's SqsEventSource grant); the local poller does not",
  },
  {
    principal: 'function:send-email',
    action: 'sqs:GetQueueUrl',
    why: "part of CDK's SqsEventSource grant for Lambda's pollers (grantConsumeMessages); the local poller is given the queue's URL",
  },
  {
    principal: 'function:send-email',
    action: 'sqs:ChangeMessageVisibility',
    why: "part of CDK's SqsEventSource grant for Lambda's pollers (grantConsumeMessages), which may change a received message's visibility; the local poller leaves it to time out",
  },
  {
    principal: 'function:apply-response',
    action: 'dynamodb:GetItem',
    leadingKeys: 'COLLECTION#*',
    why: "lockCollection reads who holds a new code when its conditional write fails: another case took the code between the link page's check and this action, a race the tests do not play",
  },
  {
    principal: 'function:record-failure',
    action: 'dynamodb:GetItem',
    leadingKeys: 'CASE#*',
    why: "it reads the step only for the step's own Record failure state (below), and the case's applied events only after a conditional write failed (a retried invocation); the tests drive neither",
  },
  {
    principal: 'state-machine:confirmation',
    action: 'lambda:InvokeFunction',
    resource: '*:function:record-failure',
    why: "the step's own Record failure state (an incident inside a step whose wait runs out, or that cannot resume): the tests end such cases in the parent's",
  },
];
