import { getGrantReasons, runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { AwsCall, Principal } from './recorder.js';

/**
 * The principals' identity policies from the synthesized template, resolved to the local stack's names and ARNs,
 * and each recorded call evaluated against them with an IAM policy simulator (@cloud-copilot/iam-simulate, a
 * test-only dependency: local/ is never bundled into a function).
 */

/** What a resource of the template is in the local stack. */
export type LocalResource =
  | { kind: 'function'; name: string }
  | { kind: 'state-machine'; name: string }
  | { kind: 'log-group'; name: string }
  | { kind: 'secret'; name: string }
  | { kind: 'table' }
  | { kind: 'queue'; queue: 'outbox' | 'dead-letter' }
  | { kind: 'configuration-set' };

export interface TemplateStatement {
  /** Logical id of the AWS::IAM::Policy, and the statement's place in it. */
  policy: string;
  index: number;
  effect: 'Allow' | 'Deny';
  actions: string[];
  /** As synthesized: strings or intrinsic functions. */
  resources: unknown[];
  condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyTemplate {
  principals: Partial<Record<Principal, TemplateStatement[]>>;
  /** Logical id → what it is locally. */
  resources: Record<string, LocalResource>;
}

/** The local stack's names, which the template's tokens resolve to. */
export interface LocalNames {
  region: string;
  account: string;
  tableName: string;
  queueNames: Record<'outbox' | 'dead-letter', string>;
  configurationSetName: string;
}

export interface ResolvedStatement extends Omit<TemplateStatement, 'resources' | 'condition'> {
  resources: string[];
  condition?: Record<string, Record<string, string | string[]>>;
}

export type ResolvedPolicies = Partial<Record<Principal, ResolvedStatement[]>>;

/** Resolves every intrinsic function of the policies; a token it cannot resolve throws, naming it. */
export function resolvePolicies(template: PolicyTemplate, names: LocalNames): ResolvedPolicies {
  const resolve = (value: unknown): string => resolveToken(value, template.resources, names);
  const resolved: ResolvedPolicies = {};
  for (const [principal, statements] of Object.entries(template.principals) as [Principal, TemplateStatement[]][]) {
    resolved[principal] = statements.map(({ resources, condition, ...rest }) => ({
      ...rest,
      resources: resources.map(resolve),
      ...(condition
        ? {
            condition: Object.fromEntries(
              Object.entries(condition).map(([operator, keys]) => [operator, Object.fromEntries(Object.entries(keys).map(([key, value]) => [key, Array.isArray(value) ? value.map(resolve) : resolve(value)]))]),
            ),
          }
        : {}),
    }));
  }
  return resolved;
}

function resolveToken(value: unknown, resources: PolicyTemplate['resources'], names: LocalNames): string {
  const again = (v: unknown) => resolveToken(v, resources, names);
  const arn = (service: string, resource: string) => `arn:aws:${service}:${names.region}:${names.account}:${resource}`;
  if (typeof value === 'string') return value;
  const fail = (why: string): never => {
    throw new Error(`IAM check: cannot resolve ${JSON.stringify(value)} in a policy: ${why}`);
  };
  if (typeof value !== 'object' || value === null) return fail('not a string or an intrinsic function');
  const [fn, args] = Object.entries(value)[0] ?? [];
  const local = (logicalId: unknown) => resources[logicalId as string] ?? fail(`${String(logicalId)} is not a resource the local stack has a name for (local/iam/template.ts)`);
  switch (fn) {
    case 'Ref': {
      const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': names.region, 'AWS::AccountId': names.account, 'AWS::URLSuffix': 'amazonaws.com' };
      if (typeof args === 'string' && pseudo[args]) return pseudo[args];
      const resource = local(args);
      // What Ref returns for each type (CloudFormation's "Return values").
      switch (resource.kind) {
        case 'state-machine':
          return arn('states', `stateMachine:${resource.name}`);
        case 'secret':
          return arn('secretsmanager', `secret:${resource.name}`);
        case 'table':
          return names.tableName;
        case 'configuration-set':
          return names.configurationSetName;
        case 'function':
        case 'log-group':
          return resource.name;
        case 'queue':
          return fail('a queue\'s Ref is its URL, which no policy names');
      }
      break;
    }
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = args as [string, string];
      if (attribute !== 'Arn') return fail(`attribute ${attribute}`);
      const resource = local(logicalId);
      switch (resource.kind) {
        case 'function':
          return arn('lambda', `function:${resource.name}`);
        case 'state-machine':
          return arn('states', `stateMachine:${resource.name}`);
        case 'log-group':
          return arn('logs', `log-group:${resource.name}:*`);
        case 'table':
          return arn('dynamodb', `table/${names.tableName}`);
        case 'queue':
          return arn('sqs', names.queueNames[resource.queue]);
        default:
          return fail(`Arn of a ${resource.kind}`);
      }
    }
    case 'Fn::Join': {
      const [separator, parts] = args as [string, unknown[]];
      return parts.map(again).join(separator);
    }
    case 'Fn::Select': {
      const [index, list] = args as [number | string, unknown];
      const items = Array.isArray(list) ? list.map(again) : splitOf(list, again);
      return items[Number(index)] ?? fail(`index ${index} of ${items.length}`);
    }
    case 'Fn::Sub': {
      const [text, variables = {}] = (typeof args === 'string' ? [args] : args) as [string, Record<string, unknown>?];
      return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
        if (name in variables) return again(variables[name]);
        return name.includes('.') ? again({ 'Fn::GetAtt': name.split('.') }) : again({ Ref: name });
      });
    }
  }
  return fail(`${String(fn)} is not an intrinsic function the IAM check resolves`);
}

function splitOf(value: unknown, resolve: (v: unknown) => string): string[] {
  const split = (value as { 'Fn::Split'?: [string, unknown] })['Fn::Split'];
  if (!split) return resolve(value).split(',');
  return resolve(split[1]).split(split[0]);
}

/**
 * Actions AWS authorises against a resource its Service Authorization Reference does not list, so the simulator's
 * validation (which follows that reference) would refuse the request: Step Functions authorises the task-token
 * calls against the state machine of the token's execution — its AccessDenied names `…:stateMachine:…`
 * (NOAA-OWP/hydrovis#837), and CDK's grantTaskResponse grants them there after testing it (aws/aws-cdk#8486).
 */
const TOKEN_ACTIONS = new Set(['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat']);

export interface Denial {
  call: AwsCall;
  result: string;
  /** The statements that grant this action to the principal (what was expected to allow it), or none. */
  expected: string[];
}

export interface Evaluation {
  denials: Denial[];
  /** Grants (`grantKey`) that allowed at least one call. */
  used: Set<string>;
}

/** A grant: one action of one statement on one of its resources (as written in the template). */
export const grantKey = (principal: Principal, statement: Pick<TemplateStatement, 'policy' | 'index'>, action: string, resourceIndex: number): string =>
  `${principal}|${statement.policy}#${statement.index}|${action}|${resourceIndex}`;

const ACCOUNT_ROLE = (account: string, principal: Principal) => `arn:aws:iam::${account}:role/${principal.replace(':', '-')}`;

/** IAM's wildcard match (`*`, `?`), case-sensitive for resources, not for actions. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/** Evaluates each call against its principal's policies: the denials, and which grants were used. */
export async function evaluateCalls(policies: ResolvedPolicies, calls: Iterable<AwsCall>, account: string): Promise<Evaluation> {
  const denials: Denial[] = [];
  const used = new Set<string>();
  for (const call of calls) {
    const statements = policies[call.principal];
    if (!statements) {
      denials.push({ call, result: 'no such principal in the template', expected: [] });
      continue;
    }
    const granting = statements.filter((s) => s.effect === 'Allow' && s.actions.some((a) => wildcardMatch(a, call.action, true)));
    for (const statement of granting) {
      const keys = Object.values(statement.condition ?? {}).flatMap((entries) => Object.keys(entries));
      const missing = keys.filter((key) => !(key in call.context));
      if (missing.length) throw new Error(`IAM check: ${call.principal}'s ${call.action} is granted under ${missing.join(', ')}, which local/iam/recorder.ts does not record for it`);
    }
    const simulation: Simulation = {
      identityPolicies: [{ name: call.principal, policy: { Version: '2012-10-17', Statement: statements.map(toPolicyStatement) } }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: { action: call.action, principal: ACCOUNT_ROLE(account, call.principal), resource: { resource: call.resource, accountId: account }, contextVariables: call.context },
    } as Simulation;
    let result: string;
    // The statements that allowed the call: those whose action matches, narrowed to those the simulator names (a
    // statement of the same action whose condition did not hold, another partition of the table, allowed nothing).
    let allowing = granting;
    if (TOKEN_ACTIONS.has(call.action)) result = runUnsafeSimulation(simulation, {});
    else {
      const answer = await runSimulation(simulation, {});
      result = answer.resultType === 'error' ? `simulator refused the request: ${JSON.stringify(answer.errors)}` : answer.overallResult;
      if (answer.resultType === 'single') {
        const sids = new Set(getGrantReasons(answer.result.analysis).map((grant) => grant.statementId));
        allowing = granting.filter((statement) => sids.has(sidOf(statement)));
      }
    }
    if (result !== 'Allowed') {
      denials.push({ call, result, expected: granting.map((s) => `${s.policy} statement ${s.index}: ${s.actions.join(', ')} on ${s.resources.join(', ')}${s.condition ? ` if ${JSON.stringify(s.condition)}` : ''}`) });
      continue;
    }
    for (const statement of allowing)
      statement.resources.forEach((resource, index) => {
        if (wildcardMatch(resource, call.resource)) for (const action of statement.actions) if (wildcardMatch(action, call.action, true)) used.add(grantKey(call.principal, statement, action, index));
      });
  }
  return { denials, used };
}

/** A statement's Sid in the simulated policy, unique across the principal's policies (which the simulator names in its grants). */
const sidOf = (statement: ResolvedStatement): string => `${statement.policy}S${statement.index}`;

function toPolicyStatement(statement: ResolvedStatement): Record<string, unknown> {
  return { Sid: sidOf(statement), Effect: statement.effect, Action: statement.actions, Resource: statement.resources, ...(statement.condition ? { Condition: statement.condition } : {}) };
}

/** A denial as a test failure names it. */
export function describeDenial({ call, result, expected }: Denial): string {
  return (
    `${call.principal} may not ${call.action} on ${call.resource} (${result}; context ${JSON.stringify(call.context)}); ` +
    (expected.length ? `expected to be allowed by ${expected.join('; ')}` : 'no statement grants that action')
  );
}

export interface UnusedGrant {
  principal: Principal;
  action: string;
  resource: string;
  /** The statement's condition, when it has one (a grant on one partition of the case table: dynamodb:LeadingKeys). */
  condition?: ResolvedStatement['condition'];
  /** Why it stays although no test used it (KEPT_GRANTS), or undefined: remove it. */
  kept?: string;
}

/** Every grant no call used, with the reason it is kept where there is one. */
export function unusedGrants(policies: ResolvedPolicies, used: Set<string>, kept: readonly KeptGrant[]): UnusedGrant[] {
  const unused: UnusedGrant[] = [];
  for (const [principal, statements] of Object.entries(policies) as [Principal, ResolvedStatement[]][])
    for (const statement of statements)
      if (statement.effect === 'Allow')
        statement.resources.forEach((resource, index) => {
          for (const action of statement.actions) {
            if (used.has(grantKey(principal, statement, action, index))) continue;
            const why = kept.find(
              (k) => wildcardMatch(k.principal, principal) && wildcardMatch(k.action, action, true) && (!k.resource || wildcardMatch(k.resource, resource)) && (!k.leadingKeys || leadingKeysOf(statement).includes(k.leadingKeys)),
            )?.why;
            unused.push({ principal, action, resource, ...(statement.condition ? { condition: statement.condition } : {}), ...(why ? { kept: why } : {}) });
          }
        });
  return unused;
}

export interface KeptGrant {
  /** Wildcard patterns (`function:*`), matched against the principal, the action and the resolved resource. */
  principal: string;
  action: string;
  resource?: string;
  /** The case table's partition the statement is confined to, as written (`CASE#*`): the grant on that partition only. */
  leadingKeys?: string;
  why: string;
}

/** The dynamodb:LeadingKeys patterns a statement is confined to (none when it is not). */
function leadingKeysOf(statement: ResolvedStatement): string[] {
  return Object.values(statement.condition ?? {}).flatMap((keys) => [keys['dynamodb:LeadingKeys'] ?? []].flat());
}
