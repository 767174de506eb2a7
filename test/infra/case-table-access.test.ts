import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTION_NAMES, type ActionName } from '../../lib/procedure-functions.js';
import { resourcesOfType, type Synthesized, synthesize } from './synth.js';

/**
 * What each function does in the case table, written out here from its code paths (lambdas/<name>/index.ts, the
 * services and adapters it calls, lambdas/adapters/case-store.ts and send-schedule.ts for the keys), independently
 * of ACTION_NEEDS: partition key pattern → the DynamoDB actions on items of that partition. One row per function;
 * the synthesized policy must grant exactly this, a grant more or less fails.
 *
 *   CASE#*        the case, its timeline, steps (task tokens), e-mail markers, incidents
 *   COLLECTION#*  the CBB collection registry      COUNTER#*  the yearly case numbers
 *   SUBMISSION#*  form submissions                 LIMIT#*    rate-limit counters
 *   OUTBOX        the shared send schedule
 */
const GET = 'dynamodb:GetItem';
const QUERY = 'dynamodb:Query';
const PUT = 'dynamodb:PutItem';
const UPDATE = 'dynamodb:UpdateItem';
/** A case's own items, read and recorded on: getCase/getStep/mail marker reads, updateCase (update, entry put). */
const RECORDS_ON_CASE = [GET, PUT, UPDATE];

const NEEDS: Record<ActionName, Record<string, string[]>> = {
  // createCase (case and first entry, put if absent); no collection: they are taken when the contact confirms
  'register-case': { 'CASE#*': [PUT] },
  'request-confirmation': { 'CASE#*': RECORDS_ON_CASE },
  'escalate-step': { 'CASE#*': RECORDS_ON_CASE },
  // lockCollection of the old codes when the contact confirms, and of the new codes (the holder's GetItem on a conflict)
  'apply-response': { 'CASE#*': RECORDS_ON_CASE, 'COLLECTION#*': [GET, UPDATE] },
  'change-collection-states': { 'CASE#*': RECORDS_ON_CASE, 'COLLECTION#*': [UPDATE] },
  // releaseCollection of a rejected or unconfirmed notification, only of the codes it holds (getCollection); an ending removes the task tokens of the case's
  // steps and incidents (forgetTaskTokens queries them)
  'send-notice': { 'CASE#*': [GET, QUERY, PUT, UPDATE], 'COLLECTION#*': [GET, UPDATE] },
  // closeWaitingIncidents queries the case's incidents
  'record-failure': { 'CASE#*': [GET, QUERY, PUT, UPDATE] },
  'open-incident': { 'CASE#*': [GET, QUERY, PUT, UPDATE] },
  'record-ended-execution': { 'CASE#*': [GET, QUERY, PUT, UPDATE] },
  'record-delivery-event': { 'CASE#*': RECORDS_ON_CASE },
  // the sending rate's schedule, shared by concurrent invocations
  'send-email': { 'CASE#*': RECORDS_ON_CASE, OUTBOX: [GET, UPDATE] },
  // no case item: the case is written by register-case, which the procedure runs; collections only read (a code a
  // confirmed case holds is refused), never taken
  'notification-form': { 'SUBMISSION#*': [GET, UPDATE], 'LIMIT#*': [UPDATE], 'COUNTER#*': [UPDATE], 'COLLECTION#*': [GET] },
  // getCollection: whether a new code is taken, before the step is completed
  'confirmation-links': { 'CASE#*': RECORDS_ON_CASE, 'COLLECTION#*': [GET] },
  'case-status': { 'CASE#*': [GET, QUERY] },
};

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

let synth: Synthesized;
const logicalId = (construct: { node: { defaultChild?: unknown } }) => synth.stack.getLogicalId(construct.node.defaultChild as CfnElement);
const policies = () => resourcesOfType(synth.json, 'AWS::IAM::Policy');
function statementsOfRole(roleId: string): Statement[] {
  return policies()
    .filter(([, policy]) => (policy.Properties?.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId })))
    .flatMap(([, policy]) => policy.Properties?.PolicyDocument.Statement as Statement[]);
}

/** A function's DynamoDB grants as partition → actions; throws on a grant that is not confined to partitions of the table. */
function grantedByPartition(name: ActionName): Record<string, string[]> {
  const tableArn = { 'Fn::GetAtt': [logicalId(synth.stack.cases.table), 'Arn'] };
  const granted: Record<string, string[]> = {};
  for (const statement of statementsOfRole(logicalId(synth.stack.functions.byName[name].role!))) {
    const actions = list(statement.Action).filter((action) => action.startsWith('dynamodb:'));
    if (actions.length === 0) continue;
    expect(statement.Effect, name).toBe('Allow');
    expect(list(statement.Resource), `${name}: the table itself, no index or stream`).toEqual([tableArn]);
    expect(Object.keys(statement.Condition ?? {}), `${name}: confined by dynamodb:LeadingKeys only`).toEqual(['ForAllValues:StringLike']);
    const condition = statement.Condition!['ForAllValues:StringLike']!;
    expect(Object.keys(condition), name).toEqual(['dynamodb:LeadingKeys']);
    for (const partition of list(condition['dynamodb:LeadingKeys'] as string | string[])) (granted[partition] ??= []).push(...actions);
  }
  return Object.fromEntries(Object.entries(granted).map(([partition, actions]) => [partition, [...new Set(actions)].sort()]));
}

beforeAll(() => {
  synth = synthesize({ allowPlaceholderAddresses: true });
});

describe('the case table, function by function', () => {
  it.each(ACTION_NAMES)('%s: exactly the actions it calls, each on the key prefixes it uses', (name) => {
    const expected = Object.fromEntries(Object.entries(NEEDS[name]).map(([partition, actions]) => [partition, [...actions].sort()]));
    expect(grantedByPartition(name)).toEqual(expected);
  });

  it('reads and writes are granted in separate statements', () => {
    for (const name of ACTION_NAMES) {
      for (const statement of statementsOfRole(logicalId(synth.stack.functions.byName[name].role!))) {
        const actions = list(statement.Action).filter((action) => action.startsWith('dynamodb:'));
        const reads = actions.filter((action) => action === GET || action === QUERY);
        expect(reads.length === 0 || reads.length === actions.length, `${name}: ${actions.join(', ')}`).toBe(true);
      }
    }
  });

  it('no role but the functions gets DynamoDB, and no policy anywhere sends raw e-mail', () => {
    const functionRoles = new Set(ACTION_NAMES.map((name) => logicalId(synth.stack.functions.byName[name].role!)));
    for (const [policy, resource] of policies()) {
      const actions = (resource.Properties?.PolicyDocument.Statement as Statement[]).flatMap((statement) => list(statement.Action));
      expect(actions, policy).not.toContain('ses:SendRawEmail');
      expect(actions.filter((action) => /^(ses:\*|\*)$/.test(action)), policy).toEqual([]);
      const roles = (resource.Properties?.Roles as { Ref: string }[]).map((role) => role.Ref);
      if (roles.some((role) => !functionRoles.has(role))) expect(actions.filter((action) => action.startsWith('dynamodb:')), policy).toEqual([]);
    }
  });
});
