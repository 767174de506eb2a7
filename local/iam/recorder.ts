import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingHttpHeaders } from 'node:http';
import { CASE_PARTITION_KEY } from '../case-table.js';
import type { ProxiedService } from '../faults.js';

/**
 * Who makes each AWS API call of the local stack, and what IAM would authorise it against.
 *
 * The handlers run in this process and share SDK clients, so a call is attributed by an AsyncLocalStorage the
 * stack enters around each invocation (a function) and around what it does with a role on AWS (a state machine's
 * integrations, Lambda's SQS poller): every HTTP request started inside carries the principal in an unsigned
 * header (`PRINCIPAL_HEADER`, added through node:diagnostics_channel before the request is sent), and the proxy in
 * front of each stand-in (local/faults.ts) hands the request to `observe`, which decodes the IAM action, the
 * resources and the condition keys from it. Calls the local Step Functions service makes itself (no HTTP) are
 * given to `record` directly. Requests without the header are the harness's: the tests' own clients (most go to the
 * stand-ins directly, some through the proxies to be faulted) and a test calling a handler itself; not principals of
 * the template, they are counted in `unattributed` and not evaluated.
 */
export const PRINCIPAL_HEADER = 'x-local-iam-principal';

/** A principal of the template: `function:<name in lib/>` or `state-machine:<name>`. */
export type Principal = `function:${string}` | `state-machine:${string}`;

/** One authorisation IAM makes: a call may need several (SES's SendEmail: the identity and the configuration set). */
export interface AwsCall {
  principal: Principal;
  /** `dynamodb:UpdateItem` */
  action: string;
  resource: string;
  /** Request context keys and their values (`ses:FromAddress`, `dynamodb:LeadingKeys`). */
  context: Record<string, string | string[]>;
}

/** The account and region ARNs are built in, and how a task token names its state machine. */
export interface RecorderScope {
  region: string;
  account: string;
  /** The state machine whose execution issued a task token (local Step Functions service). */
  stateMachineOfToken(token: string): string | undefined;
}

/** A call's identity for de-duplication (what it is, not how often). */
export const callKey = (call: AwsCall): string => JSON.stringify([call.principal, call.action, call.resource, call.context]);

let subscribers = 0;
const storage = new AsyncLocalStorage<Principal>();
const tagRequest = (message: unknown) => {
  const principal = storage.getStore();
  const request = (message as { request: ClientRequest }).request;
  if (principal && !request.headersSent) request.setHeader(PRINCIPAL_HEADER, principal);
};

export class IamRecorder {
  /** Every distinct call so far, with how often it was made. */
  readonly calls = new Map<string, { call: AwsCall; count: number }>();
  /** Requests that reached a proxy without a principal (`service operation`), with how often. */
  readonly unattributed = new Map<string, number>();
  /** Requests the decoder does not know: a call IAM would authorise that this cannot check. */
  readonly undecoded = new Map<string, number>();
  private closed = false;

  constructor(private readonly scope: RecorderScope) {
    // One subscription per process: several stacks in one test file share it, and the store says who calls.
    if (subscribers++ === 0) subscribe('http.client.request.created', tagRequest);
  }

  /** Runs `fn` as `principal`: every AWS call made inside, however deep in its promises, is theirs. */
  as<T>(principal: Principal, fn: () => T): T {
    return storage.run(principal, fn);
  }

  record(call: AwsCall): void {
    const key = callKey(call);
    const seen = this.calls.get(key);
    if (seen) seen.count++;
    else this.calls.set(key, { call, count: 1 });
  }

  /** What a proxy saw: one request to `service`, its headers and body. */
  observe(service: ProxiedService, headers: IncomingHttpHeaders, body: string): void {
    const principal = headers[PRINCIPAL_HEADER];
    const decoded = decodeRequest(service, headers, body, this.scope);
    const what = `${service} ${decoded?.[0]?.action ?? operationName(headers, body)}`;
    if (typeof principal !== 'string') {
      this.unattributed.set(what, (this.unattributed.get(what) ?? 0) + 1);
      return;
    }
    if (!decoded) {
      this.undecoded.set(what, (this.undecoded.get(what) ?? 0) + 1);
      return;
    }
    for (const call of decoded) this.record({ principal: principal as Principal, ...call });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (--subscribers === 0) unsubscribe('http.client.request.created', tagRequest);
  }
}

type Decoded = Omit<AwsCall, 'principal'>[];

function operationName(headers: IncomingHttpHeaders, body: string): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  return new URLSearchParams(body).get('Action') ?? '?';
}

/**
 * IAM's view of one request: the action it is authorised as and the resources it is authorised against, as AWS's
 * Service Authorization Reference lists them for the action, and the condition keys the request sets. Undefined for
 * an operation the product is not known to call (the caller reports it, so nothing goes unchecked silently).
 */
export function decodeRequest(service: ProxiedService, headers: IncomingHttpHeaders, body: string, scope: RecorderScope): Decoded | undefined {
  const arn = (svc: string, resource: string) => `arn:aws:${svc}:${scope.region}:${scope.account}:${resource}`;
  const operation = operationName(headers, body);
  if (service === 'ses') {
    // SES v1 (query): SendEmail is authorised against the sending identity and, when the send names one, the
    // configuration set. Of its condition keys the policies use ses:FromAddress, the Source's address (a policy
    // using a key not recorded here fails the check, local/iam/policies.ts).
    if (operation !== 'SendEmail') return undefined;
    const params = new URLSearchParams(body);
    const source = params.get('Source') ?? '';
    const from = /<([^>]+)>\s*$/.exec(source)?.[1] ?? source;
    const context = { 'ses:FromAddress': from };
    // The identity SES authorises is the domain's (the stack verifies the domain; see KEPT_GRANTS for the address's).
    const calls: Decoded = [{ action: 'ses:SendEmail', resource: arn('ses', `identity/${from.slice(from.indexOf('@') + 1)}`), context }];
    const configurationSet = params.get('ConfigurationSetName');
    if (configurationSet) calls.push({ action: 'ses:SendEmail', resource: arn('ses', `configuration-set/${configurationSet}`), context });
    return calls;
  }
  let request: Record<string, unknown>;
  try {
    request = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const text = (key: string) => (typeof request[key] === 'string' ? (request[key] as string) : undefined);
  if (service === 'dynamodb') {
    if (!DYNAMODB_ACTIONS.has(operation) || !text('TableName')) return undefined;
    const resource = arn('dynamodb', `table/${text('TableName')}`);
    if (!DYNAMODB_ITEM_ACTIONS.has(operation)) return [{ action: `dynamodb:${operation}`, resource, context: {} }];
    // The grants are confined to partitions (dynamodb:LeadingKeys): an item call whose key cannot be read is undecoded.
    const leadingKey = leadingKeyOf(operation, request);
    if (leadingKey === undefined) return undefined;
    return [{ action: `dynamodb:${operation}`, resource, context: { 'dynamodb:LeadingKeys': [leadingKey] } }];
  }
  if (service === 'sqs') {
    // A batch is authorised as its single action (SendMessageBatch needs sqs:SendMessage).
    const action = SQS_ACTIONS[operation];
    const queueName = text('QueueUrl') ? new URL(text('QueueUrl')!).pathname.split('/').pop() : text('QueueName');
    if (!action || !queueName) return undefined;
    return [{ action: `sqs:${action}`, resource: arn('sqs', queueName), context: {} }];
  }
  // Step Functions
  if (operation === 'StartExecution' && text('stateMachineArn')) return [{ action: 'states:StartExecution', resource: text('stateMachineArn')!, context: {} }];
  if (['DescribeExecution', 'StopExecution', 'GetExecutionHistory'].includes(operation) && text('executionArn'))
    return [{ action: `states:${operation}`, resource: text('executionArn')!, context: {} }];
  if (['SendTaskSuccess', 'SendTaskFailure', 'SendTaskHeartbeat'].includes(operation) && text('taskToken')) {
    // On AWS these are authorised against the state machine whose execution issued the token (see TOKEN_ACTIONS
    // in local/iam/policies.ts); an unknown token is a call against no resource, which nothing grants.
    return [{ action: `states:${operation}`, resource: scope.stateMachineOfToken(text('taskToken')!) ?? 'unknown-task-token', context: {} }];
  }
  return undefined;
}

/** Calls on one table; those that name no key (Scan, DescribeTable) have no dynamodb:LeadingKeys on AWS either. */
const DYNAMODB_ACTIONS = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'DescribeTable']);
const DYNAMODB_ITEM_ACTIONS = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query']);

/**
 * The partition key value a single-item call (Key, or a PutItem's Item) or a Query of the table (the equality on
 * the partition key in its KeyConditionExpression) touches: what AWS gives IAM as dynamodb:LeadingKeys. Undefined
 * when it cannot be read, e.g. a Query of an index (whose partition key is not the table's) or with KeyConditions.
 */
function leadingKeyOf(operation: string, request: Record<string, unknown>): string | undefined {
  if (operation !== 'Query') {
    const key = (operation === 'PutItem' ? request.Item : request.Key) as Record<string, unknown> | undefined;
    return scalarOf(key?.[CASE_PARTITION_KEY]);
  }
  const condition = request.KeyConditionExpression;
  if (request.IndexName !== undefined || typeof condition !== 'string') return undefined;
  const names = (request.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (request.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  for (const [, left, right] of condition.matchAll(/([#:]?[\w.]+)\s*=\s*([#:]?[\w.]+)/g)) {
    const [attribute, value] = left!.startsWith(':') ? [right!, left!] : [left!, right!];
    if ((names[attribute] ?? attribute) === CASE_PARTITION_KEY && value.startsWith(':')) return scalarOf(values[value]);
  }
  return undefined;
}

/** A key attribute's value as IAM compares it (keys are strings, numbers or binary). */
function scalarOf(value: unknown): string | undefined {
  const typed = value as { S?: string; N?: string; B?: string } | undefined;
  return typed?.S ?? typed?.N ?? typed?.B;
}

const SQS_ACTIONS: Record<string, string> = {
  SendMessage: 'SendMessage',
  SendMessageBatch: 'SendMessage',
  ReceiveMessage: 'ReceiveMessage',
  DeleteMessage: 'DeleteMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibility: 'ChangeMessageVisibility',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
  GetQueueAttributes: 'GetQueueAttributes',
  GetQueueUrl: 'GetQueueUrl',
  StartMessageMoveTask: 'StartMessageMoveTask',
};
