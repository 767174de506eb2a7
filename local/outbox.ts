import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { startQueueEventSource, type QueueEventSource, type QueueEventSourceOptions } from './queue-event-source.js';
import { startStandIn, type SqsUsage } from './stand-ins/index.js';

/**
 * The e-mail outbox locally: an SQS standard queue with its dead-letter queue in the SQS stand-in (fauxqs, a
 * process of its own), drained into the sender function by a model of Lambda's event source mapping
 * (local/queue-event-source.ts). The product reaches the queue through AWS_ENDPOINT_URL_SQS = `url` and the
 * queue URL, exactly as on AWS.
 */

/** The queue's settings, the same numbers CDK deploys. */
export interface OutboxQueueSettings {
  /** Seconds a received message stays invisible (on AWS at least the sender's timeout; Lambda requires it). */
  visibilityTimeoutSeconds: number;
  /** Receives after which a message goes to the dead-letter queue (RedrivePolicy). */
  maxReceiveCount: number;
  /** Seconds a message is kept (MessageRetentionPeriod; fauxqs stores it but never expires a message). */
  retentionSeconds: number;
  /** The dead-letter queue's MessageRetentionPeriod (default 14 days, SQS's maximum: it must outlast the queue's). */
  deadLetterRetentionSeconds?: number;
}

export interface OutboxQueues {
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
}

/** SQS's longest MessageRetentionPeriod. */
const FOURTEEN_DAYS = 14 * 86_400;

/** Creates `<name>-dead-letter` and `<name>`, whose RedrivePolicy moves a message there after maxReceiveCount receives. */
export async function createOutboxQueues(sqs: SQSClient, settings: { name: string } & OutboxQueueSettings): Promise<OutboxQueues> {
  const { name, visibilityTimeoutSeconds, maxReceiveCount, retentionSeconds, deadLetterRetentionSeconds = FOURTEEN_DAYS } = settings;
  const deadLetter = await createQueue(sqs, `${name}-dead-letter`, { MessageRetentionPeriod: String(deadLetterRetentionSeconds) });
  const queue = await createQueue(sqs, name, {
    VisibilityTimeout: String(visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(retentionSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetter.arn, maxReceiveCount }),
  });
  return { queueUrl: queue.url, queueArn: queue.arn, deadLetterQueueUrl: deadLetter.url, deadLetterQueueArn: deadLetter.arn };
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<{ url: string; arn: string }> {
  const { QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url: url!, arn: Attributes!.QueueArn! };
}

/**
 * The same queue URL on another endpoint (the fault proxy's). The SDK sends a call to its queue URL's origin
 * unless its client names an endpoint in code, which the product's does not (it has AWS_ENDPOINT_URL_SQS): a
 * queue URL on the stand-in's own origin would go around the proxy.
 */
export function queueUrlOn(endpoint: string, queueUrl: string): string {
  return new URL(new URL(queueUrl).pathname, endpoint).toString();
}

/** The event source mapping's settings, the same numbers CDK deploys (see QueueEventSourceOptions). */
export type OutboxEventSourceSettings = Pick<QueueEventSourceOptions, 'batchSize' | 'maximumConcurrency' | 'maximumBatchingWindowSeconds' | 'waitTimeSeconds' | 'onPollError'>;

export interface LocalOutboxOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  region: string;
  /** The stack's account: fauxqs has one only, 000000000000; another is refused rather than silently different ARNs. */
  account: string;
  name: string;
  queue: OutboxQueueSettings;
  eventSource: OutboxEventSourceSettings;
  /** The sender function, as Lambda invokes it (within its timeout: the caller wraps it). */
  invoke: (event: SQSEvent) => Promise<unknown>;
  /** The sender's timeout: Lambda refuses a mapping from a queue whose visibility timeout is shorter. */
  functionTimeoutSeconds: number;
  /**
   * The endpoint Lambda's pollers reach the stand-in at (given its URL): the local stack's proxy, which records their
   * calls as the sender's role's. Default: the stand-in itself.
   */
  pollerEndpoint?: (url: string) => Promise<string>;
}

export interface LocalOutbox extends OutboxQueues {
  /** The SQS endpoint (AWS_ENDPOINT_URL_SQS); the queue URLs are on it. */
  url: string;
  /** The SQS stand-in's process. */
  pid: number;
  /** See QueueEventSource.settled. */
  settled: QueueEventSource['settled'];
  /**
   * Requests the stand-in has served by action, and billed. They include the event source's polls (billed on
   * AWS too, but there each empty long poll waits 20 s, here `waitTimeSeconds`, so count `emptyReceives` apart)
   * and settled()'s GetQueueAttributes (a harness's, not the product's).
   */
  usage(): Promise<SqsUsage>;
  /** Invocations of the sender so far. */
  readonly invocations: number;
  close(): Promise<void>;
}

export async function startLocalOutbox(options: LocalOutboxOptions): Promise<LocalOutbox> {
  const { host, port, region, account, name, queue, eventSource, invoke, functionTimeoutSeconds, pollerEndpoint } = options;
  // CreateEventSourceMapping's own check (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
  if (functionTimeoutSeconds > queue.visibilityTimeoutSeconds)
    throw new Error(`Invalid request provided: Queue visibility timeout: ${queue.visibilityTimeoutSeconds} seconds is less than Function timeout: ${functionTimeoutSeconds} seconds`);
  const standIn = await startStandIn('sqs', host, port, region);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${standIn.port}`;
  const sqs = new SQSClient({ endpoint: url, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  let pollerSqs: SQSClient | undefined;
  try {
    if (pollerEndpoint) pollerSqs = new SQSClient({ endpoint: await pollerEndpoint(url), region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const queues = await createOutboxQueues(sqs, { name, ...queue });
    const queueAccount = queues.queueArn.split(':')[4];
    if (queueAccount !== account) throw new Error(`The SQS stand-in serves account ${queueAccount}, not ${account}: the local stack's ARNs would not match`);
    const source = startQueueEventSource({ sqs, ...(pollerSqs ? { pollerSqs } : {}), queueUrl: queues.queueUrl, queueArn: queues.queueArn, region, invoke, ...eventSource });
    return {
      url,
      ...queues,
      pid: standIn.pid,
      settled: (settleOptions) => source.settled(settleOptions),
      usage: () => standIn.usage(),
      get invocations() {
        return source.invocations;
      },
      async close() {
        await source.close();
        sqs.destroy();
        pollerSqs?.destroy();
        await standIn.close();
      },
    };
  } catch (error) {
    sqs.destroy();
    pollerSqs?.destroy();
    await standIn.close();
    throw error;
  }
}
