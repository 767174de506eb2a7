import { type App, ReferenceStrength, Stack } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { DeploymentConfig } from './config.js';
import { LinkPagesWebAclStack } from './link-pages-web-acl.js';
import { SupplierChangeStack, type SupplierChangeStackProps } from './supplier-change-stack.js';

/** CloudFront accepts only web ACLs created in this region. */
export const WEB_ACL_REGION = 'us-east-1';

export interface SupplierChangeStacks {
  readonly webAcl: LinkPagesWebAclStack;
  readonly product: SupplierChangeStack;
}

/**
 * The stacks of the product, as bin/app.ts deploys them and the tests synthesize them: the web ACL of the link pages
 * in us-east-1 (`<name>WebAcl`), and everything else in the configured region (`region`, default eu-central-1), which
 * reads the web ACL's ARN across regions as a weak reference (Fn::GetStackOutput): no custom resource and no export
 * lock between the two, and the web ACL's stack deploys first. Both stacks have explicit regions, as cross-region
 * references require; the account is the CLI's (CDK_DEFAULT_ACCOUNT).
 */
export function addSupplierChangeStacks(app: App, name: string, config: DeploymentConfig, props: Partial<Omit<SupplierChangeStackProps, 'config' | 'webAclArn'>> = {}): SupplierChangeStacks {
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const webAcl = new LinkPagesWebAclStack(app, `${name}WebAcl`, {
    env: { account, region: WEB_ACL_REGION },
    description: 'Zmiana dostawcy SD (MRPiPS): AWS WAF web ACL of the link pages (CloudFront requires us-east-1)',
    formPostsPerClient: config.formPostsPerClient,
    logRetention: config.logRetentionDays as RetentionDays,
  });
  const product = new SupplierChangeStack(app, name, {
    description: 'Zmiana dostawcy SD (MRPiPS): notification, confirmations and collection changes as a Step Functions workflow',
    ...props,
    env: { account, region: config.region },
    config,
    webAclArn: Stack.consumeReference(webAcl.linkPages.arn, ReferenceStrength.WEAK),
  });
  return { webAcl, product };
}
