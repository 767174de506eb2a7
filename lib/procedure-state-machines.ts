import { join } from 'node:path';
import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PROJECT_ROOT } from './paths.js';
import { type ActionName, pascalCase } from './procedure-functions.js';

/** Lambda actions each state machine invokes (and may invoke: nothing else is granted). */
export const PROCEDURE_INVOKES = [
  'register-case',
  'apply-response',
  'change-collection-states',
  'send-notice',
  'open-incident',
  'record-failure',
] as const satisfies readonly ActionName[];
export const CONFIRMATION_INVOKES = ['request-confirmation', 'escalate-step', 'open-incident', 'record-failure'] as const satisfies readonly ActionName[];

/** `${<Action>FunctionArn}` substitution name of an action, e.g. RegisterCaseFunctionArn. */
export const functionArnSubstitution = (name: ActionName): string => `${pascalCase(name)}FunctionArn`;
export const CONFIRMATION_STATE_MACHINE_SUBSTITUTION = 'ConfirmationStateMachineArn';

/** Name of the EventBridge managed rule Step Functions uses for `.sync` child executions. */
export const SYNC_EVENTS_RULE_NAME = 'StepFunctionsGetEventsForStepFunctionsExecutionRule';

export interface ProcedureStateMachinesProps {
  /** The functions the state machines call; only those listed in PROCEDURE_INVOKES / CONFIRMATION_INVOKES are used. */
  readonly functions: Readonly<Record<ActionName, IFunction>>;
  readonly logRetention: RetentionDays;
  /**
   * Directory holding procedure.asl.json and confirmation.asl.json.
   * @default <project>/statemachine
   */
  readonly stateMachineDir?: string;
}

/**
 * The two STANDARD state machines, from the ASL files in statemachine/ with definitionSubstitutions:
 * `confirmation` (child: one participant confirmation) and `procedure` (parent, runs a child per step).
 *
 * `DefinitionBody.fromFile` derives no permissions, so each role is granted exactly what its ASL calls:
 * lambda:InvokeFunction on its own functions (their unqualified ARNs, which the ASL invokes: none of grantInvoke's
 * `:*` for versions and aliases), and for the parent the
 * `states:startExecution.sync:2` set on the child (StartExecution on the child, Describe/StopExecution
 * on the child's executions, the managed EventBridge rule).
 *
 * Logging: level ALL (every state transition, useful to follow a case over weeks) but
 * includeExecutionData false, because inputs/outputs carry personal data (names, e-mail addresses).
 * X-Ray tracing enabled.
 */
export class ProcedureStateMachines extends Construct {
  public readonly procedure: sfn.StateMachine;
  public readonly confirmation: sfn.StateMachine;

  public constructor(scope: Construct, id: string, props: ProcedureStateMachinesProps) {
    super(scope, id);
    const dir = props.stateMachineDir ?? join(PROJECT_ROOT, 'statemachine');
    const stack = Stack.of(this);

    const invokeSubstitutions = (names: readonly ActionName[]) =>
      Object.fromEntries(names.map((name) => [functionArnSubstitution(name), props.functions[name].functionArn]));

    // ---- confirmation (child) ----
    this.confirmation = this.stateMachine('Confirmation', {
      file: join(dir, 'confirmation.asl.json'),
      substitutions: invokeSubstitutions(CONFIRMATION_INVOKES),
      logRetention: props.logRetention,
    });
    this.allowInvoke(this.confirmation, CONFIRMATION_INVOKES, props.functions);

    // ---- procedure (parent) ----
    this.procedure = this.stateMachine('Procedure', {
      file: join(dir, 'procedure.asl.json'),
      substitutions: {
        ...invokeSubstitutions(PROCEDURE_INVOKES),
        [CONFIRMATION_STATE_MACHINE_SUBSTITUTION]: this.confirmation.stateMachineArn,
      },
      logRetention: props.logRetention,
    });
    this.allowInvoke(this.procedure, PROCEDURE_INVOKES, props.functions);

    // states:startExecution.sync:2 on the child — what CDK's StepFunctionsStartExecution task would grant.
    const childName = stack.splitArn(this.confirmation.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
    this.confirmation.grantStartExecution(this.procedure);
    this.procedure.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [
          stack.formatArn({
            service: 'states',
            resource: 'execution',
            resourceName: `${childName}:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    this.procedure.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [stack.formatArn({ service: 'events', resource: 'rule', resourceName: SYNC_EVENTS_RULE_NAME })],
      }),
    );
  }

  private allowInvoke(machine: sfn.StateMachine, names: readonly ActionName[], functions: ProcedureStateMachinesProps['functions']): void {
    machine.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: names.map((name) => functions[name].functionArn) }));
  }

  private stateMachine(
    id: string,
    options: { file: string; substitutions: Record<string, string>; logRetention: RetentionDays },
  ): sfn.StateMachine {
    const logGroup = new LogGroup(this, `${id}Logs`, {
      // The /aws/vendedlogs/ prefix keeps the account's CloudWatch Logs resource policy small.
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-${id}`,
      retention: options.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return new sfn.StateMachine(this, id, {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(options.file),
      definitionSubstitutions: options.substitutions,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
  }
}
