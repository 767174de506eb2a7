import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createCaseTable } from './case-table.js';
import { fileURLToPath } from 'node:url';
import { localConfig, type LocalConfig } from './config.js';
import { LOCAL_FUNCTIONS, type LocalFunction, type LocalFunctionName } from './functions.js';
import { startLambdaWorkers, type LambdaWorkers } from './lambda-workers/index.js';
import { cpuMs, residentBytes, startStandIn, type StandIn, type StandInUsage } from './stand-ins/index.js';
import { FaultLayer } from './faults.js';
import { startFaultControl } from './faults-control.js';
import { IamCheck } from './iam/check.js';
import { localEventRules, type LocalEventRules } from './event-rules.js';
import { startSesSimulator, type LocalSesSimulator } from './ses-simulator.js';
import { queueUrlOn, startLocalOutbox, type LocalOutbox } from './outbox.js';
import { senderSettings } from '../lambdas/core/outbox.js';
import { withTimeout } from './lambda-timeouts.js';
import { withPayloadLimits } from './lambda-payloads.js';
import { STATE_MACHINE_ACTIONS } from './state-machine-functions.js';
import { METRICS_NAMESPACE } from '../lambdas/core/metrics.js';
import { startPagesServer, type HttpLambda, type PageHandlers } from './pages-server.js';
import { startLocalEdge } from './edge.js';
import { randomBytes } from 'node:crypto';
import { localLambdaArn, localStateMachineArn, startLocalStepFunctions, type IntegrationCall, type LocalInvocation, type LocalLambda, type LocalStepFunctions } from './stepfunctions/index.js';

/**
 * The whole product on one machine: dynalite for DynamoDB, aws-ses-v2-local for SES (with its web inbox), each
 * in a process of its own (local/stand-ins),
 * the local Step Functions service running the very ASL files CDK deploys, and an HTTP server that hands
 * requests to the same Lambda handlers as API Gateway would. Handlers use the real AWS SDK clients, pointed
 * here by the SDK's standard AWS_ENDPOINT_URL_<SERVICE> variables, and each runs within the timeout CDK deploys
 * it with (lib/function-timeouts.ts; LAMBDA_TIMEOUTS shortens it locally, local/lambda-timeouts.ts).
 */
const REGION = 'eu-central-1';
const ACCOUNT = '000000000000';
const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

export interface LocalStack {
  config: LocalConfig;
  /** `pages` is the public address (CloudFront and WAF, local/edge.ts); `origin` the pages server behind it (the API's own endpoint). */
  urls: { pages: string; form: string; origin: string; inbox: string; dynamodb: string; sqs: string; stepFunctions: string };
  procedureArn: string;
  stepFunctions: LocalStepFunctions;
  /** EventBridge's deliveries of Step Functions' events to the functions the rules in lib/ target (local/event-rules.ts). */
  eventRules: LocalEventRules;
  /**
   * The e-mail outbox (local/outbox.ts): its queues, and `settled()` — every message sent, left or moved to the
   * dead-letter queue, and the sender idle — for tests that count what arrived.
   */
  outbox: Pick<LocalOutbox, 'queueUrl' | 'deadLetterQueueUrl' | 'settled' | 'usage' | 'invocations'>;
  /** SES's events for the simulator's addresses, as the configuration set publishes them (local/ses-simulator.ts). */
  sesEvents: Pick<LocalSesSimulator, 'settled'>;
  /** The fault layer (local/faults.ts), when the stack was started with `{ faults: true }`. */
  faults?: FaultLayer;
  /** Where a person injects and lifts faults (local/faults-control.ts), when started with `{ faultControl: true }`. */
  faultControl?: { url: string; token: string };
  /** Resident memory of the stack: this process and each stand-in's process, bytes. */
  residentMemory(): { total: number; byProcess: Record<'stack' | 'dynamodb' | 'ses' | 'sqs', number> };
  /** Invocations so far by function, with those that failed (error or timeout: what Lambda's Errors metric counts) and their time. */
  functionStats(): Partial<Record<LocalFunctionName, FunctionStats>>;
  /** Requests the link pages have served so far, by `METHOD /path`. */
  pageRequests(): Record<string, number>;
  /** DynamoDB reads and writes served so far, with the request units DynamoDB would bill (local/stand-ins). */
  dynamodbUsage(): Promise<StandInUsage>;
  /** CPU time used so far (user + system), ms: this process (with its worker threads) and each stand-in's process. */
  cpuTime(): Record<'stack' | 'dynamodb' | 'ses' | 'sqs', number>;
  close(): Promise<void>;
}

export interface FunctionStats {
  invocations: number;
  errors: number;
  durationMs: number;
}

export interface LocalStackOptions {
  /**
   * Put the fault layer between the handlers and SES, DynamoDB and Step Functions (HTTP proxies
   * behind the AWS_ENDPOINT_URL_* variables) and around the state machines' Lambda handlers. Off by default;
   * `urls` keep naming the stand-ins themselves, so a test's own clients (and the operations CLI) see no faults.
   */
  faults?: boolean;
  /** With `faults`: serve the control `npm run faults` drives (local/faults-control.ts); `npm start` does. */
  faultControl?: boolean;
  /** Keep state inputs/outputs in the local Step Functions history (default true); benchmarks pass false to save memory. */
  historyPayloads?: boolean;
  /**
   * Run the Lambda handlers in this many worker threads (local/lambda-workers) instead of this thread (0, the
   * default). Benchmarks use it to spread the load over the machine's cores; tests keep the handlers in-process,
   * where they can read the environment as the test changes it.
   */
  lambdaWorkers?: number;
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
  // IAM proven on every call (local/iam/): each AWS call of a function or a state machine recorded with its
  // principal, evaluated against the synthesized policies when the stack closes. On in the test run (its global
  // setup names the policies); not with worker threads, which the recorder's AsyncLocalStorage does not reach.
  let stepFunctionsForIam: LocalStepFunctions | undefined;
  const iam = options.lambdaWorkers
    ? undefined
    : IamCheck.fromEnvironment({ region: REGION, account: ACCOUNT, stateMachineOfToken: (token) => stepFunctionsForIam?.stateMachineOfToken(token) });
  if (iam) closers.push(async () => iam.recorder.close());
  try {
    // Each stand-in in a process of its own (a core and a heap each); started together, and whichever started is
    // stopped again if the other did not.
    const started = await Promise.allSettled([startStandIn('dynamodb', host, config.DYNAMODB_PORT), startStandIn('ses', host, config.SES_PORT)]);
    for (const result of started) if (result.status === 'fulfilled') closers.push(result.value.close);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const [dynamodb, ses] = started.map((result) => (result as PromiseFulfilledResult<StandIn>).value);
    const dynamoPort = dynamodb!.port;
    const sesPort = ses!.port;

    // A function by name: its handler, or (with lambdaWorkers) an invocation in a worker thread.
    let workers: LambdaWorkers | undefined;
    const fn = (name: LocalFunctionName): LocalFunction => (options.lambdaWorkers ? (event: unknown) => workers!.invoke(name, event) : LOCAL_FUNCTIONS[name]);
    // As Lambda runs it: within its timeout, and (for the state machines, with faults on) behind the fault layer.
    // Invocations, failures (threw, timed out: Lambda's Errors metric, which alarms on AWS) and time, by function.
    const functionStats: Partial<Record<LocalFunctionName, FunctionStats>> = {};
    const timed = <E, R>(name: LocalFunctionName, handler: (event: E, invocation: LocalInvocation) => Promise<R>) => {
      const within = withTimeout(handler, config.LAMBDA_TIMEOUTS[name], config.LAMBDA_TIMEOUT_ERROR);
      return async (event: E): Promise<R> => {
        const stats = (functionStats[name] ??= { invocations: 0, errors: 0, durationMs: 0 });
        const started = performance.now();
        stats.invocations++;
        try {
          return await (iam ? iam.recorder.as(`function:${name}`, () => within(event)) : within(event));
        } catch (error) {
          stats.errors++;
          throw error;
        } finally {
          stats.durationMs += performance.now() - started;
        }
      };
    };
    // Within Lambda's payload limits too (local/lambda-payloads.ts); the pages' responses are API Gateway's to limit.
    const invoked = (name: LocalFunctionName): LocalLambda => timed(name, withPayloadLimits(faults ? faults.lambda(name, fn(name) as LocalLambda) : (fn(name) as LocalLambda)));
    const urlHost = host.includes(':') ? `[${host}]` : host;
    const dynamodbUrl = `http://${urlHost}:${dynamoPort}`;
    const inboxUrl = `http://${urlHost}:${sesPort}`;
    const procedureArn = localStateMachineArn(REGION, ACCOUNT, 'procedure');
    // The proxies in front of the stand-ins: the fault layer's, which also record for the IAM check.
    const proxies = options.faults || iam ? new FaultLayer(iam ? { observe: (service, headers, body) => iam.recorder.observe(service, headers, body) } : {}) : undefined;
    if (proxies) closers.push(() => proxies.close());
    const faults = options.faults ? proxies : undefined;
    const control = faults && options.faultControl ? await startFaultControl(faults, config.LAMBDA_TIMEOUTS) : undefined;
    if (control) closers.push(() => control.close());

    // The pages server must know its own URL before the handlers (which put it into links) are loaded.
    const pageHandlers: PageHandlers = {};
    const pages = await startPagesServer(pageHandlers, host, 0);
    closers.push(() => new Promise((resolve) => { pages.server.close(() => resolve()); pages.server.closeAllConnections(); }));
    // The public port is CloudFront's and WAF's (local/edge.ts), in front of the pages server as on AWS.
    const originSecret = randomBytes(32).toString('base64url');
    const edge = await startLocalEdge({
      origin: pages.url,
      originSecret,
      formPostsPerClient: config.FORM_POSTS_PER_CLIENT,
      windowSeconds: config.FORM_POST_RATE_WINDOW_SECONDS,
      host,
      port: config.PAGES_PORT,
    });
    closers.push(() => new Promise((resolve) => { edge.server.close(() => resolve()); edge.server.closeAllConnections(); }));

    // SES's mailbox simulator and event publishing (local/ses-simulator.ts) between the handlers and the SES stand-in.
    const sesSimulator = await startSesSimulator({ upstream: inboxUrl, host, region: REGION, account: ACCOUNT, recordDeliveryEvent: invoked('record-delivery-event') });
    closers.push(() => sesSimulator.close());

    // The outbox: SQS in a process of its own, drained into send-email as Lambda's event source mapping does, with
    // the settings CDK deploys for the configured sending rate (lib/email-outbox.ts).
    const sending = senderSettings(config.SES_MAX_SEND_RATE);
    let sqsProxy: string | undefined;
    const startOutbox = () => startLocalOutbox({
      host,
      port: config.SQS_PORT,
      region: REGION,
      account: ACCOUNT,
      name: 'zmiana-sd-outbox',
      queue: { visibilityTimeoutSeconds: config.OUTBOX_VISIBILITY_TIMEOUT_SECONDS ?? sending.visibilityTimeoutSeconds, maxReceiveCount: sending.maxReceiveCount, retentionSeconds: sending.retentionSeconds },
      eventSource: { batchSize: sending.batchSize, maximumConcurrency: sending.maximumConcurrency, maximumBatchingWindowSeconds: sending.maximumBatchingWindowSeconds },
      invoke: (event) => invoked('send-email')(event as never, undefined as never),
      functionTimeoutSeconds: config.LAMBDA_TIMEOUTS['send-email'],
      // Lambda's pollers receive and delete with the sender's role: through the proxy, as send-email.
      ...(proxies ? { pollerEndpoint: async (url: string) => (sqsProxy = await proxies.proxy('sqs', url, host)) } : {}),
    });
    const outbox = await (iam ? iam.recorder.as('function:send-email', startOutbox) : startOutbox());
    closers.push(() => outbox.close());
    const sqsEndpoint = sqsProxy ?? outbox.url;

    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: proxies ? await proxies.proxy('dynamodb', dynamodbUrl, host) : dynamodbUrl,
      AWS_ENDPOINT_URL_SES: proxies ? await proxies.proxy('ses', sesSimulator.url, host) : sesSimulator.url,
      AWS_ENDPOINT_URL_SQS: sqsEndpoint,
      OUTBOX_QUEUE_URL: queueUrlOn(sqsEndpoint, outbox.queueUrl),
      SEND_RATE_PER_SECOND: String(sending.sendRatePerSecond),
      TABLE_NAME: config.TABLE_NAME,
      SENDER_EMAIL: config.SENDER_EMAIL,
      SES_CONFIGURATION_SET: config.SES_CONFIGURATION_SET,
      MRPIPS_EMAIL: config.MRPIPS_EMAIL,
      VOIVODESHIP_ADMINS: config.VOIVODESHIP_ADMINS,
      PUBLIC_BASE_URL: edge.url,
      ORIGIN_VERIFICATION_VALUE: originSecret,
      LINK_SIGNING_KEYS: config.LINK_SIGNING_KEYS,
      STATUS_LINK_KEYS: config.STATUS_LINK_KEYS,
      STATUS_LINK_DAYS_AFTER_END: String(config.STATUS_LINK_DAYS_AFTER_END),
      FORM_TOKEN_KEYS: config.FORM_TOKEN_KEYS,
      PROCEDURE_STATE_MACHINE_ARN: procedureArn,
      RESPONSE_TIMEOUT_SECONDS: String(config.RESPONSE_TIMEOUT_SECONDS),
      ESCALATE_AFTER_REMINDERS: String(config.ESCALATE_AFTER_REMINDERS),
      NOTIFICATIONS_PER_HOUR_PER_IP: String(config.NOTIFICATIONS_PER_HOUR_PER_IP),
      NOTIFICATIONS_PER_HOUR_PER_CONTACT: String(config.NOTIFICATIONS_PER_HOUR_PER_CONTACT),
      MAX_HAND_OVERS_PER_STEP: String(config.MAX_HAND_OVERS_PER_STEP),
      STALLED_AFTER_REMINDERS: String(config.STALLED_AFTER_REMINDERS),
      STALLED_WAIT_SECONDS: String(config.STALLED_WAIT_SECONDS),
      REMINDER_SCHEDULE: config.REMINDER_SCHEDULE,
      INCIDENT_WAIT_SECONDS: String(config.INCIDENT_WAIT_SECONDS),
      OPERATIONS_EMAIL: config.OPERATIONS_EMAIL,
      MAX_INCIDENTS_PER_CASE: String(config.MAX_INCIDENTS_PER_CASE),
      // Business metrics (lambdas/adapters/metrics.ts) are EMF lines on stdout, as in Lambda: `npm start` prints
      // them among the logs; POWERTOOLS_METRICS_DISABLED=true silences them (the tests, the benchmark).
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_SERVICE_NAME: 'zmiana-sd-local',
    });
    delete process.env.LINK_KEYS_SECRET_ARN;
    delete process.env.FORM_KEYS_SECRET_ARN;
    delete process.env.ORIGIN_VERIFICATION_SECRET_ARN;
    delete process.env.STATUS_KEYS_SECRET_ARN;

    await createCaseTable(new DynamoDBClient({ endpoint: dynamodbUrl }), config.TABLE_NAME);

    const substitutions: Record<string, string> = {
      ...Object.fromEntries(STATE_MACHINE_ACTIONS.map(([key, name]) => [key, localLambdaArn(REGION, ACCOUNT, name)])),
      ConfirmationStateMachineArn: localStateMachineArn(REGION, ACCOUNT, 'confirmation'),
    };
    // What EventBridge delivers from Step Functions, as the rules in lib/ route it; settled before the stand-ins stop.
    const eventRules = localEventRules(procedureArn, invoked('record-ended-execution'));
    closers.push(() => eventRules.settled());
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
      lambdas: Object.fromEntries(STATE_MACHINE_ACTIONS.map(([, name]) => [name, invoked(name)])),
      retryIntervalScale: config.RETRY_INTERVAL_SCALE,
      maxExecutionSeconds: config.MAX_EXECUTION_SECONDS,
      onExecutionStatusChange: eventRules.deliver,
      ...(iam
        ? {
            onIntegrationCall: ({ stateMachineArn, action, resource }: IntegrationCall) =>
              iam.recorder.record({ principal: `state-machine:${stateMachineArn.slice(stateMachineArn.lastIndexOf(':') + 1)}`, action, resource, context: {} }),
          }
        : {}),
      ...(faults ? { beforeStartExecution: faults.startExecution } : {}),
      ...(options.historyPayloads === false ? { historyPayloads: false } : {}),
    });
    stepFunctionsForIam = stepFunctions;
    closers.push(() => stepFunctions.close());
    process.env.AWS_ENDPOINT_URL_SFN = proxies ? await proxies.proxy('sfn', stepFunctions.endpoint, host) : stepFunctions.endpoint;

    // Started last: the threads take the environment as it is now.
    if (options.lambdaWorkers) {
      workers = await startLambdaWorkers(options.lambdaWorkers);
      closers.push(() => workers!.close());
    }

    // The functions behind LinkPagesApi's routes (lib/link-page-routes.ts, which the pages server routes by).
    const page = (name: LocalFunctionName): HttpLambda => timed(name, fn(name) as HttpLambda);
    for (const action of ['notification-form', 'confirmation-links', 'case-status'] as const) pageHandlers[action] = page(action);

    return {
      config,
      urls: { pages: edge.url, form: `${edge.url}/zgloszenie`, origin: pages.url, inbox: inboxUrl, dynamodb: dynamodbUrl, sqs: outbox.url, stepFunctions: stepFunctions.endpoint },
      procedureArn,
      stepFunctions,
      eventRules,
      sesEvents: { settled: sesSimulator.settled },
      outbox: {
        queueUrl: outbox.queueUrl,
        deadLetterQueueUrl: outbox.deadLetterQueueUrl,
        settled: (o) => outbox.settled(o),
        usage: () => outbox.usage(),
        get invocations() {
          return outbox.invocations;
        },
      },
      ...(faults ? { faults } : {}),
      ...(control ? { faultControl: { url: control.url, token: control.token } } : {}),
      residentMemory: () => {
        const byProcess = { stack: process.memoryUsage.rss(), dynamodb: residentBytes(dynamodb!.pid), ses: residentBytes(ses!.pid), sqs: residentBytes(outbox.pid) };
        return { total: byProcess.stack + byProcess.dynamodb + byProcess.ses + byProcess.sqs, byProcess };
      },
      dynamodbUsage: () => dynamodb!.usage(),
      pageRequests: () => Object.fromEntries(pages.requests),
      functionStats: () => Object.fromEntries(Object.entries(functionStats).map(([name, stats]) => [name, { ...stats }])),
      cpuTime: () => {
        const own = process.cpuUsage();
        return { stack: (own.user + own.system) / 1000, dynamodb: cpuMs(dynamodb!.pid), ses: cpuMs(ses!.pid), sqs: cpuMs(outbox.pid) };
      },
      close: async () => {
        await closeAll();
        await iam?.finish({
          region: REGION,
          account: ACCOUNT,
          tableName: config.TABLE_NAME,
          queueNames: { outbox: queueName(outbox.queueArn), 'dead-letter': queueName(outbox.deadLetterQueueArn) },
          configurationSetName: config.SES_CONFIGURATION_SET,
        });
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

const queueName = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);
