import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { handler as applyResponse } from '../lambdas/apply-response/index.js';
import { handler as caseStatus } from '../lambdas/case-status/index.js';
import { handler as changeCollectionStates } from '../lambdas/change-collection-states/index.js';
import { handler as confirmationLinks } from '../lambdas/confirmation-links/index.js';
import { handler as escalateStep } from '../lambdas/escalate-step/index.js';
import { handler as notificationForm } from '../lambdas/notification-form/index.js';
import { handler as recordFailure } from '../lambdas/record-failure/index.js';
import { handler as registerCase } from '../lambdas/register-case/index.js';
import { handler as requestConfirmation } from '../lambdas/request-confirmation/index.js';
import { handler as sendNotice } from '../lambdas/send-notice/index.js';
import { localConfig, type LocalConfig } from './config.js';
import { FaultLayer } from './faults.js';
import { startPagesServer, type Routes } from './pages-server.js';
import { localLambdaArn, localStateMachineArn, startLocalStepFunctions, type LocalLambda, type LocalStepFunctions } from './stepfunctions/index.js';

/**
 * The whole product on one machine: dynalite for DynamoDB, aws-ses-v2-local for SES (with its web inbox),
 * the local Step Functions service running the very ASL files CDK deploys, and an HTTP server that hands
 * requests to the same Lambda handlers as API Gateway would. Handlers use the real AWS SDK clients, pointed
 * here by the SDK's standard AWS_ENDPOINT_URL_<SERVICE> variables.
 */
const REGION = 'eu-central-1';
// This machine runs Node 20; the deployed functions run the current LTS. The SDK's notice is not for us here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const ACCOUNT = '000000000000';
const require = createRequire(import.meta.url);
// aws-ses-v2-local is CommonJS with `exports.default`.
const sesLocal = (require('aws-ses-v2-local') as typeof import('aws-ses-v2-local')).default;
const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

// The handlers build their SDK clients on first use, so importing them before the environment is set is safe.
/** The state machines' Lambda tasks: substitution name, function name, handler. */
const STATE_MACHINE_ACTIONS: [string, string, LocalLambda][] = [
  ['RegisterCaseFunctionArn', 'register-case', registerCase],
  ['RequestConfirmationFunctionArn', 'request-confirmation', requestConfirmation],
  ['EscalateStepFunctionArn', 'escalate-step', escalateStep],
  ['ApplyResponseFunctionArn', 'apply-response', applyResponse],
  ['ChangeCollectionStatesFunctionArn', 'change-collection-states', changeCollectionStates],
  ['SendNoticeFunctionArn', 'send-notice', sendNotice],
  ['RecordFailureFunctionArn', 'record-failure', recordFailure],
];

export interface LocalStack {
  config: LocalConfig;
  urls: { pages: string; form: string; inbox: string; dynamodb: string; stepFunctions: string };
  procedureArn: string;
  stepFunctions: LocalStepFunctions;
  /** The fault layer (local/faults.ts), when the stack was started with `{ faults: true }`. */
  faults?: FaultLayer;
  close(): Promise<void>;
}

export interface LocalStackOptions {
  /**
   * Tests only: put the fault layer between the handlers and SES, DynamoDB and Step Functions (HTTP proxies
   * behind the AWS_ENDPOINT_URL_* variables) and around the state machines' Lambda handlers. Off by default;
   * `urls` keep naming the stand-ins themselves, so a test's own clients see no faults.
   */
  faults?: boolean;
  /** Keep state inputs/outputs in the local Step Functions history (default true); benchmarks pass false to save memory. */
  historyPayloads?: boolean;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    if (server.listening) return resolve((server.address() as AddressInfo).port);
    server.once('error', reject);
    server.once('listening', () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startLocalStack(overrides?: Parameters<typeof localConfig>[1], options?: LocalStackOptions & { faults?: false }): Promise<LocalStack>;
export async function startLocalStack(overrides: Parameters<typeof localConfig>[1], options: LocalStackOptions & { faults: true }): Promise<LocalStack & { faults: FaultLayer }>;
export async function startLocalStack(overrides: Parameters<typeof localConfig>[1] = {}, options: LocalStackOptions = {}): Promise<LocalStack> {
  const config = localConfig(process.env, overrides);
  const host = config.HOST;
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const dynalite = require('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
    dynalite.listen(config.DYNAMODB_PORT, host);
    const dynamoPort = await listen(dynalite);
    closers.push(() => new Promise((resolve) => dynalite.close(() => resolve())));

    const ses = await sesLocal({ host, port: config.SES_PORT });
    const sesPort = await listen(ses);
    closers.push(() => new Promise((resolve) => { ses.close(() => resolve()); ses.closeAllConnections(); }));

    const urlHost = host.includes(':') ? `[${host}]` : host;
    const dynamodbUrl = `http://${urlHost}:${dynamoPort}`;
    const inboxUrl = `http://${urlHost}:${sesPort}`;
    const procedureArn = localStateMachineArn(REGION, ACCOUNT, 'procedure');
    const faults = options.faults ? new FaultLayer() : undefined;
    if (faults) closers.push(() => faults.close());

    // The pages server must know its own URL before the handlers (which put it into links) are loaded.
    const routes: Routes = {};
    const pages = await startPagesServer(routes, host, config.PAGES_PORT);
    closers.push(() => new Promise((resolve) => { pages.server.close(() => resolve()); pages.server.closeAllConnections(); }));

    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: faults ? await faults.proxy('dynamodb', dynamodbUrl, host) : dynamodbUrl,
      AWS_ENDPOINT_URL_SES: faults ? await faults.proxy('ses', inboxUrl, host) : inboxUrl,
      TABLE_NAME: config.TABLE_NAME,
      SENDER_EMAIL: config.SENDER_EMAIL,
      MRPIPS_EMAIL: config.MRPIPS_EMAIL,
      VOIVODESHIP_ADMINS: config.VOIVODESHIP_ADMINS,
      PUBLIC_BASE_URL: pages.url,
      LINK_SIGNING_KEYS: config.LINK_SIGNING_KEYS,
      PROCEDURE_STATE_MACHINE_ARN: procedureArn,
      RESPONSE_TIMEOUT_SECONDS: String(config.RESPONSE_TIMEOUT_SECONDS),
      ESCALATE_AFTER_REMINDERS: String(config.ESCALATE_AFTER_REMINDERS),
      NOTIFICATIONS_PER_HOUR_PER_IP: String(config.NOTIFICATIONS_PER_HOUR_PER_IP),
      STALLED_AFTER_REMINDERS: String(config.STALLED_AFTER_REMINDERS),
      STALLED_WAIT_SECONDS: String(config.STALLED_WAIT_SECONDS),
      REMINDER_SCHEDULE: config.REMINDER_SCHEDULE,
    });
    delete process.env.LINK_KEYS_SECRET_ARN;

    await new DynamoDBClient({ endpoint: dynamodbUrl }).send(
      new CreateTableCommand({
        TableName: config.TABLE_NAME,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      }),
    );

    const substitutions: Record<string, string> = {
      ...Object.fromEntries(STATE_MACHINE_ACTIONS.map(([key, name]) => [key, localLambdaArn(REGION, ACCOUNT, name)])),
      ConfirmationStateMachineArn: localStateMachineArn(REGION, ACCOUNT, 'confirmation'),
    };
    const stepFunctions = await startLocalStepFunctions({
      host,
      port: config.SFN_PORT,
      region: REGION,
      accountId: ACCOUNT,
      stateMachines: [
        { name: 'procedure', definitionFile: root('statemachine/procedure.asl.json') },
        { name: 'confirmation', definitionFile: root('statemachine/confirmation.asl.json') },
      ],
      substitutions,
      lambdas: Object.fromEntries(STATE_MACHINE_ACTIONS.map(([, name, handler]) => [name, faults ? faults.lambda(name, handler) : handler])),
      retryIntervalScale: config.RETRY_INTERVAL_SCALE,
      ...(options.historyPayloads === false ? { historyPayloads: false } : {}),
    });
    closers.push(() => stepFunctions.close());
    process.env.AWS_ENDPOINT_URL_SFN = faults ? await faults.proxy('sfn', stepFunctions.endpoint, host) : stepFunctions.endpoint;

    // Same routes as LinkPagesApi in lib/.
    Object.assign(routes, { '/': notificationForm, '/zgloszenie': notificationForm, '/potwierdzenie': confirmationLinks, '/sprawa': caseStatus });

    return {
      config,
      urls: { pages: pages.url, form: `${pages.url}/zgloszenie`, inbox: inboxUrl, dynamodb: dynamodbUrl, stepFunctions: stepFunctions.endpoint },
      procedureArn,
      stepFunctions,
      ...(faults ? { faults } : {}),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
