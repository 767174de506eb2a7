import { z } from 'zod';
import { caseStore } from '../adapters/case-store.js';
import { countCase } from '../adapters/metrics.js';
import { outbox } from '../adapters/outbox.js';
import { mailConfig, once } from '../adapters/runtime.js';
import { sendSchedule } from '../adapters/send-schedule.js';
import { sesMailer } from '../adapters/ses-mailer.js';
import { loadStatusLinks } from '../adapters/signing-keys.js';
import { parseConfig, sesConfigSchema } from '../core/config.js';
import { ValidationError } from '../core/errors.js';
import { log } from '../core/log.js';
import { SendPacer } from '../core/outbox.js';
import { recordDeliveryEvent } from '../services/delivery-events.js';
import { sendOutboxBatch } from '../services/outbox-sender.js';

/** Lambda's SQS event (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html), as far as the sender reads it. */
const sqsEventSchema = z.object({
  Records: z
    .array(
      z.object({
        messageId: z.string().min(1),
        body: z.string(),
        attributes: z.object({ ApproximateReceiveCount: z.coerce.number().int().min(1) }),
        eventSource: z.literal('aws:sqs'),
      }),
    )
    .min(1)
    .max(10_000),
});

const senderConfig = once(() => parseConfig(sesConfigSchema, process.env));
const realClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) };

/**
 * Target of the outbox queue's event source mapping (lib/email-outbox.ts, ReportBatchItemFailures): sends the
 * batch through SES at this sender's share of the sending rate and tells Lambda which messages to leave on
 * the queue. It fails as a whole only for an event it cannot read (then Lambda leaves the whole batch).
 */
export const handler = async (event: unknown) => {
  const parsed = sqsEventSchema.safeParse(event);
  if (!parsed.success) {
    const reason = parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; ');
    log.error('invalid SQS event', { action: 'send-email', reason });
    throw new ValidationError(`Invalid send-email event: ${reason}`);
  }
  const started = Date.now();
  const store = caseStore();
  const result = await sendOutboxBatch(
    {
      store,
      ses: sesMailer(),
      requeue: (message, delaySeconds) => outbox().put(message, delaySeconds),
      recordRejection: async (rejection) =>
        recordDeliveryEvent({ store, mailer: outbox(), statusLinks: await loadStatusLinks(), mrpipsEmail: mailConfig().MRPIPS_EMAIL, count: countCase }, rejection),
      pacer: new SendPacer(senderConfig().SEND_RATE_PER_SECOND, realClock, sendSchedule()),
      count: countCase,
    },
    parsed.data.Records.map((record) => ({ messageId: record.messageId, body: record.body, receiveCount: record.attributes.ApproximateReceiveCount })),
  );
  const { batchItemFailures, sent, alreadySent, throttled, rejected } = result;
  log.info('outbox batch done', { action: 'send-email', sent, alreadySent, throttled, rejected, leftOnQueue: batchItemFailures.length, ms: Date.now() - started });
  return { batchItemFailures };
};
