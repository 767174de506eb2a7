import type { LocalFunctionName } from './functions.js';

/** The state machines' Lambda tasks: the ASL's substitution name and the function it invokes. */
export const STATE_MACHINE_ACTIONS = [
  ['RegisterCaseFunctionArn', 'register-case'],
  ['RequestConfirmationFunctionArn', 'request-confirmation'],
  ['EscalateStepFunctionArn', 'escalate-step'],
  ['ApplyResponseFunctionArn', 'apply-response'],
  ['ChangeCollectionStatesFunctionArn', 'change-collection-states'],
  ['SendNoticeFunctionArn', 'send-notice'],
  ['OpenIncidentFunctionArn', 'open-incident'],
  ['RecordFailureFunctionArn', 'record-failure'],
] as const satisfies readonly (readonly [string, LocalFunctionName])[];

/** The functions the state machines invoke: the ones the fault layer's 'lambda' rules apply to. */
export const STATE_MACHINE_FUNCTIONS = STATE_MACHINE_ACTIONS.map(([, name]) => name);
export type StateMachineFunction = (typeof STATE_MACHINE_FUNCTIONS)[number];
