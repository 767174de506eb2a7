import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttribute, SQSRecord } from 'aws-lambda';

/**
 * Lambda's event source mapping for an SQS standard queue, with `ReportBatchItemFailures`, as the local stack's
 * poller: it receives from the queue as Lambda's pollers do and invokes the function with the event Lambda would
 * send (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html), so the sender runs the code path it runs on AWS.
 *
 *   - Up to `maximumConcurrency` pollers, each invoking the function with one batch at a time: never more than that
 *     many invocations at once (the ESM's MaximumConcurrency, https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
 *   - A batch is what one long poll returns (at most 10 messages), or, with a batching window, what several return
 *     until `batchSize` is reached or the window has passed since its first message.
 *   - The answer decides what is deleted (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html):
 *     success deletes the batch but its `batchItemFailures`; an answer Lambda cannot read (not an object, a
 *     failure without an itemIdentifier, or naming a message not in the batch) and an invocation that failed
 *     (threw, timed out) delete nothing. What is not deleted comes back when its visibility timeout ends, with a
 *     higher receive count, and the queue's RedrivePolicy moves it to the dead-letter queue after maxReceiveCount.
 *
 * Not modelled: the ESM's scaling up from 5 pollers and its backing off after failed invocations (it only slows
 * delivery), the 6 MB payload limit of a batch (e-mails are small), FIFO queues, filter criteria.
 */
export interface QueueEventSourceOptions {
  /** A client for the queue, or its endpoint (a client of its own then, closed with the event source). */
  sqs: SQSClient | string;
  /** The client the pollers receive and delete with (default `sqs`): the local stack's goes through its IAM recording proxy. */
  pollerSqs?: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  /** The ESM's BatchSize: 1 to 10,000; above 10 only with a batching window of at least 1 s (Lambda's rule). */
  batchSize: number;
  /** The ESM's ScalingConfig.MaximumConcurrency: 2 to 1,000. */
  maximumConcurrency: number;
  /** The ESM's MaximumBatchingWindowInSeconds: 0 (default) to 300. */
  maximumBatchingWindowSeconds?: number;
  /** The function: its answer as the SQSBatchResponse it returns; a rejection is a failed invocation. */
  invoke: (event: SQSEvent) => Promise<unknown>;
  /** How long one ReceiveMessage waits for messages (default 1 s: close() is prompt; Lambda uses 20 s). */
  waitTimeSeconds?: number;
  /** Where a poller reports the first of a run of failed requests (default console.warn). */
  onPollError?: (error: unknown) => void;
}

export interface QueueEventSource {
  /**
   * Resolves once the queue has nothing visible, in flight or delayed and no batch is being handled, seen twice in
   * a row (so a message the function queued just before it returned is not missed); rejects after `timeoutMs`
   * (default 10 s) naming what is still there, e.g. a message in flight after a batch item failure.
   */
  settled(options?: { timeoutMs?: number }): Promise<void>;
  /** Stops polling: waits for the batches being handled, abandons the polls waiting for messages. */
  close(): Promise<void>;
  /** Invocations of the function so far. */
  readonly invocations: number;
}

/** Lambda's bounds for an SQS event source mapping (CreateEventSourceMapping). */
const BATCH_SIZE_MAX = 10_000;
const RECEIVE_MAX = 10;
const CONCURRENCY_MIN = 2;
const CONCURRENCY_MAX = 1000;
const BATCHING_WINDOW_MAX = 300;
/** After a failed poll, a poller waits this long, doubling up to the maximum, before it polls again. */
const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 5000;
/** Between the two looks of settled(). */
const SETTLE_CHECK_MS = 50;

/** What Lambda deletes after an invocation: everything but these message IDs, or nothing ('batch'). */
type Failed = Set<string> | 'batch';

export function startQueueEventSource(options: QueueEventSourceOptions): QueueEventSource {
  const { queueUrl, queueArn, region, batchSize, maximumConcurrency, invoke } = options;
  const window = options.maximumBatchingWindowSeconds ?? 0;
  const waitTimeSeconds = options.waitTimeSeconds ?? 1;
  validate(batchSize, maximumConcurrency, window, waitTimeSeconds);
  const ownClient = typeof options.sqs === 'string';
  const sqs = typeof options.sqs === 'string' ? new SQSClient({ endpoint: options.sqs, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }) : options.sqs;
  const pollerSqs = options.pollerSqs ?? sqs;
  const onPollError = options.onPollError ?? ((error: unknown) => console.warn(`SQS event source for ${queueArn}: polling failed, retrying: ${describe(error)}`));

  const stopping = new AbortController();
  let invocations = 0;
  /** Pollers holding received messages (gathering a batch, invoking, deleting). */
  let handling = 0;

  const receive = async (max: number, wait: number): Promise<Message[]> => {
    const answer = await pollerSqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: wait,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: stopping.signal },
    );
    return answer.Messages ?? [];
  };

  /** The rest of a batch: more messages until it is full or the window has passed since its first ones. */
  const fill = async (batch: Message[]): Promise<Message[]> => {
    const closes = Date.now() + window * 1000;
    while (batch.length < batchSize && Date.now() < closes && !stopping.signal.aborted) {
      const wait = Math.min(waitTimeSeconds, Math.max(1, Math.ceil((closes - Date.now()) / 1000)));
      batch = batch.concat(await receive(Math.min(RECEIVE_MAX, batchSize - batch.length), wait));
    }
    return batch;
  };

  /** Invokes the function with the batch and deletes what its answer says was done. */
  const deliver = async (batch: Message[]): Promise<void> => {
    invocations += 1;
    const event: SQSEvent = { Records: batch.map((message) => record(message, queueArn, region)) };
    const failed = await invoke(event).then(
      (answer) => failedItems(answer, new Set(batch.map((message) => message.MessageId!))),
      (): Failed => 'batch',
    );
    if (failed === 'batch') return;
    const done = batch.filter((message) => !failed.has(message.MessageId!));
    for (let i = 0; i < done.length; i += RECEIVE_MAX) {
      const entries = done.slice(i, i + RECEIVE_MAX).map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! }));
      // A delete that fails (its receipt handle expired meanwhile) leaves the message to come again: at-least-once.
      await pollerSqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    }
  };

  const poller = async (): Promise<void> => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      try {
        const first = await receive(Math.min(RECEIVE_MAX, batchSize), waitTimeSeconds);
        if (first.length > 0) {
          handling += 1;
          try {
            const batch = await fill(first);
            // Closing: what was received comes back after its visibility timeout.
            if (!stopping.signal.aborted) await deliver(batch);
          } finally {
            handling -= 1;
          }
        }
        failures = 0;
      } catch (error) {
        if (stopping.signal.aborted) return;
        // Once per run of failures (the stand-in gone, say), then quietly slower and slower.
        if (failures === 0) onPollError(error);
        failures += 1;
        await pause(Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (failures - 1)), stopping.signal);
      }
    }
  };

  const pollers = Array.from({ length: maximumConcurrency }, () => poller());

  /** What keeps the queue from being settled, or undefined. */
  const unsettled = async (): Promise<string | undefined> => {
    const { Attributes: counts = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
    );
    const visible = Number(counts.ApproximateNumberOfMessages ?? 0);
    const inFlight = Number(counts.ApproximateNumberOfMessagesNotVisible ?? 0);
    const delayed = Number(counts.ApproximateNumberOfMessagesDelayed ?? 0);
    if (visible + inFlight + delayed + handling === 0) return undefined;
    return `${visible} visible, ${inFlight} in flight, ${delayed} delayed, ${handling} batch(es) being handled`;
  };

  return {
    get invocations() {
      return invocations;
    },
    async settled({ timeoutMs = 10_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      let quietLooks = 0;
      for (;;) {
        const blocker = await unsettled();
        quietLooks = blocker === undefined ? quietLooks + 1 : 0;
        if (quietLooks === 2) return;
        if (Date.now() >= deadline) throw new Error(`The queue ${queueArn} did not settle within ${timeoutMs} ms: ${blocker ?? 'it was quiet only once'}`);
        await pause(SETTLE_CHECK_MS);
      }
    },
    async close() {
      stopping.abort();
      await Promise.all(pollers);
      if (ownClient) sqs.destroy();
    },
  };
}

function validate(batchSize: number, maximumConcurrency: number, window: number, waitTimeSeconds: number): void {
  const problems: string[] = [];
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > BATCH_SIZE_MAX) problems.push(`batchSize must be an integer from 1 to ${BATCH_SIZE_MAX}, not ${batchSize}`);
  if (!Number.isInteger(maximumConcurrency) || maximumConcurrency < CONCURRENCY_MIN || maximumConcurrency > CONCURRENCY_MAX)
    problems.push(`maximumConcurrency must be an integer from ${CONCURRENCY_MIN} to ${CONCURRENCY_MAX}, not ${maximumConcurrency}`);
  if (!Number.isInteger(window) || window < 0 || window > BATCHING_WINDOW_MAX) problems.push(`maximumBatchingWindowSeconds must be an integer from 0 to ${BATCHING_WINDOW_MAX}, not ${window}`);
  if (batchSize > RECEIVE_MAX && window < 1) problems.push(`a batchSize above ${RECEIVE_MAX} needs maximumBatchingWindowSeconds of at least 1`);
  if (!Number.isInteger(waitTimeSeconds) || waitTimeSeconds < 1 || waitTimeSeconds > 20) problems.push(`waitTimeSeconds must be an integer from 1 to 20, not ${waitTimeSeconds}`);
  if (problems.length > 0) throw new Error(`Invalid SQS event source (Lambda's rules): ${problems.join('; ')}`);
}

/** One message as a record of Lambda's SQS event. */
function record(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount!,
      SentTimestamp: attributes.SentTimestamp!,
      SenderId: attributes.SenderId!,
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp!,
      ...attributes,
    },
    messageAttributes: Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, messageAttribute(value)])),
    md5OfBody: message.MD5OfBody!,
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** A message attribute as Lambda writes it: camelCase, binary values in base64, the (unused) list values empty. */
function messageAttribute(value: MessageAttributeValue): SQSMessageAttribute {
  return {
    ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
    ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
    stringListValues: [],
    binaryListValues: [],
    dataType: value.DataType!,
  };
}

/**
 * The messages a successful invocation failed, read as Lambda reads the SQSBatchResponse: nothing (null, no
 * list, an empty list) is success; an answer that is not a JSON object, an item without a non-empty string
 * itemIdentifier, or one naming a message not in the batch fails the whole batch.
 */
export function failedItems(answer: unknown, batch: ReadonlySet<string>): Failed {
  let response: unknown;
  try {
    // What Lambda gets is the answer's JSON.
    response = answer === undefined ? null : JSON.parse(JSON.stringify(answer));
  } catch {
    return 'batch';
  }
  if (response === null) return new Set();
  if (typeof response !== 'object' || Array.isArray(response)) return 'batch';
  const items = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (items === undefined || items === null) return new Set();
  if (!Array.isArray(items)) return 'batch';
  const failed = new Set<string>();
  for (const item of items) {
    const id = (item as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !batch.has(id)) return 'batch';
    failed.add(id);
  }
  return failed;
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
