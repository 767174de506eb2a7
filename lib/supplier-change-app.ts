import { type App, CfnOutput, Fn } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { DeploymentConfig } from './config.js';
import { LinkPagesWebAclStack } from './link-pages-web-acl.js';
import { SupplierChangeStack, type SupplierChangeStackProps } from './supplier-change-stack.js';

/** CloudFront accepts only web ACLs created in this region. */
export const WEB_ACL_REGION = 'us-east-1';
/** The web ACL stack's output the product stack reads. */
const WEB_ACL_ARN_OUTPUT = 'WebAclArn';

export interface SupplierChangeStacks {
  readonly webAcl: LinkPagesWebAclStack;
  readonly product: SupplierChangeStack;
}

/**
 * The stacks of the product, as bin/app.ts deploys them and the tests synthesize them: the web ACL of the link pages
 * in us-east-1 (`<name>WebAcl`, which must be bootstrapped too), and everything else in the region of the deployment,
 * as before (env-agnostic). The product reads the web ACL's ARN with Fn::GetStackOutput from us-east-1: no custom
 * resource (what CDK's crossRegionReferences would add) and no export lock between the two stacks; the web ACL's
 * stack deploys first (the dependency), and the product's data stays in its own region.
 */
export function addSupplierChangeStacks(app: App, name: string, config: DeploymentConfig, props: Partial<Omit<SupplierChangeStackProps, 'config' | 'webAclArn'>> = {}): SupplierChangeStacks {
  const webAcl = new LinkPagesWebAclStack(app, `${name}WebAcl`, {
    env: { region: WEB_ACL_REGION },
    description: 'Zmiana dostawcy SD (MRPiPS): AWS WAF web ACL of the link pages (CloudFront requires us-east-1)',
    formPostsPerClient: config.formPostsPerClient,
    logRetention: config.logRetentionDays as RetentionDays,
  });
  new CfnOutput(webAcl, WEB_ACL_ARN_OUTPUT, { description: 'ARN of the link pages\' web ACL (read by the product stack)', value: webAcl.linkPages.arn });
  const product = new SupplierChangeStack(app, name, {
    description: 'Zmiana dostawcy SD (MRPiPS): notification, confirmations and collection changes as a Step Functions workflow',
    ...props,
    config,
    webAclArn: Fn.getStackOutput(webAcl.stackName, WEB_ACL_ARN_OUTPUT, WEB_ACL_REGION),
  });
  product.addStackDependency(webAcl, 'the distribution is associated with the web ACL');
  return { webAcl, product };
}
