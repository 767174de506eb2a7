import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { MailTags } from '../core/delivery-events.js';
import type { EmailMessage } from '../core/emails.js';
import { outboxMessage, type Mailer, type OutboxMessage } from '../core/outbox.js';
import { once } from './runtime.js';
import { sdkClientOptions } from './sdk-client-options.js';
import { z } from 'zod';
import { parseConfig } from '../core/config.js';

/**
 * The outbox queue (Amazon SQS, lib/email-outbox.ts): where every function puts its e-mail. The send-email
 * function drains it at SES's pace. A failed SendMessage (throttled, denied) fails the action like any other
 * AWS error (adapters/errors.ts classifies it), so the state machine retries it or opens an incident.
 */
export class Outbox implements Mailer {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async send(message: EmailMessage, about: MailTags): Promise<string | undefined> {
    return this.put(outboxMessage(message, about, this.now()));
  }

  /** Puts a message on the queue (again, for one SES refused for the rate: after `delaySeconds`). */
  async put(message: OutboxMessage, delaySeconds = 0): Promise<string | undefined> {
    const sent = await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        ...(delaySeconds > 0 ? { DelaySeconds: delaySeconds } : {}),
      }),
    );
    return sent.MessageId;
  }
}

/** How many messages a queue holds: ready to be received, being processed (in flight), and delayed. */
export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

/**
 * The outbox and its dead-letter queue as operators see them (`npm run cases -- outbox`, `redrive`): how much mail
 * waits, and moving what the sender gave up on back to the outbox once the cause is fixed.
 */
export class OutboxQueues {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly deadLetterQueueUrl: string,
  ) {}

  async depths(): Promise<{ outbox: QueueDepth; deadLetters: QueueDepth }> {
    const [outbox, deadLetters] = await Promise.all([this.depth(this.queueUrl), this.depth(this.deadLetterQueueUrl)]);
    return { outbox, deadLetters };
  }

  private async depth(queueUrl: string): Promise<QueueDepth> {
    const { Attributes: a = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
    );
    return { visible: Number(a.ApproximateNumberOfMessages ?? 0), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0), delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0) };
  }

  /**
   * Moves the dead-letter queue's messages back to the outbox, each sent before it is deleted (a failure in
   * between leaves a copy on both, and the sender's marker check sends it once). Bounded: at most the messages
   * the dead-letter queue held when it started (those that arrive meanwhile wait for the next redrive).
   */
  async redrive(onProgress: (moved: number, of: number) => void = () => undefined): Promise<{ moved: number }> {
    const { deadLetters } = await this.depths();
    const limit = deadLetters.visible;
    let moved = 0;
    let emptyReceives = 0;
    while (moved < limit && emptyReceives < 3) {
      const { Messages: messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: this.deadLetterQueueUrl, MaxNumberOfMessages: Math.min(10, limit - moved), WaitTimeSeconds: 1, VisibilityTimeout: 60 }),
      );
      emptyReceives = messages.length === 0 ? emptyReceives + 1 : 0;
      for (const message of messages) {
        await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: message.Body ?? '' }));
        await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle! }));
        moved++;
        onProgress(moved, limit);
      }
    }
    return { moved };
  }
}

const outboxConfigSchema = z.object({ OUTBOX_QUEUE_URL: z.url() });

/** The outbox of this Lambda environment (OUTBOX_QUEUE_URL; see once() in runtime.ts). */
export const outbox = once(() => new Outbox(new SQSClient(sdkClientOptions()), parseConfig(outboxConfigSchema, process.env).OUTBOX_QUEUE_URL));
