/**
 * Smoke check: the product's ASL files load through the local rewriter (not executed end to end here).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDefinitionFile, localLambdaArn, localStateMachineArn, startLocalStepFunctions } from '../../local/stepfunctions/index.js';
import { ACCOUNT, REGION } from './helpers.js';

const file = (name: string) => fileURLToPath(new URL(`../../statemachine/${name}.asl.json`, import.meta.url));
const procedure = file('procedure');
const confirmation = file('confirmation');

const FUNCTIONS = {
  RegisterCaseFunctionArn: 'register-case',
  RequestConfirmationFunctionArn: 'request-confirmation',
  EscalateStepFunctionArn: 'escalate-step',
  ApplyResponseFunctionArn: 'apply-response',
  ChangeCollectionStatesFunctionArn: 'change-collection-states',
  SendNoticeFunctionArn: 'send-notice',
  RecordFailureFunctionArn: 'record-failure',
  OpenIncidentFunctionArn: 'open-incident',
};
const substitutions: Record<string, string> = {
  ...Object.fromEntries(Object.entries(FUNCTIONS).map(([k, fn]) => [k, localLambdaArn(REGION, ACCOUNT, fn)])),
  ConfirmationStateMachineArn: localStateMachineArn(REGION, ACCOUNT, 'confirmation'),
};

describe('product ASL (statemachine/*.asl.json)', () => {
  it('both files load through the rewriter', () => {
    const proc = loadDefinitionFile('procedure', procedure, substitutions);
    const conf = loadDefinitionFile('confirmation', confirmation, substitutions);
    const kinds = (l: typeof proc) => new Set([...l.tasks.values()].map((t) => `${t.kind}/${t.mode}`));
    expect(kinds(proc)).toContain('start-execution/sync2');
    expect(kinds(proc)).toContain('lambda-invoke/request');
    const request = [...conf.tasks.values()].find((t) => t.mode === 'token');
    expect(request).toMatchObject({ kind: 'lambda-invoke', usesToken: true, timeoutFromInput: true });
    for (const l of [proc, conf]) {
      expect(l.definitionString).not.toMatch(/\$\{/);
    }
  });

  it('the service starts with both state machines', async () => {
    const noop = async () => ({});
    const local = await startLocalStepFunctions({
      region: REGION,
      accountId: ACCOUNT,
      stateMachines: [
        { name: 'procedure', definitionFile: procedure },
        { name: 'confirmation', definitionFile: confirmation },
      ],
      substitutions,
      lambdas: Object.fromEntries(Object.values(FUNCTIONS).map((fn) => [fn, noop])),
    });
    expect(local.stateMachineArn('procedure')).toBe(localStateMachineArn(REGION, ACCOUNT, 'procedure'));
    await local.close();
  });
});
