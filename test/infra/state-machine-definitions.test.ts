import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { ACTION_NAMES, type ActionName } from '../../lib/procedure-functions.js';
import {
  CONFIRMATION_INVOKES,
  CONFIRMATION_STATE_MACHINE_SUBSTITUTION,
  functionArnSubstitution,
  PROCEDURE_INVOKES,
} from '../../lib/procedure-state-machines.js';
import { readStagedAsset, type Synthesized, synthesize } from './synth.js';

type AslValidator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

const MACHINES = {
  procedure: { file: 'procedure.asl.json', invokes: PROCEDURE_INVOKES, startsChild: true },
  confirmation: { file: 'confirmation.asl.json', invokes: CONFIRMATION_INVOKES, startsChild: false },
} as const;
type Machine = keyof typeof MACHINES;
const MACHINE_NAMES = Object.keys(MACHINES) as Machine[];

/**
 * Service integrations whose IAM the ProcedureStateMachines construct grants (both Lambda integrations need only
 * lambda:InvokeFunction; the procedure waits for a token in its incident states, as the child does in its own).
 */
const GRANTED_TASK_RESOURCES: Record<Machine, string[]> = {
  procedure: ['arn:aws:states:::lambda:invoke', 'arn:aws:states:::lambda:invoke.waitForTaskToken', 'arn:aws:states:::states:startExecution.sync:2'],
  confirmation: ['arn:aws:states:::lambda:invoke', 'arn:aws:states:::lambda:invoke.waitForTaskToken'],
};

const dummyFunctionArn = (name: ActionName) => `arn:aws:lambda:eu-central-1:123456789012:function:zmiana-sd-${name}`;
const DUMMY_CONFIRMATION_ARN = 'arn:aws:states:eu-central-1:123456789012:stateMachine:zmiana-sd-confirmation';
const DUMMIES: Record<string, string> = {
  ...Object.fromEntries(ACTION_NAMES.map((name) => [functionArnSubstitution(name), dummyFunctionArn(name)])),
  [CONFIRMATION_STATE_MACHINE_SUBSTITUTION]: DUMMY_CONFIRMATION_ARN,
};

const aslText = (machine: Machine) => readFileSync(join(PROJECT_ROOT, 'statemachine', MACHINES[machine].file), 'utf8');
const placeholders = (text: string) => [...new Set([...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!))].sort();
/** What CloudFormation does with DefinitionSubstitutions. */
const substitute = (text: string, values: Record<string, string>) =>
  text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => values[name] ?? whole);

/** All states, including those nested in Parallel branches and Map item processors. */
function allStates(definition: any): [string, any][] {
  const states = Object.entries((definition?.States ?? {}) as Record<string, any>);
  return states.flatMap(([name, state]) => [
    [name, state] as [string, any],
    ...((state.Branches ?? []) as unknown[]).flatMap(allStates),
    ...allStates(state.ItemProcessor ?? state.Iterator),
  ]);
}

let synth: Synthesized;
const smProps = (machine: Machine) =>
  synth.json.Resources[synth.stack.getLogicalId(synth.stack.stateMachines[machine].node.defaultChild as CfnElement)]!.Properties!;

beforeAll(() => {
  // GIVEN the app with default context
  // WHEN it is synthesized
  synth = synthesize({ allowPlaceholderAddresses: true });
});

describe.each(MACHINE_NAMES)('%s state machine definition', (machine) => {
  it('is deployed from the ASL file in statemachine/ (DefinitionS3Location asset, not an inline string)', () => {
    // THEN
    const props = smProps(machine);
    expect(props.DefinitionString).toBeUndefined();
    const staged = readStagedAsset(synth.outdir, props.DefinitionS3Location.Key as string);
    expect(staged).toBe(aslText(machine));
  });

  it('gets a substitution for every ${...} placeholder in the ASL file, and no other', () => {
    // GIVEN
    const expected = [
      ...MACHINES[machine].invokes.map(functionArnSubstitution),
      ...(MACHINES[machine].startsChild ? [CONFIRMATION_STATE_MACHINE_SUBSTITUTION] : []),
    ].sort();
    // THEN
    expect(placeholders(aslText(machine))).toEqual(expected);
    expect(Object.keys(smProps(machine).DefinitionSubstitutions as object).sort()).toEqual(expected);
  });

  it('substitutes function ARNs of the right functions and the child state machine ARN', () => {
    // THEN
    const fnArn = (name: ActionName) => ({
      'Fn::GetAtt': [synth.stack.getLogicalId(synth.stack.functions.byName[name].node.defaultChild as CfnElement), 'Arn'],
    });
    const expected: Record<string, unknown> = Object.fromEntries(
      MACHINES[machine].invokes.map((name) => [functionArnSubstitution(name), fnArn(name)]),
    );
    if (MACHINES[machine].startsChild) {
      expected[CONFIRMATION_STATE_MACHINE_SUBSTITUTION] = {
        Ref: synth.stack.getLogicalId(synth.stack.stateMachines.confirmation.node.defaultChild as CfnElement),
      };
    }
    expect(smProps(machine).DefinitionSubstitutions).toEqual(expected);
  });

  it('leaves no ${ placeholder once the substitutions are applied', () => {
    // GIVEN the synthesized substitution names with well-formed dummy ARNs
    const values = Object.fromEntries(Object.keys(smProps(machine).DefinitionSubstitutions as object).map((k) => [k, DUMMIES[k]!]));
    // WHEN
    const resolved = substitute(aslText(machine), values);
    // THEN
    expect(resolved).not.toContain('${');
    expect(() => JSON.parse(resolved)).not.toThrow();
  });

  it('is valid Amazon States Language (asl-validator, paths and ARNs checked)', () => {
    // GIVEN
    const definition = JSON.parse(substitute(aslText(machine), DUMMIES)) as unknown;
    // WHEN
    const result = aslValidator(definition, { checkPaths: true, checkArn: true });
    // THEN
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('only uses service integrations whose permissions are granted, with substituted targets', () => {
    // GIVEN
    const definition = JSON.parse(aslText(machine)) as unknown;
    const tasks = allStates(definition).filter(([, state]) => state.Type === 'Task');
    // THEN
    expect(tasks.length).toBeGreaterThan(0);
    for (const [name, task] of tasks) {
      expect(GRANTED_TASK_RESOURCES[machine], name).toContain(task.Resource);
      if (String(task.Resource).includes(':lambda:')) {
        expect(task.Parameters?.FunctionName, name).toMatch(/^\$\{[A-Za-z]+FunctionArn\}$/);
      } else {
        expect(task.Parameters?.StateMachineArn, name).toBe(`\${${CONFIRMATION_STATE_MACHINE_SUBSTITUTION}}`);
      }
    }
  });
});
