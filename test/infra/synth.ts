import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseConfig } from '../../lib/config.js';
import { addSupplierChangeStacks } from '../../lib/supplier-change-app.js';
import type { LinkPagesWebAclStack } from '../../lib/link-pages-web-acl.js';
import type { SupplierChangeStack } from '../../lib/supplier-change-stack.js';

/**
 * Shared synthesis for the infra tests: one App per call, without esbuild bundling
 * (`aws:cdk:bundling-stacks: []`, what `cdk deploy -e` uses for other stacks) so a synth
 * takes about a second; the real bundling is exercised by the CLI synth test.
 */
export interface Synthesized {
  readonly stack: SupplierChangeStack;
  readonly template: Template;
  /** The web ACL's stack in us-east-1 and its template. */
  readonly webAclStack: LinkPagesWebAclStack;
  readonly webAclTemplate: Template;
  /** The synthesized CloudFormation template as plain JSON. */
  readonly json: CfnTemplate;
  /** Cloud assembly directory (staged assets live here). */
  readonly outdir: string;
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

export interface SynthOptions {
  /**
   * Register cdk-nag's AwsSolutions pack as a policy-validation plugin (cdk-nag v3), as `-c nag=true` does in
   * bin/app.ts: synthesis then fails on any finding that is not acknowledged.
   */
  readonly nag?: boolean;
  /** @default 'SupplierChangeStack' (bin/app.ts) */
  readonly stackName?: string;
}

/**
 * Synthesizes bin/app.ts's stack with this context. Like a deployment's synth it refuses placeholder addresses (the
 * defaults of senderEmail and voivodeshipAdmins among them): a test that keeps them passes
 * `allowPlaceholderAddresses: true` itself.
 */
export function synthesize(context: Record<string, unknown>, options: SynthOptions = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'zmiana-sd-infra-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...context } });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const config = parseConfig((key) => app.node.tryGetContext(key));
  const { product: stack, webAcl: webAclStack } = addSupplierChangeStacks(app, options.stackName ?? 'SupplierChangeStack', config);
  const assembly = app.synth();
  const json = assembly.getStackByName(stack.stackName).template as CfnTemplate;
  const webAclTemplate = Template.fromJSON(assembly.getStackByName(webAclStack.stackName).template as CfnTemplate);
  return { stack, template: Template.fromJSON(json), json, outdir: assembly.directory, webAclStack, webAclTemplate };
}

/** Reads a file asset staged in the cloud assembly from its S3 object key. */
export function readStagedAsset(outdir: string, objectKey: string): string {
  return readFileSync(join(outdir, `asset.${objectKey}`), 'utf8');
}

/** Logical ids of the resources of a type. */
export function resourcesOfType(json: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}
