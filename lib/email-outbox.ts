import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { senderSettings, type SenderSettings } from '../lambdas/core/outbox.js';

export interface EmailOutboxProps {
  /** SES's maximum send rate of the account (messages per second; context `sesMaxSendRate`). */
  readonly sesMaxSendRate: number;
}

/**
 * The outbox of the procedure's e-mail: an SQS standard queue every function puts its messages on (grantPut),
 * drained by one sender function (drainWith) at SES's sending rate, with a dead-letter queue for what the
 * sender could not send after `maxReceiveCount` tries (alarmed by OperationsMonitoring). Both queues are
 * encrypted with SQS-managed keys (no key policy to grant) and refuse requests without TLS.
 *
 * The sender's pace is the event source mapping's maximum concurrency and batch size (core/outbox.ts
 * senderSettings): Lambda's maximum concurrency rather than the function's reserved concurrency, which would
 * take from the account's unreserved pool (new accounts may have only 10, and Lambda refuses to reserve below
 * that) and makes Lambda throttle the mapping's own invocations.
 */
export class EmailOutbox extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly settings: SenderSettings;

  public constructor(scope: Construct, id: string, props: EmailOutboxProps) {
    super(scope, id);
    this.settings = senderSettings(props.sesMaxSendRate);
    const retentionPeriod = Duration.seconds(this.settings.retentionSeconds);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod,
      visibilityTimeout: Duration.seconds(this.settings.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.settings.maxReceiveCount },
    });
  }

  /**
   * Let `grantee` put messages on the outbox: sqs:SendMessage on this queue only (the SDK sends to the queue URL it
   * is given, so none of grantSendMessages' GetQueueUrl / GetQueueAttributes; the local IAM check sees no such call).
   */
  public grantPut(grantee: iam.IGrantable): iam.Grant {
    return this.queue.grant(grantee, 'sqs:SendMessage');
  }

  /**
   * Make `sender` the outbox's only consumer: an event source mapping with the settings' batch size and maximum
   * concurrency, reporting failed messages one by one (ReportBatchItemFailures), so a message left on the queue
   * does not send the rest of its batch again. The mapping grants the consumer's receive/delete/visibility
   * actions on this queue.
   */
  public drainWith(sender: IFunction): void {
    sender.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: this.settings.batchSize,
        ...(this.settings.maximumBatchingWindowSeconds > 0 ? { maxBatchingWindow: Duration.seconds(this.settings.maximumBatchingWindowSeconds) } : {}),
        maxConcurrency: this.settings.maximumConcurrency,
        reportBatchItemFailures: true,
      }),
    );
  }
}
