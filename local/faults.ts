import { randomUUID } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalLambda } from './stepfunctions/index.js';

/**
 * Fault injection for the local stack (tests only; off unless `startLocalStack(…, { faults: true })`).
 *
 * Nothing here touches a handler or the ASL. The handlers reach SES, DynamoDB and Step Functions through the
 * SDK's AWS_ENDPOINT_URL_SES / _DYNAMODB / _SFN; with faults on, those point at small HTTP proxies in front of
 * the stand-ins, so an injected fault travels the real code path: SDK retries, the adapters' error
 * classification (TransientError), the state machines' Retry/Catch. The Lambda handlers the local Step
 * Functions service invokes are wrapped too, to deliver one invocation twice (Lambda is at-least-once).
 *
 * Rules (`faults.add(rule)`) are matched in the order they were added; the first rule that matches a request
 * and still has faults left decides it:
 *   - `{ kind: 'error', status, code }`: the request never reaches the service; the caller gets that AWS
 *     error in the service's own protocol (SES query XML, DynamoDB/SFN JSON with `__type`).
 *   - `{ kind: 'lose-response' }`: the service handles the request (a write happens), then the caller sees
 *     the connection reset (or `then`, an AWS error): "it happened, but the caller does not know".
 *   - `{ kind: 'duplicate' }` (service 'lambda' only; the proxies ignore it): the handler runs twice, one
 *     after the other, for the same payload; the caller gets the second run's outcome.
 *   - `{ kind: 'hold', release }`: the request (or invocation) waits until `release` settles, then goes on as
 *     usual: a slow dependency, or a moment frozen for the test to act in.
 * `skip` lets that many matching requests through first; `times` (default 1) is how many are faulted.
 * The SDK retries throttling, 5xx and reset connections itself (SDK_ATTEMPTS: 3 attempts in all for SES and
 * Step Functions, 4 for DynamoDB), so a fault that must reach the handler has to cover every attempt.
 */
export type FaultService = 'ses' | 'dynamodb' | 'sfn' | 'lambda';

/** An AWS error as the service would answer it. */
export interface AwsErrorFault {
  kind: 'error';
  status: number;
  /** The error code: SES `<Code>`, the name after `#` in a JSON `__type`, or a Lambda error name. */
  code: string;
  message?: string;
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

export type Fault = AwsErrorFault | LoseResponseFault | DuplicateFault | HoldFault;

/** One request (or Lambda invocation) as the fault layer sees it. */
export interface FaultRequest {
  service: FaultService;
  /** `UpdateItem`, `SendTaskSuccess` (X-Amz-Target), `SendEmail` (SES `Action=`), the function name for 'lambda', else `METHOD /path`. */
  operation: string;
  /** The raw request body (the JSON of the payload for 'lambda'). */
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
export const SDK_ATTEMPTS = { ses: 3, dynamodb: 4, sfn: 3 } as const;

/** Typical AWS errors, each in the form its service returns it. */
export const AWS_ERRORS = {
  /** SES: sending rate exceeded (400, query protocol `<Code>Throttling</Code>`). */
  sesThrottling: { kind: 'error', status: 400, code: 'Throttling', message: 'Maximum sending rate exceeded.' },
  /** SES: a transient service failure. */
  sesServiceUnavailable: { kind: 'error', status: 503, code: 'ServiceUnavailable', message: 'Service is unavailable. Please try again later.' },
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
} as const satisfies Record<string, AwsErrorFault>;

/** A matcher: the request body contains every part (DynamoDB keys and values, SES parameters, payload JSON). */
export function bodyIncludes(...parts: string[]): (request: FaultRequest) => boolean {
  return (request) => parts.every((part) => request.body.includes(part));
}

/**
 * A matcher that accepts the requests beyond `perSecond` a second, as SES counts its maximum sending rate: a
 * token bucket holding one second's worth, refilled continuously. With `fault: AWS_ERRORS.sesThrottling` and
 * `times: Infinity` it makes the SES stand-in an account with that sending quota.
 */
export function overRate(perSecond: number, now: () => number = () => performance.now()): (request: FaultRequest) => boolean {
  if (!(perSecond > 0)) throw new Error(`overRate: the rate must be a positive number of requests a second, not ${perSecond}`);
  let tokens = perSecond;
  let last = now();
  return () => {
    const t = now();
    tokens = Math.min(perSecond, tokens + ((t - last) / 1000) * perSecond);
    last = t;
    if (tokens >= 1) {
      tokens -= 1;
      return false;
    }
    return true;
  };
}

const JSON_ERROR_NAMESPACE: Record<'dynamodb' | 'sfn', string> = {
  dynamodb: 'com.amazonaws.dynamodb.v20120810',
  sfn: 'com.amazonaws.swf.service.model',
};

const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The error response of the service's protocol: awsQuery XML for SES, awsJson1_0 for DynamoDB and SFN. */
function errorResponse(service: 'ses' | 'dynamodb' | 'sfn', error: AwsErrorFault): { status: number; headers: Record<string, string>; body: string } {
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
  return {
    status: error.status,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId },
    body: JSON.stringify({ __type: `${JSON_ERROR_NAMESPACE[service]}#${error.code}`, message }),
  };
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

export class FaultLayer {
  private readonly rules: LiveRule[] = [];
  private readonly servers: Server[] = [];
  private readonly endpoints = new Map<FaultService, string>();
  private readonly counts = new Map<string, number>();
  private readonly agent = new Agent({ keepAlive: true });
  /** Every fault injected, in order. */
  readonly injected: InjectedFault[] = [];
  /** First deliveries of duplicated invocations that failed (the caller saw the second one). */
  readonly duplicateFailures: { functionName: string; error: string }[] = [];

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
  endpoint(service: 'ses' | 'dynamodb' | 'sfn'): string {
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
  async proxy(service: 'ses' | 'dynamodb' | 'sfn', target: string, host = '127.0.0.1'): Promise<string> {
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

  private async handle(service: 'ses' | 'dynamodb' | 'sfn', upstreamUrl: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const text = body.toString('utf8');
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

  private answerError(res: ServerResponse, service: 'ses' | 'dynamodb' | 'sfn', error: AwsErrorFault): void {
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

  /** Wraps a Lambda handler of the local Step Functions service so 'lambda' rules apply to its invocations. */
  lambda(functionName: string, handler: LocalLambda): LocalLambda {
    return async (payload: unknown) => {
      const body = JSON.stringify(payload ?? null);
      const fault = this.decide({ service: 'lambda', operation: functionName, body });
      if (fault?.kind === 'hold') await fault.release.catch(() => undefined);
      if (!fault || fault.kind === 'hold') return handler(payload);
      if (fault.kind === 'error') throw Object.assign(new Error(fault.message ?? fault.code), { name: fault.code });
      if (fault.kind === 'lose-response') {
        // The function ran; the caller is told it failed (as when the invoke call itself times out).
        await handler(payload);
        throw Object.assign(new Error('Lambda response lost'), { name: fault.then?.code ?? 'Lambda.SdkClientException' });
      }
      // At-least-once delivery: the same event twice, one after the other, each with its own copy. The caller
      // gets the second outcome; a failure of the first is kept for the test to see.
      await handler(JSON.parse(body)).catch((error: unknown) => {
        this.duplicateFailures.push({ functionName, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      });
      return handler(JSON.parse(body));
    };
  }

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
