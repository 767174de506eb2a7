/**
 * Local AWS Step Functions service (Standard workflows) for `npm start` and the end-to-end tests.
 *
 * Runs the product's ASL with aws-local-stepfunctions v3 (after a one-time rewrite, see definition.ts) and
 * serves the Step Functions JSON API over HTTP so the real `@aws-sdk/client-sfn` works against `endpoint`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequestListener } from './http.js';
import { LocalStepFunctionsService, type ServiceOptions, type ServiceStats } from './service.js';

export type { ExecutionStatusChangeEvent, IntegrationCall, LocalInvocation, LocalLambda } from './service.js';
export { MAX_EXECUTION_SECONDS } from './service.js';
export { SfnApiError } from './errors.js';
export { loadDefinitionFile, loadDefinitionText, substitute } from './definition.js';

/** The service's options plus where its HTTP API listens. */
export interface LocalStepFunctionsOptions extends ServiceOptions {
  /** 0 (default) = ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface LocalStepFunctions {
  endpoint: string;
  stateMachineArn(name: string): string;
  /** Stops the server, aborts running executions, clears timers. */
  close(): Promise<void>;
  /** Counters for tests / benchmarks. */
  stats(): ServiceStats;
  /** The state machine whose execution issued a task token (known while `onIntegrationCall` is given). */
  stateMachineOfToken(token: string): string | undefined;
}

/** ARN the local service gives a state machine (usable before the service is started, e.g. for substitutions). */
export function localStateMachineArn(region: string, accountId: string, name: string): string {
  return `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
}

/** `arn:aws:lambda:<region>:<account>:function:<name>` */
export function localLambdaArn(region: string, accountId: string, functionName: string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
}

export async function startLocalStepFunctions(o: LocalStepFunctionsOptions): Promise<LocalStepFunctions> {
  const svc = await LocalStepFunctionsService.create(o);
  const server = createServer({ keepAliveTimeout: 65_000 }, createRequestListener(svc));
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${urlHost}:${port}`,
    stateMachineArn: (name) => svc.stateMachineArn(name),
    stats: () => svc.stats(),
    stateMachineOfToken: (token) => svc.stateMachineOfToken(token),
    close() {
      closing ??= (async () => {
        await svc.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
