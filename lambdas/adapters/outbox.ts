import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
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

const outboxConfigSchema = z.object({ OUTBOX_QUEUE_URL: z.url() });

/** The outbox of this Lambda environment (OUTBOX_QUEUE_URL; see once() in runtime.ts). */
export const outbox = once(() => new Outbox(new SQSClient(sdkClientOptions()), parseConfig(outboxConfigSchema, process.env).OUTBOX_QUEUE_URL));
