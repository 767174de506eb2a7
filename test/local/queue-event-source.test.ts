import { createHash } from 'node:crypto';
import { ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AWS_ERRORS, FaultLayer, SDK_ATTEMPTS, sqsAccessDenied } from '../../local/faults.js';
import { createOutboxQueues, queueUrlOn, startLocalOutbox, type LocalOutboxOptions, type OutboxQueues } from '../../local/outbox.js';
import { failedItems, startQueueEventSource, type QueueEventSource, type QueueEventSourceOptions } from '../../local/queue-event-source.js';
import { startStandIn, type StandIn } from '../../local/stand-ins/index.js';

/**
 * Lambda's SQS event source mapping as the local stack models it, against the SQS stand-in (fauxqs in its own
 * process) and a recording function in place of the sender. Visibility timeouts are 1 s, so a message a batch
 * failed comes back within a second or two; settled() is what every test waits for.
 */
const REGION = 'eu-central-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

let standIn: StandIn<'sqs'>;
let endpoint: string;
let sqs: SQSClient;
const running: QueueEventSource[] = [];
let queueNumber = 0;

beforeAll(async () => {
  standIn = await startStandIn('sqs', '127.0.0.1', 0, REGION);
  endpoint = `http://127.0.0.1:${standIn.port}`;
  sqs = new SQSClient({ endpoint, region: REGION, credentials });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((source) => source.close()));
});

afterAll(async () => {
  sqs?.destroy();
  await standIn?.close();
});

/** A fresh outbox queue (and its dead-letter queue) for one test. */
function outbox(settings: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number } = {}): Promise<OutboxQueues> {
  return createOutboxQueues(sqs, { name: `outbox-${++queueNumber}`, visibilityTimeoutSeconds: 1, maxReceiveCount: 5, retentionSeconds: 3600, ...settings });
}

/** A function that records each event it is invoked with and answers as `answer` says. */
function recordingFunction(answer: (event: SQSEvent) => unknown = () => ({ batchItemFailures: [] })) {
  const events: SQSEvent[] = [];
  const deliveries = (body: string): SQSRecord[] => events.flatMap((event) => event.Records.filter((record) => record.body === body));
  return { events, deliveries, invoke: async (event: SQSEvent) => (events.push(structuredClone(event)), answer(event)) };
}

function listen(queues: OutboxQueues, options: Partial<QueueEventSourceOptions> & Pick<QueueEventSourceOptions, 'invoke'>): QueueEventSource {
  const source = startQueueEventSource({ sqs, queueUrl: queues.queueUrl, queueArn: queues.queueArn, region: REGION, batchSize: 10, maximumConcurrency: 2, ...options });
  running.push(source);
  return source;
}

const send = (queues: OutboxQueues, body: string, extra: { DelaySeconds?: number } = {}) => sqs.send(new SendMessageCommand({ QueueUrl: queues.queueUrl, MessageBody: body, ...extra }));

const sendAll = async (queues: OutboxQueues, bodies: string[]) => {
  for (let i = 0; i < bodies.length; i += 10)
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queues.queueUrl, Entries: bodies.slice(i, i + 10).map((body, index) => ({ Id: `m${index}`, MessageBody: body })) }));
};

const failing = (...bodies: string[]) => (event: SQSEvent) => ({
  batchItemFailures: event.Records.filter((record) => bodies.includes(record.body)).map((record) => ({ itemIdentifier: record.messageId })),
});

describe('the event Lambda sends', () => {
  it('has every record field Lambda documents, attributes in camelCase, binary values in base64', async () => {
    // GIVEN an e-mail on the queue with message attributes
    const queues = await outbox();
    const body = JSON.stringify({ template: 'reminder', caseId: 'JST-0042' });
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queues.queueUrl,
        MessageBody: body,
        MessageAttributes: {
          template: { DataType: 'String', StringValue: 'reminder' },
          attempt: { DataType: 'Number', StringValue: '1' },
          digest: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
        },
      }),
    );
    const fn = recordingFunction();

    // WHEN the event source delivers it
    const source = listen(queues, { invoke: fn.invoke });
    await source.settled();

    // THEN the function got one event with one record, shaped as Lambda's
    expect(fn.events).toHaveLength(1);
    expect(fn.events[0]).toEqual({
      Records: [
        {
          messageId: sent.MessageId,
          receiptHandle: expect.any(String),
          body,
          attributes: {
            ApproximateReceiveCount: '1',
            SentTimestamp: expect.stringMatching(/^\d{13}$/),
            SenderId: expect.any(String),
            ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
          },
          messageAttributes: {
            template: { stringValue: 'reminder', stringListValues: [], binaryListValues: [], dataType: 'String' },
            attempt: { stringValue: '1', stringListValues: [], binaryListValues: [], dataType: 'Number' },
            digest: { binaryValue: Buffer.from([1, 2, 3]).toString('base64'), stringListValues: [], binaryListValues: [], dataType: 'Binary' },
          },
          md5OfBody: createHash('md5').update(body).digest('hex'),
          md5OfMessageAttributes: sent.MD5OfMessageAttributes,
          eventSource: 'aws:sqs',
          eventSourceARN: queues.queueArn,
          awsRegion: REGION,
        },
      ],
    });
    expect(source.invocations).toBe(1);
  });
});

describe('batches and concurrency', () => {
  it('never more than maximumConcurrency invocations at once, each with at most batchSize messages, every message once', async () => {
    // GIVEN 20 messages, batches of 3, at most 2 at once
    const queues = await outbox();
    const bodies = Array.from({ length: 20 }, (_, i) => `e-mail ${i}`);
    await sendAll(queues, bodies);
    let now = 0;
    let most = 0;
    let received = 0;
    const gate: (() => void)[] = [];
    const fn = recordingFunction();
    // Each invocation waits until another one runs beside it (or no message is left for one): it would see a third.
    const invoke = async (event: SQSEvent) => {
      now += 1;
      most = Math.max(most, now);
      received += event.Records.length;
      await new Promise<void>((resolve) => {
        gate.push(resolve);
        if (now >= 2 || received === bodies.length) gate.splice(0).forEach((release) => release());
      });
      await fn.invoke(event);
      now -= 1;
      return { batchItemFailures: [] };
    };

    // WHEN the event source drains the queue
    const source = listen(queues, { batchSize: 3, maximumConcurrency: 2, invoke });
    await source.settled();

    // THEN two ran at once, never more; no batch was larger than 3; every message came exactly once
    expect(most).toBe(2);
    expect(Math.max(...fn.events.map((event) => event.Records.length))).toBe(3);
    expect(fn.events.flatMap((event) => event.Records.map((record) => record.body)).sort()).toEqual([...bodies].sort());
    expect(source.invocations).toBe(fn.events.length);
  });

  it('a batchSize above 10 gathers several receives within the batching window', async () => {
    // GIVEN 25 messages and batches of up to 15 gathered for up to a second (the visibility timeout must cover
    // the window and the invocation, as on AWS, or the first messages of a batch come again meanwhile)
    const queues = await outbox({ visibilityTimeoutSeconds: 5 });
    const bodies = Array.from({ length: 25 }, (_, i) => `e-mail ${i}`);
    await sendAll(queues, bodies);
    const fn = recordingFunction();

    // WHEN the event source drains the queue
    const source = listen(queues, { batchSize: 15, maximumBatchingWindowSeconds: 1, maximumConcurrency: 2, invoke: fn.invoke });
    await source.settled();

    // THEN some batch holds more than one receive can return (10), none more than 15, and every message came once
    const sizes = fn.events.map((event) => event.Records.length);
    expect(Math.max(...sizes)).toBeGreaterThan(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(15);
    expect(fn.events.flatMap((event) => event.Records.map((record) => record.body)).sort()).toEqual([...bodies].sort());
  });

  it("refuses settings Lambda refuses, naming each", () => {
    const queues = { queueUrl: `${endpoint}/000000000000/any`, queueArn: 'arn:aws:sqs:eu-central-1:000000000000:any' };
    const start = (options: Partial<QueueEventSourceOptions>) => () =>
      startQueueEventSource({ sqs, ...queues, region: REGION, batchSize: 10, maximumConcurrency: 2, invoke: async () => undefined, ...options });
    expect(start({ batchSize: 11 })).toThrow('Invalid SQS event source (Lambda\'s rules): a batchSize above 10 needs maximumBatchingWindowSeconds of at least 1');
    expect(start({ maximumConcurrency: 1 })).toThrow('maximumConcurrency must be an integer from 2 to 1000, not 1');
    expect(start({ batchSize: 0, maximumBatchingWindowSeconds: 301 })).toThrow(
      'batchSize must be an integer from 1 to 10000, not 0; maximumBatchingWindowSeconds must be an integer from 0 to 300, not 301',
    );
  });
});

describe("the function's answer (ReportBatchItemFailures)", () => {
  it('a batch item failure: that message comes again with ApproximateReceiveCount 2, the others are deleted', async () => {
    // GIVEN three e-mails, and a function that fails one of them the first time
    const queues = await outbox();
    await sendAll(queues, ['a', 'b', 'c']);
    let failedOnce = false;
    const fn = recordingFunction((event) => {
      if (failedOnce || !event.Records.some((record) => record.body === 'b')) return { batchItemFailures: [] };
      failedOnce = true;
      return failing('b')(event);
    });

    // WHEN the event source delivers them
    const source = listen(queues, { invoke: fn.invoke });
    await source.settled();

    // THEN b came twice, the second time with receive count 2; a and c once (they were deleted)
    expect(fn.deliveries('b').map((record) => record.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(fn.deliveries('a')).toHaveLength(1);
    expect(fn.deliveries('c')).toHaveLength(1);
  });

  it('a message failed maxReceiveCount times lands in the dead-letter queue', async () => {
    // GIVEN a message the function always fails, and a RedrivePolicy of 2 receives
    const queues = await outbox({ maxReceiveCount: 2 });
    await sendAll(queues, ['trujący', 'zwykły']);
    const fn = recordingFunction(failing('trujący'));

    // WHEN the event source has done what it can
    const source = listen(queues, { invoke: fn.invoke });
    await source.settled();

    // THEN the function saw it twice, and it waits in the dead-letter queue; the other e-mail went once
    expect(fn.deliveries('trujący').map((record) => record.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(fn.deliveries('zwykły')).toHaveLength(1);
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.deadLetterQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(dead.Messages?.map((message) => message.Body)).toEqual(['trujący']);
  });

  it('a function that throws: the whole batch comes again', async () => {
    // GIVEN two e-mails received together, and a function that throws the first time
    const queues = await outbox();
    await sendAll(queues, ['a', 'b']);
    const fn = recordingFunction((event) => {
      if (event.Records[0]!.attributes.ApproximateReceiveCount === '1') throw new Error('Task timed out after 30.00 seconds');
      return { batchItemFailures: [] };
    });

    // WHEN the event source delivers them
    const source = listen(queues, { invoke: async (event) => fn.invoke(event) });
    await source.settled();

    // THEN both came again, nothing was deleted after the failure
    expect(fn.deliveries('a').map((record) => record.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(fn.deliveries('b').map((record) => record.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
  });

  it('an itemIdentifier not in the batch fails the whole batch', async () => {
    // GIVEN a function that names a message it was not given, the first time
    const queues = await outbox();
    await sendAll(queues, ['a', 'b']);
    const fn = recordingFunction((event) =>
      event.Records[0]!.attributes.ApproximateReceiveCount === '1' ? { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] } : { batchItemFailures: [] },
    );

    // WHEN
    const source = listen(queues, { invoke: fn.invoke });
    await source.settled();

    // THEN neither was deleted after the first invocation
    expect(fn.deliveries('a')).toHaveLength(2);
    expect(fn.deliveries('b')).toHaveLength(2);
  });

  it.each([
    ['nothing', undefined, []],
    ['null', null, []],
    ['an empty object', {}, []],
    ['a null list', { batchItemFailures: null }, []],
    ['an empty list', { batchItemFailures: [] }, []],
    ['failures of messages in the batch', { batchItemFailures: [{ itemIdentifier: 'id-2' }] }, ['id-2']],
  ])('answer %s: the batch but the named failures is done', (_, answer, failed) => {
    expect(failedItems(answer, new Set(['id-1', 'id-2']))).toEqual(new Set(failed));
  });

  it.each([
    ['a string', 'ok'],
    ['a list', [{ itemIdentifier: 'id-1' }]],
    ['a failure list that is not a list', { batchItemFailures: 'id-1' }],
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['a misspelt key', { batchItemFailures: [{ itemIdentifer: 'id-1' }] }],
    ['a message not in the batch', { batchItemFailures: [{ itemIdentifier: 'id-9' }] }],
  ])('answer %s: the whole batch failed', (_, answer) => {
    expect(failedItems(answer, new Set(['id-1', 'id-2']))).toBe('batch');
  });
});

describe('settled()', () => {
  it('waits for a message the function itself queued', async () => {
    // GIVEN a function that queues a follow-up e-mail while it handles the first
    const queues = await outbox();
    await send(queues, 'pierwszy');
    const fn = recordingFunction(async (event) => {
      if (event.Records.some((record) => record.body === 'pierwszy')) await send(queues, 'następny');
      return { batchItemFailures: [] };
    });

    // WHEN settled() resolves
    const source = listen(queues, { invoke: fn.invoke });
    await source.settled();

    // THEN the follow-up has been delivered too
    expect(fn.events.flatMap((event) => event.Records.map((record) => record.body))).toEqual(['pierwszy', 'następny']);
  });

  it('gives up after its timeout, naming the message still in flight', async () => {
    // GIVEN a message failed by the function, invisible for 30 s
    const queues = await outbox({ visibilityTimeoutSeconds: 30 });
    await send(queues, 'a');
    const fn = recordingFunction(failing('a'));
    const source = listen(queues, { invoke: fn.invoke });

    // WHEN settled() may wait half a second / THEN it says what is left
    await expect(source.settled({ timeoutMs: 500 })).rejects.toThrow(
      `The queue ${queues.queueArn} did not settle within 500 ms: 0 visible, 1 in flight, 0 delayed, 0 batch(es) being handled`,
    );
    expect(fn.deliveries('a')).toHaveLength(1);
  });
});

describe('per-message DelaySeconds', () => {
  it('a delayed message is delivered only after its delay, after one sent later without', async () => {
    // GIVEN a message delayed by 1 s, then one not delayed
    const queues = await outbox();
    await send(queues, 'później', { DelaySeconds: 1 });
    await send(queues, 'od razu');
    const fn = recordingFunction();

    // WHEN the event source delivers both
    const source = listen(queues, { invoke: fn.invoke });
    await source.settled();

    // THEN the undelayed one came first, and the delayed one was first received at least a second after it was sent
    expect(fn.events.flatMap((event) => event.Records.map((record) => record.body))).toEqual(['od razu', 'później']);
    const [delayed] = fn.deliveries('później');
    expect(Number(delayed!.attributes.ApproximateFirstReceiveTimestamp) - Number(delayed!.attributes.SentTimestamp)).toBeGreaterThanOrEqual(1000);
  });
});

describe("the stand-in's usage", () => {
  it('counts SQS requests by action, billing one request per 64 KB of payload', async () => {
    // GIVEN a queue nobody polls
    const queues = await outbox();
    const before = await standIn.usage();

    // WHEN a 100 KB message is sent, then received by an empty and a full poll
    await send(queues, 'x'.repeat(100 * 1024));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.deadLetterQueueUrl }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.queueUrl }));
    const after = await standIn.usage();

    // THEN one SendMessage and two ReceiveMessage, one of them empty; 2 + 1 + 2 billed requests
    const delta = (action: string) => (after.requests[action] ?? 0) - (before.requests[action] ?? 0);
    expect({ SendMessage: delta('SendMessage'), ReceiveMessage: delta('ReceiveMessage'), DeleteMessageBatch: delta('DeleteMessageBatch') }).toEqual({
      SendMessage: 1,
      ReceiveMessage: 2,
      DeleteMessageBatch: 0,
    });
    expect(after.emptyReceives - before.emptyReceives).toBe(1);
    expect(after.billedRequests - before.billedRequests).toBe(5);
  });

  it("includes the event source's receives and deletes", async () => {
    // GIVEN
    const queues = await outbox();
    await sendAll(queues, ['a', 'b']);
    const before = await standIn.usage();

    // WHEN the event source delivers both
    const fn = recordingFunction();
    const source = listen(queues, { invoke: fn.invoke });
    await source.settled();
    const after = await standIn.usage();

    // THEN its receives and its batch delete are counted
    expect((after.requests.ReceiveMessage ?? 0) - (before.requests.ReceiveMessage ?? 0)).toBeGreaterThanOrEqual(1);
    expect((after.requests.DeleteMessageBatch ?? 0) - (before.requests.DeleteMessageBatch ?? 0)).toBe(fn.events.length);
  });
});

describe('the fault layer in front of SQS', () => {
  let faults: FaultLayer;
  let product: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    // The product's client: no endpoint in code, AWS_ENDPOINT_URL_SQS pointing at the proxy, the queue URL on it.
    faults = new FaultLayer();
    const proxy = await faults.proxy('sqs', endpoint);
    process.env.AWS_ENDPOINT_URL_SQS = proxy;
    product = new SQSClient({ region: REGION, credentials });
    queueUrl = queueUrlOn(proxy, (await outbox()).queueUrl);
  });

  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_SQS;
    product?.destroy();
    await faults?.close();
  });

  it('throttles SendMessage: the SDK tries SDK_ATTEMPTS.sqs times, then fails with RequestThrottled', async () => {
    // GIVEN SQS throttles every SendMessage
    const rule = faults.add({ service: 'sqs', operation: 'SendMessage', fault: AWS_ERRORS.sqsRequestThrottled, times: Infinity });

    // WHEN the product sends
    const error = await product.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'e-mail' })).catch((caught: unknown) => caught as Error & { Code?: string });

    // THEN the error the product classifies, after the SDK's own retries
    expect(error).toMatchObject({ name: 'RequestThrottled', Code: 'RequestThrottled', $metadata: { httpStatusCode: 403 } });
    expect(rule.injected).toBe(SDK_ATTEMPTS.sqs);
    faults.clear();
  });

  it('a throttled SendMessage the SDK retries past lands on the queue', async () => {
    // GIVEN SQS throttles the first two attempts
    const rule = faults.add({ service: 'sqs', operation: 'SendMessage', fault: AWS_ERRORS.sqsThrottling, times: 2 });

    // WHEN the product sends / THEN the third attempt goes through
    const sent = await product.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'po ponowieniu' }));
    expect(rule.injected).toBe(2);
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    expect(received.Messages?.map((message) => [message.MessageId, message.Body])).toEqual([[sent.MessageId, 'po ponowieniu']]);
    faults.clear();
  });

  it('AccessDenied: one attempt; the SDK names the unmodelled error by its query code, AccessDenied', async () => {
    // GIVEN the function's role may not send to the queue
    const rule = faults.add({ service: 'sqs', operation: 'SendMessage', fault: sqsAccessDenied('zmiana-sd-outbox'), times: Infinity });

    // WHEN / THEN
    const error = (await product.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'e-mail' })).catch((caught: unknown) => caught)) as Error;
    expect(error).toMatchObject({ name: 'AccessDenied', Code: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(error.message).toContain('is not authorized to perform: sqs:sendmessage on resource: arn:aws:sqs:eu-central-1:000000000000:zmiana-sd-outbox');
    expect(rule.injected).toBe(1);
    faults.clear();
  });
});

describe('when the stand-in is gone', () => {
  it('polling failures are reported once per run, retried with backoff, and close() ends them quietly', async () => {
    // GIVEN an event source on a stand-in of its own, counting its polls
    const own = await startStandIn('sqs', '127.0.0.1', 0, REGION);
    const client = new SQSClient({ endpoint: `http://127.0.0.1:${own.port}`, region: REGION, credentials, maxAttempts: 1 });
    let polls = 0;
    client.middlewareStack.add((next) => (args) => ((polls += 1), next(args)), { step: 'initialize' });
    const queues = await createOutboxQueues(client, { name: 'gone', visibilityTimeoutSeconds: 1, maxReceiveCount: 5, retentionSeconds: 3600 });
    const reported: unknown[] = [];
    const fn = recordingFunction();
    const source = startQueueEventSource({ sqs: client, ...queues, region: REGION, batchSize: 10, maximumConcurrency: 2, invoke: fn.invoke, onPollError: (error) => reported.push(error) });

    // WHEN the stand-in stops, and the pollers have failed several times
    await own.close();
    const pollsWhenGone = polls;
    for (const end = Date.now() + 10_000; polls < pollsWhenGone + 6 && Date.now() < end; ) await new Promise((resolve) => setTimeout(resolve, 20));
    await source.close();
    client.destroy();

    // THEN each poller reported its first failure only, and nothing was invoked
    expect(polls).toBeGreaterThanOrEqual(pollsWhenGone + 6);
    expect(reported).toHaveLength(2);
    expect(fn.events).toEqual([]);
  });
});

describe('startLocalOutbox', () => {
  const settings = (overrides: Partial<LocalOutboxOptions> = {}): LocalOutboxOptions => ({
    host: '127.0.0.1',
    port: 0,
    region: REGION,
    account: '000000000000',
    name: 'zmiana-sd-outbox',
    queue: { visibilityTimeoutSeconds: 30, maxReceiveCount: 3, retentionSeconds: 345_600 },
    eventSource: { batchSize: 10, maximumConcurrency: 2 },
    invoke: async () => undefined,
    functionTimeoutSeconds: 30,
    ...overrides,
  });

  it('starts the stand-in, creates the queues, and drains them into the function; the product reaches them by AWS_ENDPOINT_URL_SQS', async () => {
    // GIVEN a running outbox
    const fn = recordingFunction();
    const local = await startLocalOutbox(settings({ invoke: fn.invoke }));
    process.env.AWS_ENDPOINT_URL_SQS = local.url;
    const product = new SQSClient({ region: REGION, credentials });
    try {
      expect(local).toMatchObject({
        queueUrl: `${local.url}/000000000000/zmiana-sd-outbox`,
        queueArn: 'arn:aws:sqs:eu-central-1:000000000000:zmiana-sd-outbox',
        deadLetterQueueUrl: `${local.url}/000000000000/zmiana-sd-outbox-dead-letter`,
        deadLetterQueueArn: 'arn:aws:sqs:eu-central-1:000000000000:zmiana-sd-outbox-dead-letter',
      });

      // WHEN the product queues an e-mail
      await product.send(new SendMessageCommand({ QueueUrl: local.queueUrl, MessageBody: 'e-mail' }));
      await local.settled();

      // THEN the function got it from the queue, and the stand-in counted the requests
      expect(fn.deliveries('e-mail')).toHaveLength(1);
      expect(local.invocations).toBe(1);
      expect(await local.usage()).toMatchObject({ requests: { CreateQueue: 2, SendMessage: 1, DeleteMessageBatch: 1 } });
    } finally {
      delete process.env.AWS_ENDPOINT_URL_SQS;
      product.destroy();
      await local.close();
    }
    // AND closing it ends the stand-in's process
    expect(() => process.kill(local.pid, 0)).toThrow();
  });

  it('refuses an account the stand-in does not serve', async () => {
    await expect(startLocalOutbox(settings({ account: '123456789012' }))).rejects.toThrow(
      "The SQS stand-in serves account 000000000000, not 123456789012: the local stack's ARNs would not match",
    );
  });

  it("refuses a queue whose visibility timeout is shorter than the function's timeout, as Lambda does", async () => {
    await expect(startLocalOutbox(settings({ functionTimeoutSeconds: 60 }))).rejects.toThrow(
      'Invalid request provided: Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds',
    );
  });
});
