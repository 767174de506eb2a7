import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { parseConfig, tableConfigSchema } from '../core/config.js';
import { nextSlotStart, type SendSchedule } from '../core/outbox.js';
import { once } from './runtime.js';
import { sdkClientOptions } from './sdk-client-options.js';

/** Conflicting bookings retried before giving up (two senders rarely collide more than once or twice). */
const MAX_BOOKING_ATTEMPTS = 20;
const KEY = { pk: 'OUTBOX', sk: 'SEND_SCHEDULE' };

/**
 * The account's sending schedule as one item of the case table (`OUTBOX` / `SEND_SCHEDULE`, attribute `nextAt`,
 * epoch ms), shared by every send-email invocation: a booking is a conditional write that moves `nextAt` on from
 * the value it read (optimistic concurrency; a conflict rereads and tries again, bounded). One write per message
 * (and a read after a conflict), on one small item: far within what one partition takes at any SES rate.
 */
export class DynamoSendSchedule implements SendSchedule {
  private known: number | undefined;

  constructor(
    private readonly db: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async book(ms: number, now: number, catchUp: number): Promise<number> {
    for (let attempt = 1; attempt <= MAX_BOOKING_ATTEMPTS; attempt++) {
      const current = this.known ?? (await this.read());
      const start = nextSlotStart(current ?? -Infinity, now, catchUp);
      try {
        await this.db.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: marshall(KEY),
            UpdateExpression: 'SET nextAt = :next',
            ConditionExpression: current === undefined ? 'attribute_not_exists(nextAt)' : 'nextAt = :current',
            ExpressionAttributeValues: marshall({ ':next': start + ms, ...(current === undefined ? {} : { ':current': current }) }),
          }),
        );
        this.known = start + ms;
        return start;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Another sender booked in between: read where the schedule is now.
        this.known = undefined;
      }
    }
    throw new Error(`Could not book sending time after ${MAX_BOOKING_ATTEMPTS} conflicting attempts`);
  }

  private async read(): Promise<number | undefined> {
    const { Item } = await this.db.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(KEY), ConsistentRead: true }));
    return Item ? (unmarshall(Item) as { nextAt?: number }).nextAt : undefined;
  }
}

/** The sending schedule of this Lambda environment (TABLE_NAME; see once() in runtime.ts). */
export const sendSchedule = once(() => new DynamoSendSchedule(new DynamoDBClient(sdkClientOptions()), parseConfig(tableConfigSchema, process.env).TABLE_NAME));
