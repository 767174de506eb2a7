import { Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { SupplierChangeStack } from '../../lib/supplier-change-stack.js';
import type { LocalResource, PolicyTemplate, TemplateStatement } from './policies.js';
import type { Principal } from './recorder.js';

/**
 * The identity policies of every principal of a synthesized stack, as the template has them (intrinsic functions
 * unresolved), and what each resource they name is in the local stack. The test run synthesises once
 * (test/iam/global-setup.ts, with the infra tests' synthesis).
 */
export function policyTemplateOf(stack: SupplierChangeStack, resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>): PolicyTemplate {
  const id = (construct: IConstruct) => Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
  const local: Record<string, LocalResource> = {};
  const roles = new Map<string, Principal>();
  for (const [name, fn] of Object.entries(stack.functions.byName)) {
    local[id(fn)] = { kind: 'function', name };
    local[id(fn.logGroup)] = { kind: 'log-group', name: `/aws/lambda/${name}` };
    roles.set(id(fn.role!), `function:${name}`);
  }
  for (const [name, machine] of [['procedure', stack.stateMachines.procedure], ['confirmation', stack.stateMachines.confirmation]] as const) {
    local[id(machine)] = { kind: 'state-machine', name };
    roles.set(id(machine.role), `state-machine:${name}`);
  }
  local[id(stack.cases.table)] = { kind: 'table' };
  local[id(stack.outbox.queue)] = { kind: 'queue', queue: 'outbox' };
  local[id(stack.outbox.deadLetterQueue)] = { kind: 'queue', queue: 'dead-letter' };
  local[id(stack.sender.configurationSet)] = { kind: 'configuration-set' };
  // Not served locally (the keys come from LINK_SIGNING_KEYS and STATUS_LINK_KEYS): named so their grants can still be listed.
  local[id(stack.signingKeys.secret)] = { kind: 'secret', name: 'link-signing-keys' };
  local[id(stack.formKeys.secret)] = { kind: 'secret', name: 'form-token-keys' };
  // Likewise CloudFront's origin-verification value (local/edge.ts passes it as ORIGIN_VERIFICATION_VALUE).
  local[id(stack.edge.originSecret)] = { kind: 'secret', name: 'origin-verification' };
  local[id(stack.statusKeys.secret)] = { kind: 'secret', name: 'status-link-keys' };

  const principals: PolicyTemplate['principals'] = {};
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::IAM::Role' && roles.has(logicalId)) {
      // Only the DefaultPolicy CDK writes is evaluated: anything else attached to a principal's role must be added here.
      if (resource.Properties?.ManagedPolicyArns || resource.Properties?.Policies) throw new Error(`Role ${logicalId} of ${roles.get(logicalId)} has managed or inline policies the IAM check does not evaluate`);
    }
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const document = resource.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] };
    for (const role of resource.Properties!.Roles as { Ref?: string }[]) {
      const principal = role.Ref && roles.get(role.Ref);
      if (!principal) continue;
      const statements = (principals[principal] ??= []);
      document.Statement.forEach((statement, index) => statements.push(statementOf(logicalId, index, statement)));
    }
  }
  for (const principal of roles.values()) if (!principals[principal]) throw new Error(`No identity policy found for ${principal}`);
  return { principals, resources: local };
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

function statementOf(policy: string, index: number, statement: Record<string, unknown>): TemplateStatement {
  if (statement.NotAction || statement.NotResource) throw new Error(`${policy} statement ${index}: NotAction/NotResource are not evaluated by the IAM check`);
  return {
    policy,
    index,
    effect: statement.Effect as 'Allow' | 'Deny',
    actions: list(statement.Action as string | string[]),
    resources: list(statement.Resource),
    ...(statement.Condition ? { condition: statement.Condition as TemplateStatement['condition'] } : {}),
  };
}
