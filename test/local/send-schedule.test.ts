import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createCaseTable } from '../../local/case-table.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSendSchedule } from '../../lambdas/adapters/send-schedule.js';
import { startStandIn, type StandIn } from '../../local/stand-ins/index.js';

/**
 * The account's sending schedule in the case table, booked by several send-email environments at once through
 * conditional writes (dynalite applies them as DynamoDB does): no two reservations overlap, none is lost.
 */
let dynamodb: StandIn;
let db: DynamoDBClient;
const TABLE = 'send-schedule-test';

beforeAll(async () => {
  dynamodb = await startStandIn('dynamodb', '127.0.0.1', 0);
  db = new DynamoDBClient({ endpoint: `http://127.0.0.1:${dynamodb.port}`, region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createCaseTable(db, TABLE);
});

afterAll(async () => {
  db?.destroy();
  await dynamodb?.close();
});

describe('the shared sending schedule', () => {
  it('GIVEN three senders booking at once THEN every reservation is granted, back to back, none overlapping another', async () => {
    // GIVEN three environments, each with its own view of the schedule
    const senders = [new DynamoSendSchedule(db, TABLE), new DynamoSendSchedule(db, TABLE), new DynamoSendSchedule(db, TABLE)];
    const now = 1_000_000;
    // WHEN each books 15 slots of 100 ms as fast as it can
    const booked = (await Promise.all(senders.map(async (schedule) => {
      const mine: number[] = [];
      for (let i = 0; i < 15; i++) mine.push(await schedule.book(100, now, 0));
      return mine;
    }))).flat();
    // THEN 45 reservations tile the schedule from `now` without a gap or an overlap
    expect(booked.sort((a, b) => a - b)).toEqual(Array.from({ length: 45 }, (_, i) => now + i * 100));
  });

  it('GIVEN the schedule fell behind THEN a booking starts at most `catchUp` ms in the past', async () => {
    const schedule = new DynamoSendSchedule(db, TABLE);
    const later = 9_000_000;
    expect(await schedule.book(100, later, 250)).toBe(later - 250);
    expect(await schedule.book(100, later, 250)).toBe(later - 150);
  });
});
