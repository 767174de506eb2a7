import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN_VERIFICATION_HEADER, VIEWER_ADDRESS_HEADER } from '../../lambdas/core/edge.js';
import { ConfigError, CONTEXT_DEFAULTS, parseConfig } from '../../lib/config.js';
import { FORM_POST_RATE_WINDOW_SECONDS, RATE_LIMITED_ANSWER } from '../../lib/link-page-routes.js';
import { ACTION_NAMES } from '../../lib/procedure-functions.js';
import { resourcesOfType, type Synthesized, synthesize } from './synth.js';

// CloudFront and AWS WAF in front of the link pages (lib/link-pages-distribution.ts, lib/link-pages-web-acl.ts,
// lib/supplier-change-app.ts): what the template must hold for one client not to deny the form to everyone, and for
// nobody to reach the API except through them.
let synth: Synthesized;
const PAGE_FUNCTIONS = ['notification-form', 'confirmation-links', 'case-status'] as const;
const logicalId = (construct: IConstruct): string => synth.stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
const distributionConfig = () => resourcesOfType(synth.json, 'AWS::CloudFront::Distribution')[0]![1].Properties!.DistributionConfig;

beforeAll(() => {
  synth = synthesize({ allowPlaceholderAddresses: true });
});

describe('LinkPagesWebAcl (us-east-1)', () => {
  it('GIVEN the app WHEN synthesized THEN the web ACL is in its own stack in us-east-1 with scope CLOUDFRONT, and the product stack deploys after it', () => {
    // THEN
    expect(synth.webAclStack.region).toBe('us-east-1');
    synth.webAclTemplate.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
    expect(synth.stack.dependencies).toContain(synth.webAclStack);
  });

  it('GIVEN the default context THEN one rate-based rule counts each client IP\'s form POSTs (POST / and POST /zgloszenie) over 5 minutes and answers the 429 page', () => {
    // THEN
    synth.webAclTemplate.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        Match.objectLike({
          Name: 'FormPostsPerClient',
          Priority: 0,
          Action: { Block: { CustomResponse: Match.objectLike({ ResponseCode: 429, CustomResponseBodyKey: RATE_LIMITED_ANSWER.bodyKey }) } },
          Statement: {
            RateBasedStatement: {
              AggregateKeyType: 'IP',
              Limit: CONTEXT_DEFAULTS.formPostsPerClient,
              EvaluationWindowSec: FORM_POST_RATE_WINDOW_SECONDS,
              ScopeDownStatement: {
                AndStatement: {
                  Statements: [
                    { ByteMatchStatement: Match.objectLike({ FieldToMatch: { Method: {} }, PositionalConstraint: 'EXACTLY', SearchString: 'POST' }) },
                    {
                      OrStatement: {
                        Statements: ['/', '/zgloszenie'].map((path) => ({ ByteMatchStatement: Match.objectLike({ FieldToMatch: { UriPath: {} }, PositionalConstraint: 'EXACTLY', SearchString: path }) })),
                      },
                    },
                  ],
                },
              },
            },
          },
          VisibilityConfig: { CloudWatchMetricsEnabled: true, MetricName: 'FormPostsPerClient', SampledRequestsEnabled: true },
        }),
      ]),
    });
    const body = synth.webAclTemplate.toJSON().Resources;
    const acl = Object.values(body as Record<string, { Type: string; Properties: Record<string, any> }>).find((r) => r.Type === 'AWS::WAFv2::WebACL')!;
    expect(acl.Properties.CustomResponseBodies[RATE_LIMITED_ANSWER.bodyKey]).toEqual({ ContentType: 'TEXT_HTML', Content: expect.stringContaining('Zbyt wiele żądań') });
    const headers = acl.Properties.Rules[0].Action.Block.CustomResponse.ResponseHeaders as { Name: string; Value: string }[];
    expect(headers).toContainEqual({ Name: 'strict-transport-security', Value: 'max-age=63072000; includeSubDomains' });
    expect(headers).toContainEqual({ Name: 'retry-after', Value: '300' });
  });

  it('GIVEN formPostsPerClient in the context THEN the rule takes it; below WAF\'s minimum of 10 it is refused', () => {
    // WHEN
    const strict = synthesize({ allowPlaceholderAddresses: true, formPostsPerClient: '12' });
    // THEN
    strict.webAclTemplate.hasResourceProperties('AWS::WAFv2::WebACL', { Rules: Match.arrayWith([Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ Limit: 12 }) } })]) });
    expect(() => parseConfig((key) => ({ allowPlaceholderAddresses: 'true', formPostsPerClient: '9' })[key])).toThrow(ConfigError);
    expect(() => parseConfig((key) => ({ allowPlaceholderAddresses: 'true', formPostsPerClient: '9' })[key])).toThrow('context "formPostsPerClient": must be at least 10');
  });

  it('GIVEN the managed rules THEN the core rule set only counts SizeRestrictions_BODY (the form posts up to 32 KB), and known bad inputs block', () => {
    // THEN
    synth.webAclTemplate.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        Match.objectLike({
          Name: 'AWSManagedRulesCommonRuleSet',
          OverrideAction: { None: {} },
          Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet', RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }] } },
          VisibilityConfig: Match.objectLike({ CloudWatchMetricsEnabled: true }),
        }),
        Match.objectLike({
          Name: 'AWSManagedRulesKnownBadInputsRuleSet',
          OverrideAction: { None: {} },
          Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' } },
        }),
      ]),
    });
  });

  it('GIVEN WAF logging THEN it goes to an aws-waf-logs- log group with retention, the query string (signed link fields) redacted', () => {
    // THEN
    synth.webAclTemplate.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: Match.stringLikeRegexp('^aws-waf-logs-'), RetentionInDays: CONTEXT_DEFAULTS.logRetentionDays });
    synth.webAclTemplate.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', { RedactedFields: [{ QueryString: {} }] });
  });
});

describe('LinkPagesDistribution', () => {
  it('GIVEN the distribution THEN its one origin is the HTTP API, over HTTPS only with TLS 1.2, viewers redirected to HTTPS, and the web ACL read from us-east-1', () => {
    // THEN
    const config = distributionConfig();
    expect(config.Origins).toHaveLength(1);
    expect(config.Origins[0].DomainName).toEqual({ 'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': [logicalId(synth.stack.linkPages.httpApi), 'ApiEndpoint'] }] }] });
    expect(config.Origins[0].CustomOriginConfig).toEqual({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.WebACLId).toEqual({ 'Fn::GetStackOutput': { StackName: synth.webAclStack.stackName, Region: 'us-east-1', OutputName: 'WebAclArn' } });
    expect(synth.webAclTemplate.toJSON().Outputs.WebAclArn.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^LinkPagesWebAcl/), 'Arn'] });
  });

  it('GIVEN the pages THEN nothing is cached (CachingDisabled) and every method the routes take passes', () => {
    // THEN
    const behavior = distributionConfig().DefaultCacheBehavior;
    expect(behavior.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // the managed CachingDisabled policy
    expect([...behavior.AllowedMethods].sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
  });

  it('GIVEN the origin request policy THEN it forwards the query string, the headers the pages read and CloudFront-Viewer-Address, never Host or cookies', () => {
    // THEN
    synth.template.hasResourceProperties('AWS::CloudFront::OriginRequestPolicy', {
      OriginRequestPolicyConfig: Match.objectLike({
        QueryStringsConfig: { QueryStringBehavior: 'all' },
        CookiesConfig: { CookieBehavior: 'none' },
        HeadersConfig: { HeaderBehavior: 'whitelist', Headers: Match.arrayWith(['content-type', 'user-agent', VIEWER_ADDRESS_HEADER]) },
      }),
    });
    const headers = resourcesOfType(synth.json, 'AWS::CloudFront::OriginRequestPolicy')[0]![1].Properties!.OriginRequestPolicyConfig.HeadersConfig.Headers as string[];
    expect(headers).not.toContain('host');
    expect(distributionConfig().DefaultCacheBehavior.OriginRequestPolicyId).toEqual({ Ref: logicalId(synth.stack.edge.originRequests) });
  });

  it('GIVEN the response-headers policy THEN every answer gets HSTS for at least a year with subdomains, and the pages\' security headers', () => {
    // THEN
    synth.template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          StrictTransportSecurity: { AccessControlMaxAgeSec: Match.anyValue(), IncludeSubdomains: true, Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
          ContentSecurityPolicy: { ContentSecurityPolicy: Match.stringLikeRegexp("^default-src 'none'"), Override: true },
        }),
        CustomHeadersConfig: { Items: [{ Header: 'cache-control', Value: 'no-store', Override: true }] },
      }),
    });
    const policy = resourcesOfType(synth.json, 'AWS::CloudFront::ResponseHeadersPolicy')[0]![1].Properties!.ResponseHeadersPolicyConfig;
    expect(policy.SecurityHeadersConfig.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(365 * 86_400);
    expect(distributionConfig().DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual({ Ref: logicalId(synth.stack.edge.responseHeaders) });
  });

  it('GIVEN the origin-verification header THEN its value is a dynamic reference to a generated secret, and no value of it is in the template', () => {
    // THEN
    const secretId = logicalId(synth.stack.edge.originSecret);
    expect(distributionConfig().Origins[0].OriginCustomHeaders).toEqual([
      { HeaderName: ORIGIN_VERIFICATION_HEADER, HeaderValue: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']] } },
    ]);
    expect(synth.json.Resources[secretId]!.Properties).toMatchObject({ GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true } });
    expect(synth.json.Resources[secretId]!.Properties).not.toHaveProperty('SecretString');
    // No literal header value anywhere: every mention of the header's value is the dynamic reference.
    expect(JSON.stringify(synth.json)).not.toMatch(/x-origin-verification","HeaderValue":"/);
  });

  it('GIVEN the origin secret THEN exactly the three page functions may read it (GetSecretValue only) and know its ARN', () => {
    // THEN
    const secretRef = { Ref: logicalId(synth.stack.edge.originSecret) };
    const readers = resourcesOfType(synth.json, 'AWS::IAM::Policy').flatMap(([, policy]) =>
      (policy.Properties!.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[])
        .filter((statement) => JSON.stringify(statement.Resource) === JSON.stringify(secretRef))
        .map((statement) => ({ roles: policy.Properties!.Roles as unknown[], statement })),
    );
    const roleOf = (name: (typeof ACTION_NAMES)[number]) => ({ Ref: logicalId(synth.stack.functions.byName[name].role!) });
    expect(readers.map(({ roles }) => JSON.stringify(roles)).sort()).toEqual(PAGE_FUNCTIONS.map((name) => JSON.stringify([roleOf(name)])).sort());
    for (const { statement } of readers) expect(statement).toEqual({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secretRef });
    for (const name of ACTION_NAMES) {
      const env = synth.json.Resources[logicalId(synth.stack.functions.byName[name])]!.Properties!.Environment.Variables as Record<string, unknown>;
      expect(env.ORIGIN_VERIFICATION_SECRET_ARN, name).toEqual((PAGE_FUNCTIONS as readonly string[]).includes(name) ? secretRef : undefined);
    }
  });
});
