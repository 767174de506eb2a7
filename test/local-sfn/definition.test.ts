import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { loadDefinitionFile, loadDefinitionText, startLocalStepFunctions } from '../../local/stepfunctions/index.js';
import { TOKEN_PLACEHOLDER } from '../../local/stepfunctions/definition.js';
import { ACCOUNT, REGION, client, fixture, makeWorld, waitForExecution } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'local-sfn-'));
const write = (name: string, def: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, typeof def === 'string' ? def : JSON.stringify(def));
  return file;
};

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

describe('loading and substitutions', () => {
  it('names every unresolved ${...} placeholder', async () => {
    const world = makeWorld();
    const { ChildStateMachineArn: _drop, RequestFunctionArn: _drop2, ...partial } = world.substitutions;
    await expect(
      startLocalStepFunctions({
        region: REGION,
        accountId: ACCOUNT,
        stateMachines: [
          { name: 'parent', definitionFile: fixture('parent.asl.json') },
          { name: 'child', definitionFile: fixture('child.asl.json') },
        ],
        substitutions: partial,
        lambdas: world.lambdas,
      }),
    ).rejects.toThrow(/Unresolved substitution\(s\) in .*parent\.asl\.json: \$\{ChildStateMachineArn\}/);
    expect(() => loadDefinitionFile('child', fixture('child.asl.json'), partial)).toThrow('${RequestFunctionArn}');
  });

  it('rejects unsupported resources, a waitForTaskToken without token, invalid ASL and JSONata', () => {
    const task = (extra: object) =>
      JSON.stringify({ StartAt: 'T', States: { T: { Type: 'Task', End: true, ...extra } } });
    expect(() => loadDefinitionText('x', task({ Resource: 'arn:aws:states:::dynamodb:putItem', Parameters: {} }), {})).toThrow(
      /unsupported Task resource "arn:aws:states:::dynamodb:putItem"/,
    );
    expect(() =>
      loadDefinitionText('x', task({ Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Parameters: { FunctionName: 'f' } }), {}),
    ).toThrow(/must pass \$\$\.Task\.Token/);
    expect(() => loadDefinitionText('x', JSON.stringify({ StartAt: 'Nope', States: {} }), {})).toThrow(/invalid/i);
    expect(() =>
      loadDefinitionText('x', JSON.stringify({ QueryLanguage: 'JSONata', StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }), {}),
    ).toThrow();
  });

  it('rewrites the task adaptation (timeouts, token placeholder, context paths)', () => {
    const loaded = loadDefinitionFile('child', fixture('child.asl.json'), makeWorld().substitutions, { retryIntervalScale: 0.5 });
    const states = loaded.definition.States as Record<string, Record<string, unknown>>;
    const req = states['Request confirmation'];
    expect(req.TimeoutSecondsPath).toBeUndefined();
    expect(req.TimeoutSeconds).toBe(2147483);
    expect(req.Parameters).toMatchObject({
      Payload: {
        taskToken: TOKEN_PLACEHOLDER,
        'execution.$': '$$.LocalExecution.Name',
        'link.$': `States.Format('https://example.test/c?t={}', '${TOKEN_PLACEHOLDER}')`,
      },
      '__localTimeoutSeconds.$': '$.timing.responseTimeoutSeconds',
    });
    expect((req.Retry as { IntervalSeconds: number }[])[0].IntervalSeconds).toBe(1.5);
    expect(loaded.tasks.get('Request confirmation')).toMatchObject({ kind: 'lambda-invoke', mode: 'token', usesToken: true, timeoutFromInput: true });
    expect(loaded.tasks.get('Escalate')).toMatchObject({ kind: 'lambda-function', functionName: 'escalate-step', wrappedInput: false });
    // the file on disk / DescribeStateMachine keep the ASL as written
    expect(JSON.parse(loaded.definitionString).States['Request confirmation'].TimeoutSecondsPath).toBe('$.timing.responseTimeoutSeconds');
  });
});

describe('library quirks are neutralised', () => {
  it('ResultPath "$", falsy Pass Result, IsPresent false, $$.Execution inside Map iterations', async () => {
    const file = write('quirks.asl.json', {
      StartAt: 'Replace',
      States: {
        Replace: { Type: 'Pass', Parameters: { 'items.$': '$.items', replaced: true }, ResultPath: '$', Next: 'Zero' },
        Zero: { Type: 'Pass', Result: 0, ResultPath: '$.zero', Next: 'Absent?' },
        'Absent?': {
          Type: 'Choice',
          Choices: [{ Variable: '$.missing', IsPresent: false, Next: 'Absent' }],
          Default: 'Present',
        },
        Present: { Type: 'Fail', Error: 'WrongBranch' },
        Absent: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemSelector: { 'value.$': '$$.Map.Item.Value', 'execName.$': '$$.Execution.Name' },
          ItemProcessor: {
            StartAt: 'Echo',
            States: { Echo: { Type: 'Pass', Parameters: { 'v.$': '$.value', 'n.$': '$.execName', 'inp.$': '$$.Execution.Input' }, End: true } },
          },
          ResultPath: '$.mapped',
          End: true,
        },
      },
    });
    const local = await startLocalStepFunctions({
      region: REGION,
      accountId: ACCOUNT,
      stateMachines: [{ name: 'quirks', definitionFile: file }],
      substitutions: {},
      lambdas: {},
    });
    closers.push(() => local.close());
    const sfn = client(local.endpoint);
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('quirks'), name: 'q1', input: '{"items":[1,2]}' }),
    );
    const done = await waitForExecution(sfn, executionArn!);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({
      items: [1, 2],
      replaced: true,
      zero: 0,
      mapped: [
        { v: 1, n: 'q1', inp: { items: [1, 2] } },
        { v: 2, n: 'q1', inp: { items: [1, 2] } },
      ],
    });
    sfn.destroy();
  });
});

describe('execution timeout and close()', () => {
  it('a state machine TimeoutSeconds ends the execution TIMED_OUT; close() aborts what still runs', async () => {
    const file = write('timeout.asl.json', {
      TimeoutSeconds: 1,
      StartAt: 'Wait',
      States: { Wait: { Type: 'Wait', Seconds: 5, End: true } },
    });
    const forever = write('forever.asl.json', {
      StartAt: 'Hold',
      States: {
        Hold: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: 'noop', Payload: { 't.$': '$$.Task.Token' } },
          End: true,
        },
      },
    });
    const local = await startLocalStepFunctions({
      region: REGION,
      accountId: ACCOUNT,
      stateMachines: [
        { name: 'timeout', definitionFile: file },
        { name: 'forever', definitionFile: forever },
      ],
      substitutions: {},
      lambdas: { noop: async () => null },
    });
    const sfn = client(local.endpoint);
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('timeout') }));
    await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('forever') }));
    const done = await waitForExecution(sfn, executionArn!, undefined, 3000);
    expect(done.status).toBe('TIMED_OUT');
    // AWS records no error or cause for an execution that timed out (see service.ts finalize).
    expect(done.error).toBeUndefined();
    expect(local.stats()).toMatchObject({ executionsRunning: 1, pendingTaskTokens: 1 });
    sfn.destroy();
    await local.close();
    expect(local.stats()).toMatchObject({ executionsRunning: 0, pendingTaskTokens: 0 });
  });
});
