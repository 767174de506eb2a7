import { randomUUID } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaFunctionError, integrationError } from './stepfunctions/errors.js';
import type { LocalInvocation, LocalLambda } from './stepfunctions/index.js';

/**
 * Fault injection for the local stack (off unless `startLocalStack(…, { faults: true })`: the fault suites, and
 * `npm start`, where a person drives it with `npm run faults`, local/faults-control.ts).
 *
 * Nothing here touches a handler or the ASL. The handlers reach SES, DynamoDB, Step Functions and SQS through
 * the SDK's AWS_ENDPOINT_URL_SES / _DYNAMODB / _SFN / _SQS; with faults on, those point at small HTTP proxies in front of
 * the stand-ins, so an injected fault travels the real code path: SDK retries, the adapters' error
 * classification (TransientError, SendingRateExceeded, EmailRejected, …), the state machines' Retry/Catch. The
 * local Step Functions service's own calls are faulted too: its Lambda invocations ('lambda': the functions the
 * state machines invoke) and the StartExecution of a child by a `states:startExecution(.sync:2)` task
 * ('sfn-integration'), each failing the task with the Error and Cause Step Functions reports on AWS.
 *
 * Rules (`faults.add(rule)`) are matched in the order they were added; the first rule that matches a request
 * and still has faults left decides it:
 *   - `{ kind: 'error', status, code }`: the request never reaches the service; the caller gets that AWS
 *     error in the service's own protocol (SES query XML, DynamoDB/SFN/SQS JSON with `__type`). For 'lambda' and
 *     'sfn-integration' `code` is the Error name the task fails with: `Lambda.*` / `StepFunctions.*` is an
 *     error of the Invoke / StartExecution call (AWS_ERRORS.lambda…, .sfnIntegrationThrottled; status 0 = the
 *     caller's own client gave up, no HTTP answer), `Lambda.Unknown` a function that died without an error
 *     type, any other name an exception the function threw.
 *   - `{ kind: 'lose-response' }`: the service handles the request (a write happens, the function runs), then
 *     the caller sees the connection reset (or `then`, an AWS error): "it happened, but the caller does not know".
 *   - `{ kind: 'duplicate' }` (service 'lambda' only; the proxies ignore it): the handler runs twice, one
 *     after the other, for the same payload; the caller gets the second run's outcome.
 *   - `{ kind: 'out-of-memory' }` (service 'lambda' only): the function runs, then its runtime is killed for
 *     exceeding its memory, so Step Functions sees `Runtime.OutOfMemory` and not its result.
 *   - `{ kind: 'oversized-result', bytes }` (service 'lambda' only): the function runs and answers with a
 *     `padding` of `bytes` characters more: a result past Step Functions' 256 KiB, as only a regression could
 *     return (every input of the product is bounded), to see what AWS's States.DataLimitExceeded does to a case.
 *   - `{ kind: 'hold', release }`: the request (or invocation) waits until `release` settles, then goes on as
 *     usual: a slow dependency, or a moment frozen for the test to act in. A held invocation that outlives its
 *     function's timeout (local/lambda-timeouts.ts) has failed meanwhile, and is then dropped, never run: on AWS
 *     the sandbox would have been stopped (see `abandoned`).
 * `skip` lets that many matching requests through first; `times` (default 1) is how many are faulted.
 * The SDK retries throttling, 5xx and reset connections itself (SDK_ATTEMPTS: 3 attempts in all for SES, SQS
 * and Step Functions, 4 for DynamoDB), so a fault that must reach the handler has to cover every attempt. Step
 * Functions does not retry its integrations' calls: one fault fails one task attempt, and the ASL's Retry decides.
 */
export type FaultService = ProxiedService | 'lambda' | 'sfn-integration';

/** The services reached over HTTP, each through a proxy of its own (`proxy`). */
export type ProxiedService = 'ses' | 'dynamodb' | 'sfn' | 'sqs';

/** An AWS error as the service would answer it. */
export interface AwsErrorFault {
  kind: 'error';
  status: number;
  /** The error code: SES `<Code>`, the name after `#` in a JSON `__type`, or the task's Error name ('lambda', 'sfn-integration'). */
  code: string;
  message?: string;
  /** 'lambda' / 'sfn-integration': the service's own error code in the Cause, when it is not the Error name's last part. */
  serviceCode?: string;
  /** 'sqs': the code of SQS's older query protocol, which it still sends in `x-amzn-query-error` (default: `code`). */
  queryCode?: string;
}

export interface LoseResponseFault {
  kind: 'lose-response';
  /** What the caller gets instead of the real answer; default: the connection is reset. */
  then?: AwsErrorFault;
}

export interface DuplicateFault {
  kind: 'duplicate';
}

export interface HoldFault {
  kind: 'hold';
  release: Promise<unknown>;
}

export interface OutOfMemoryFault {
  kind: 'out-of-memory';
}

export interface OversizedResultFault {
  kind: 'oversized-result';
  bytes: number;
}

export type Fault = AwsErrorFault | LoseResponseFault | DuplicateFault | HoldFault | OutOfMemoryFault | OversizedResultFault;

/** One request (or Lambda invocation) as the fault layer sees it. */
export interface FaultRequest {
  service: FaultService;
  /**
   * `UpdateItem`, `SendTaskSuccess` (X-Amz-Target), `SendEmail` (SES `Action=`), the function name for 'lambda',
   * `StartExecution` for 'sfn-integration', else `METHOD /path`.
   */
  operation: string;
  /** The raw request body (the JSON of the payload for 'lambda'; of `{stateMachineArn, name, input}` for 'sfn-integration'). */
  body: string;
  /** The SDK's `amz-sdk-request` header (`attempt=2; max=3`), when present. */
  attempt?: string;
}

export interface FaultRule {
  service: FaultService;
  /** Operation name, or '*' for any. */
  operation: string;
  fault: Fault;
  /** Only requests this accepts (e.g. `bodyIncludes('STEP#AGREE_VARIANT.1')`). */
  match?: (request: FaultRequest) => boolean;
  /** Matching requests let through before the first fault (default 0). */
  skip?: number;
  /** Matching requests faulted (default 1; Infinity for all). */
  times?: number;
  /** For messages and the log. */
  label?: string;
}

/** What `add` returns: live counters of one rule. */
export interface FaultHandle {
  readonly rule: FaultRule;
  /** Matching requests seen (let through or faulted). */
  readonly matched: number;
  /** Faults injected. */
  readonly injected: number;
  /** Every fault of the rule has been injected. */
  readonly exhausted: boolean;
}

export interface InjectedFault {
  service: FaultService;
  operation: string;
  kind: Fault['kind'];
  code?: string;
  attempt?: string;
  label?: string;
  at: number;
}

/** Attempts the SDK v3 makes per call by default (standard retry mode), per service. */
export const SDK_ATTEMPTS = { ses: 3, dynamodb: 4, sfn: 3, sqs: 3 } as const;

/** The local stack's account and region (local/stack.ts), in the messages that carry ARNs. */
const LOCAL_ACCOUNT = '000000000000';
const LOCAL_REGION = 'eu-central-1';

/**
 * Typical AWS errors, each in the form its service returns it.
 *
 * SES (v1 query API, the one the mailer calls): SendEmail's errors are in
 * https://docs.aws.amazon.com/ses/latest/APIReference/API_SendEmail.html (MessageRejected,
 * AccountSendingPausedException, both 400; the SDK's model gives the same `<Code>`s), AccessDenied is the
 * common 403 of IAM (https://docs.aws.amazon.com/ses/latest/APIReference/CommonErrors.html). Lambda's Invoke,
 * as Step Functions names its failures: https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html.
 */
export const AWS_ERRORS = {
  /** SES: sending rate exceeded (400, query protocol `<Code>Throttling</Code>`). */
  sesThrottling: { kind: 'error', status: 400, code: 'Throttling', message: 'Maximum sending rate exceeded.' },
  /** SES: a transient service failure. */
  sesServiceUnavailable: { kind: 'error', status: 503, code: 'ServiceUnavailable', message: 'Service is unavailable. Please try again later.' },
  /** SES: sending is paused for the whole account (by AWS for its reputation, or by an operator). */
  sesAccountSendingPaused: { kind: 'error', status: 400, code: 'AccountSendingPausedException', message: 'Email sending is disabled for this account.' },
  /** DynamoDB: throughput exceeded (400). */
  dynamoThroughput: {
    kind: 'error',
    status: 400,
    code: 'ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  },
  /** DynamoDB: internal server error (500). */
  dynamoInternal: { kind: 'error', status: 500, code: 'InternalServerError', message: 'Internal server error' },
  /** Step Functions: service unavailable (500). */
  sfnUnavailable: { kind: 'error', status: 500, code: 'ServiceUnavailable', message: 'Service Unavailable' },
  /** Step Functions: the token belongs to a task that is closed (timed out, or its execution ended). */
  sfnTaskTimedOut: { kind: 'error', status: 400, code: 'TaskTimedOut', message: 'Task Timed Out' },
  /**
   * A `states:startExecution(.sync:2)` task whose StartExecution is throttled (the API's 400
   * `ThrottlingException`, "Rate exceeded"). The SDK for Java that Step Functions calls with does not model that
   * code, so the task fails with the base class: `StepFunctions.AWSStepFunctionsException`
   * (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html names errors
   * `<Service>.<Exception>`; https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html).
   */
  sfnIntegrationThrottled: { kind: 'error', status: 400, code: 'StepFunctions.AWSStepFunctionsException', serviceCode: 'ThrottlingException', message: 'Rate exceeded' },
  /** The same call refused because the account has its maximum of open executions (StartExecution's ExecutionLimitExceeded). */
  sfnIntegrationExecutionLimit: {
    kind: 'error',
    status: 400,
    code: 'StepFunctions.ExecutionLimitExceededException',
    serviceCode: 'ExecutionLimitExceeded',
    message: 'Maximum number of running executions has been reached.',
  },
  /** Lambda Invoke throttled: the account's or function's concurrency is used up (429). */
  lambdaTooManyRequests: { kind: 'error', status: 429, code: 'Lambda.TooManyRequestsException', message: 'Rate Exceeded.' },
  /** Lambda Invoke failed inside Lambda (500). */
  lambdaServiceException: { kind: 'error', status: 500, code: 'Lambda.ServiceException', message: 'Lambda was unable to process the request.' },
  /** Lambda Invoke failed with a code the SDK does not model (the SDK's base class). */
  lambdaAWSLambdaException: { kind: 'error', status: 502, code: 'Lambda.AWSLambdaException', serviceCode: 'BadGateway', message: 'Bad Gateway' },
  /** Step Functions' own client gave up waiting for Invoke (no answer; the function may still run: combine with lose-response). */
  lambdaClientExecutionTimeout: { kind: 'error', status: 0, code: 'Lambda.ClientExecutionTimeoutException', message: 'Client execution did not complete before the specified timeout configuration.' },
  /** Step Functions' own client could not reach Lambda (connection reset, DNS). */
  lambdaSdkClient: { kind: 'error', status: 0, code: 'Lambda.SdkClientException', message: 'Unable to execute HTTP request: Connection reset' },
  /** The function died without an error type in its answer (Invoke's 200 with a function error; how older runtimes report a crash). */
  lambdaUnknown: { kind: 'error', status: 200, code: 'Lambda.Unknown', message: 'RequestId: 00000000-0000-0000-0000-000000000000 Process exited before completing request' },
  /**
   * SQS: the request rate is exceeded. SendMessage's own throttling error is RequestThrottled
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html#API_SendMessage_Errors);
   * its status, 403, and query code are those of the service's model in @aws-sdk/client-sqs (schemas_0.js,
   * `RequestThrottled$`). The SDK retries it as throttling.
   */
  sqsRequestThrottled: { kind: 'error', status: 403, code: 'RequestThrottled', message: 'Request is throttled.' },
  /**
   * SQS: the common AWS JSON-protocol throttling error
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html, ThrottlingException, 400).
   */
  sqsThrottling: { kind: 'error', status: 400, code: 'ThrottlingException', message: 'Rate exceeded' },
  /** SQS: a transient failure inside SQS (the common InternalFailure, 500); the SDK retries it. */
  sqsInternalFailure: { kind: 'error', status: 500, code: 'InternalFailure', message: 'We encountered an internal error. Please try again.' },
} as const satisfies Record<string, AwsErrorFault>;

/** SES rejects the message because of one recipient: in SES's sandbox, an address that is not verified (400). */
export function sesMessageRejected(address: string): AwsErrorFault {
  return {
    kind: 'error',
    status: 400,
    code: 'MessageRejected',
    message: `Email address is not verified. The following identities failed the check in region ${LOCAL_REGION.toUpperCase()}: ${address}`,
  };
}

/** The function's role may not send as `sender` (403): IAM, or the identity's sending policy. */
export function sesAccessDenied(sender: string, functionName = 'send-notice'): AwsErrorFault {
  return {
    kind: 'error',
    status: 403,
    code: 'AccessDenied',
    message:
      `User \`arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${functionName}-role/${functionName}' is not authorized to perform ` +
      `\`ses:SendEmail' on resource \`arn:aws:ses:${LOCAL_REGION}:${LOCAL_ACCOUNT}:identity/${sender}'`,
  };
}

/**
 * The function's role may not send to the queue (403). Over the JSON protocol SQS names it AccessDeniedException
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html) and keeps the query
 * protocol's `AccessDenied` in x-amzn-query-error (see errorResponse). The SDK's model has no such error, so
 * the SDK names it by that header: the product sees `name: 'AccessDenied'` (test/local/queue-event-source.test.ts).
 */
export function sqsAccessDenied(queueName: string, functionName = 'send-notice', action = 'sendmessage'): AwsErrorFault {
  return {
    kind: 'error',
    status: 403,
    code: 'AccessDeniedException',
    queryCode: 'AccessDenied',
    message:
      `User: arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${functionName}-role/${functionName} is not authorized to perform: sqs:${action} ` +
      `on resource: arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${queueName} because no identity-based policy allows the sqs:${action} action`,
  };
}

/** A matcher: SendEmail to this address (To or Cc). */
export function sesRecipient(address: string): (request: FaultRequest) => boolean {
  return (request) => {
    for (const [key, value] of new URLSearchParams(request.body)) if (/^Destination\.(To|Cc)Addresses\.member\.\d+$/.test(key) && value === address) return true;
    return false;
  };
}

/** A matcher: the request body contains every part (DynamoDB keys and values, SES parameters, payload JSON). */
export function bodyIncludes(...parts: string[]): (request: FaultRequest) => boolean {
  return (request) => parts.every((part) => request.body.includes(part));
}

/** How many recipients (To, Cc, Bcc) an SES SendEmail request names: what SES counts against its quotas. */
export function sesRecipientCount(request: FaultRequest): number {
  let count = 0;
  for (const key of new URLSearchParams(request.body).keys()) if (/^Destination\.(To|Cc|Bcc)Addresses\.member\.\d+$/.test(key)) count++;
  return count;
}

/**
 * A matcher that accepts the requests beyond `perSecond` a second, as SES counts its maximum sending rate
 * (https://docs.aws.amazon.com/ses/latest/dg/quotas.html: "Quotas are based on the number of recipients, rather
 * than on the number of messages"): a token bucket holding one second's worth, refilled continuously. A request
 * is let through while any quota is left and takes `cost(request)` tokens (SES accepts a message to several
 * recipients on the last of the second's quota, then refuses until the quota has built up again), so the bucket
 * may go below zero. With `fault: AWS_ERRORS.sesThrottling` and `times: Infinity` it is the account's quota; pass
 * `cost: sesRecipientCount` to count recipients as SES does (default: one per request).
 */
export function overRate(perSecond: number, now: () => number = () => performance.now(), cost: (request: FaultRequest) => number = () => 1): (request: FaultRequest) => boolean {
  if (!(perSecond > 0)) throw new Error(`overRate: the rate must be a positive number of requests a second, not ${perSecond}`);
  let tokens = perSecond;
  let last = now();
  return (request) => {
    const t = now();
    tokens = Math.min(perSecond, tokens + ((t - last) / 1000) * perSecond);
    last = t;
    if (tokens >= 1) {
      tokens -= cost(request);
      return false;
    }
    return true;
  };
}

const JSON_ERROR_NAMESPACE: Record<'dynamodb' | 'sfn' | 'sqs', string> = {
  dynamodb: 'com.amazonaws.dynamodb.v20120810',
  sfn: 'com.amazonaws.swf.service.model',
  sqs: 'com.amazonaws.sqs',
};

const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The error response of the service's protocol: awsQuery XML for SES, awsJson1_0 for DynamoDB, SFN and SQS. */
function errorResponse(service: ProxiedService, error: AwsErrorFault): { status: number; headers: Record<string, string>; body: string } {
  const requestId = randomUUID();
  const message = error.message ?? error.code;
  if (service === 'ses') {
    const type = error.status >= 500 ? 'Receiver' : 'Sender';
    return {
      status: error.status,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body:
        `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">\n` +
        `  <Error>\n    <Type>${type}</Type>\n    <Code>${xmlEscape(error.code)}</Code>\n    <Message>${xmlEscape(message)}</Message>\n  </Error>\n` +
        `  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
    };
  }
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId };
  // SQS moved to JSON keeping its query-protocol code and fault in a header, `AWS.SimpleQueueService.NonExistentQueue;Sender`
  // (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html); the SDK
  // sets them as the error's Code and Type.
  if (service === 'sqs') headers['x-amzn-query-error'] = `${error.queryCode ?? error.code};${error.status >= 500 ? 'Receiver' : 'Sender'}`;
  return { status: error.status, headers, body: JSON.stringify({ __type: `${JSON_ERROR_NAMESPACE[service]}#${error.code}`, message }) };
}

function operationOf(service: FaultService, req: IncomingMessage, body: string): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) return target.slice(target.lastIndexOf('.') + 1);
  if (service === 'ses' && req.method === 'POST') {
    const action = new URLSearchParams(body).get('Action');
    if (action) return action;
  }
  return `${req.method ?? 'GET'} ${new URL(req.url ?? '/', 'http://local').pathname}`;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface Upstream {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade']);

interface LiveRule {
  rule: FaultRule;
  matched: number;
  injected: number;
}

/** A 'lambda' or 'sfn-integration' error fault as the failure Step Functions reports for the task (see the header). */
function integrationErrorOf(service: 'Lambda' | 'StepFunctions', fault: AwsErrorFault): Error {
  const exception = fault.code.slice(fault.code.indexOf('.') + 1);
  const message = fault.message ?? exception;
  return integrationError(service, exception, message, fault.status > 0 ? { status: fault.status, code: fault.serviceCode ?? exception } : undefined);
}

/** What a 'lambda' error fault makes of the invocation: an Invoke failure, a dead runtime, or the function's own exception. */
function invokeError(fault: AwsErrorFault): Error {
  if (fault.code === 'Lambda.Unknown') return new LambdaFunctionError({ errorMessage: fault.message ?? 'Unknown' });
  if (fault.code.startsWith('Lambda.')) return integrationErrorOf('Lambda', fault);
  return Object.assign(new Error(fault.message ?? fault.code), { name: fault.code });
}

export interface FaultLayerOptions {
  /** Sees every request a proxy receives, before any rule: the IAM check's recording (local/iam/recorder.ts). */
  observe?: (service: ProxiedService, headers: IncomingHttpHeaders, body: string) => void;
}

export class FaultLayer {
  constructor(private readonly options: FaultLayerOptions = {}) {}

  private readonly rules: LiveRule[] = [];
  private readonly servers: Server[] = [];
  private readonly endpoints = new Map<FaultService, string>();
  private readonly counts = new Map<string, number>();
  private readonly agent = new Agent({ keepAlive: true });
  /** Every fault injected, in order. */
  readonly injected: InjectedFault[] = [];
  /** First deliveries of duplicated invocations that failed (the caller saw the second one). */
  readonly duplicateFailures: { functionName: string; error: string }[] = [];
  /** Held invocations released after their function's timeout, and so never run (the payload's JSON). */
  readonly abandoned: { functionName: string; payload: string }[] = [];

  /** Adds a rule; the handle shows how often it matched and fired. */
  add(rule: FaultRule): FaultHandle {
    const live: LiveRule = { rule, matched: 0, injected: 0 };
    this.rules.push(live);
    return {
      rule,
      get matched() {
        return live.matched;
      },
      get injected() {
        return live.injected;
      },
      get exhausted() {
        return live.injected >= (rule.times ?? 1);
      },
    };
  }

  /** Removes every rule (counters and the log of injected faults stay). */
  clear(): void {
    this.rules.length = 0;
  }

  /** Requests (or invocations) seen for a service, optionally one operation, faulted or not. */
  seen(service: FaultService, operation?: string): number {
    if (operation !== undefined) return this.counts.get(`${service} ${operation}`) ?? 0;
    let total = 0;
    for (const [key, count] of this.counts) if (key.startsWith(`${service} `)) total += count;
    return total;
  }

  /** The proxy endpoint of a service (after `proxy`). */
  endpoint(service: ProxiedService): string {
    const url = this.endpoints.get(service);
    if (!url) throw new Error(`No fault proxy for ${service}`);
    return url;
  }

  /** Decides the fate of one request: the fault of the first rule that takes it, if any. */
  private decide(request: FaultRequest): Fault | undefined {
    const key = `${request.service} ${request.operation}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    for (const live of this.rules) {
      const { rule } = live;
      if (rule.service !== request.service || (rule.operation !== '*' && rule.operation !== request.operation)) continue;
      if (live.injected >= (rule.times ?? 1)) continue;
      if (rule.match && !rule.match(request)) continue;
      live.matched += 1;
      if (live.matched <= (rule.skip ?? 0)) return undefined;
      live.injected += 1;
      this.injected.push({
        service: request.service,
        operation: request.operation,
        kind: rule.fault.kind,
        ...(rule.fault.kind === 'error' ? { code: rule.fault.code } : rule.fault.kind === 'lose-response' && rule.fault.then ? { code: rule.fault.then.code } : {}),
        ...(request.attempt ? { attempt: request.attempt } : {}),
        ...(rule.label ? { label: rule.label } : {}),
        at: Date.now(),
      });
      return rule.fault;
    }
    return undefined;
  }

  /** Starts a proxy for `service` in front of `target`; returns the URL to give the SDK. */
  async proxy(service: ProxiedService, target: string, host = '127.0.0.1'): Promise<string> {
    const upstreamUrl = new URL(target);
    const server = createServer((req, res) => {
      this.handle(service, upstreamUrl, req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault proxy: ${error instanceof Error ? error.message : String(error)}`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    this.servers.push(server);
    const { port } = server.address() as AddressInfo;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.endpoints.set(service, url);
    return url;
  }

  private async handle(service: ProxiedService, upstreamUrl: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const text = body.toString('utf8');
    this.options.observe?.(service, req.headers, text);
    const attempt = req.headers['amz-sdk-request'];
    const fault = this.decide({ service, operation: operationOf(service, req, text), body: text, ...(typeof attempt === 'string' ? { attempt } : {}) });
    if (fault?.kind === 'error') return this.answerError(res, service, fault);
    if (fault?.kind === 'hold') await fault.release.catch(() => undefined);
    const upstream = await this.forward(upstreamUrl, req, body);
    if (fault?.kind === 'lose-response') {
      // The service has done it; the caller never hears.
      if (fault.then) return this.answerError(res, service, fault.then);
      req.socket.destroy();
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(upstream.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    headers['content-length'] = String(upstream.body.length);
    res.writeHead(upstream.status, headers);
    res.end(upstream.body);
  }

  private answerError(res: ServerResponse, service: ProxiedService, error: AwsErrorFault): void {
    const answer = errorResponse(service, error);
    res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
    res.end(answer.body);
  }

  private forward(upstreamUrl: URL, req: IncomingMessage, body: Buffer): Promise<Upstream> {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    headers.host = upstreamUrl.host;
    headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const out = httpRequest(
        { protocol: upstreamUrl.protocol, hostname: upstreamUrl.hostname, port: upstreamUrl.port, method: req.method, path: req.url, headers, agent: this.agent },
        (upstream) => {
          readBody(upstream).then((data) => resolve({ status: upstream.statusCode ?? 502, headers: upstream.headers, body: data }), reject);
        },
      );
      out.once('error', reject);
      out.end(body);
    });
  }

  /**
   * Wraps a Lambda handler of the local Step Functions service so 'lambda' rules apply to its invocations. Put it
   * inside the function's timeout (local/lambda-timeouts.ts), whose signal tells a held invocation it is too late.
   */
  lambda(functionName: string, handler: LocalLambda): LocalLambda {
    return async (payload: unknown, invocation?: LocalInvocation) => {
      const body = JSON.stringify(payload ?? null);
      const fault = this.decide({ service: 'lambda', operation: functionName, body });
      if (fault?.kind === 'hold') {
        await fault.release.catch(() => undefined);
        if (invocation?.signal.aborted) {
          // The invocation has timed out meanwhile; on AWS its sandbox was stopped, so it never goes on.
          this.abandoned.push({ functionName, payload: body });
          return undefined;
        }
      }
      if (!fault || fault.kind === 'hold') return handler(payload);
      if (fault.kind === 'error') throw invokeError(fault);
      if (fault.kind === 'lose-response') {
        // The function ran; the caller is told it failed (as when the invoke call itself times out).
        await handler(payload);
        throw invokeError(fault.then ?? AWS_ERRORS.lambdaSdkClient);
      }
      if (fault.kind === 'out-of-memory') {
        await handler(payload);
        throw new LambdaFunctionError({ errorType: 'Runtime.OutOfMemory', errorMessage: `RequestId: ${randomUUID()} Error: Runtime exited with error: signal: killed` });
      }
      if (fault.kind === 'oversized-result') return { ...((await handler(payload)) as object), padding: 'x'.repeat(fault.bytes) };
      // At-least-once delivery: the same event twice, one after the other, each with its own copy. The caller
      // gets the second outcome; a failure of the first is kept for the test to see.
      await handler(JSON.parse(body)).catch((error: unknown) => {
        this.duplicateFailures.push({ functionName, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      });
      return handler(JSON.parse(body));
    };
  }

  /**
   * The local Step Functions service's hook before a `states:startExecution(.sync:2)` task starts its child
   * (ServiceOptions.beforeStartExecution): 'sfn-integration' rules decide, an error fails the task.
   */
  readonly startExecution = async (request: { stateMachineArn: string; name: string; input: string }): Promise<void> => {
    const fault = this.decide({ service: 'sfn-integration', operation: 'StartExecution', body: JSON.stringify(request) });
    if (fault?.kind === 'hold') await fault.release.catch(() => undefined);
    if (fault?.kind === 'error') throw integrationErrorOf('StepFunctions', fault);
  };

  async close(): Promise<void> {
    this.clear();
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    this.agent.destroy();
  }
}
