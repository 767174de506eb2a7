import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type PutItemCommandInput,
  type QueryCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { SendEmailCommand, SESClient, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import { CaseStore } from '../../lambdas/adapters/case-store.js';
import { Outbox } from '../../lambdas/adapters/outbox.js';
import { SesMailer } from '../../lambdas/adapters/ses-mailer.js';
import { outboxMessageSchema, type OutboxMessage } from '../../lambdas/core/outbox.js';
import { Workflow } from '../../lambdas/adapters/workflow.js';
import type { TimelineEntry } from '../../lambdas/core/case.js';

export const TABLE = 'zmiana-sd-test';
export const SENDER = 'no-reply@zmiana-sd.mrpips.gov.pl';
export const CONFIGURATION_SET = 'zmiana-sd-test';
export const OUTBOX_URL = 'https://sqs.eu-central-1.amazonaws.com/111111111111/zmiana-sd-outbox';

const mockDynamoDb = () => mockClient(DynamoDBClient);
const mockSes = () => mockClient(SESClient);
const mockSqs = () => mockClient(SQSClient);
export type DdbMock = ReturnType<typeof mockDynamoDb>;
export type SesMock = ReturnType<typeof mockSes>;
export type SqsMock = ReturnType<typeof mockSqs>;

/**
 * The AWS clients, mocked on their prototypes, and the real adapters built on them: `mailer` is the outbox
 * (what every action mails through), `sesMailer` what only send-email uses.
 */
export function awsMocks() {
  const ddb = mockDynamoDb();
  const ses = mockSes();
  const sqs = mockSqs();
  const sfn = mockClient(SFNClient);
  const clients = { ddb: new DynamoDBClient({ region: 'eu-central-1' }), ses: new SESClient({ region: 'eu-central-1' }), sqs: new SQSClient({ region: 'eu-central-1' }), sfn: new SFNClient({ region: 'eu-central-1' }) };
  return {
    ddb,
    ses,
    sqs,
    sfn,
    store: new CaseStore(clients.ddb, TABLE),
    mailer: new Outbox(clients.sqs, OUTBOX_URL),
    sesMailer: new SesMailer(clients.ses, SENDER, CONFIGURATION_SET),
    workflow: new Workflow(clients.sfn),
  };
}

/** Silences the JSON logs of the actions and keeps them, so tests can check what is (not) logged. */
export function captureLogs(): () => string {
  const lines: string[] = [];
  const keep = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  vi.spyOn(console, 'log').mockImplementation(keep);
  vi.spyOn(console, 'warn').mockImplementation(keep);
  vi.spyOn(console, 'error').mockImplementation(keep);
  return () => lines.join('\n');
}

const itemKey = (pk: string, sk: string) => `${pk}|${sk}`;

/**
 * A table the GetItem and Query mocks read from, keyed "pk|sk". Tests change it (for example inside an
 * UpdateItem fake) to play what another writer did in between. UpdateItem and PutItem succeed with no output
 * unless a test says otherwise. Query understands `pk = :pk AND begins_with(sk, :x)` and answers in sort-key
 * order, `pageSize` items a page (LastEvaluatedKey/ExclusiveStartKey as DynamoDB does).
 */
export class FakeTable {
  readonly items = new Map<string, Record<string, unknown>>();
  pageSize = 100;

  constructor(private readonly ddb: DdbMock) {
    ddb.on(GetItemCommand).callsFake((input: { Key: Record<string, never> }) => {
      const { pk, sk } = unmarshall(input.Key) as { pk: string; sk: string };
      const item = this.items.get(itemKey(pk, sk));
      return item ? { Item: marshall({ pk, sk, ...item }, { removeUndefinedValues: true }) } : {};
    });
    ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
      const values = unmarshall(input.ExpressionAttributeValues!) as Record<string, string>;
      const match = /^pk = (:\w+) AND begins_with\(sk, (:\w+)\)$/.exec(input.KeyConditionExpression ?? '');
      if (!match) throw new Error(`FakeTable cannot answer the query ${input.KeyConditionExpression}`);
      const pk = values[match[1]!]!;
      const prefix = values[match[2]!]!;
      const after = input.ExclusiveStartKey ? (unmarshall(input.ExclusiveStartKey) as { sk: string }).sk : undefined;
      // The one filter the store uses: attribute_exists(#name) (items that still hold a task token).
      const filter = /^attribute_exists\((#\w+)\)$/.exec(input.FilterExpression ?? '');
      if (input.FilterExpression && !filter) throw new Error(`FakeTable cannot apply the filter ${input.FilterExpression}`);
      const mustHave = filter ? input.ExpressionAttributeNames![filter[1]!]! : undefined;
      const rows = [...this.items.entries()]
        .map(([key, item]) => ({ pk: key.split('|')[0]!, sk: key.slice(key.indexOf('|') + 1), item }))
        .filter((row) => row.pk === pk && row.sk.startsWith(prefix) && (after === undefined || row.sk > after))
        .sort((a, b) => (a.sk < b.sk ? -1 : 1));
      const page = rows.slice(0, this.pageSize);
      return {
        // As DynamoDB: the filter applies to the page read, so a page may come back with fewer items (or none).
        Items: page.filter((row) => mustHave === undefined || row.item[mustHave] !== undefined).map((row) => marshall({ pk: row.pk, sk: row.sk, ...row.item }, { removeUndefinedValues: true })),
        ...(rows.length > page.length ? { LastEvaluatedKey: marshall({ pk, sk: page.at(-1)!.sk }) } : {}),
      };
    });
    ddb.on(UpdateItemCommand).resolves({});
    ddb.on(PutItemCommand).resolves({});
  }

  put(pk: string, sk: string, item: object): this {
    this.items.set(itemKey(pk, sk), { ...item });
    return this;
  }

  /** PutItem as DynamoDB does the store's conditional puts (mail-once markers, timeline entries): only if absent. */
  putsIfAbsent(): this {
    this.ddb.on(PutItemCommand).callsFake((input: PutItemCommandInput) => {
      const { pk, sk, ...rest } = unmarshall(input.Item!) as { pk: string; sk: string };
      if (this.items.has(itemKey(pk, sk))) throw conditionalCheckFailed();
      this.put(pk, sk, rest);
      return {};
    });
    return this;
  }
}

export function conditionalCheckFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
}

/** An UpdateItem as the adapter sent it, with its key and values unmarshalled. */
export interface SentUpdate {
  pk: string;
  sk: string;
  update: string;
  condition?: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
  /** Attribute name → value of every `#x = :y` assignment, for easy reading. */
  set: Record<string, unknown>;
  input: UpdateItemCommandInput;
}

export function readUpdate(input: UpdateItemCommandInput): SentUpdate {
  const { pk, sk } = unmarshall(input.Key!) as { pk: string; sk: string };
  const names = input.ExpressionAttributeNames ?? {};
  const values = input.ExpressionAttributeValues ? unmarshall(input.ExpressionAttributeValues) : {};
  const set: Record<string, unknown> = {};
  for (const match of (input.UpdateExpression ?? '').matchAll(/(#\w+) = (:\w+)/g)) set[names[match[1]!]!] = values[match[2]!];
  return { pk, sk, update: input.UpdateExpression ?? '', condition: input.ConditionExpression, names, values, set, input };
}

export function updates(ddb: DdbMock, filter: { pk?: string; sk?: string | RegExp } = {}): SentUpdate[] {
  return ddb
    .commandCalls(UpdateItemCommand)
    .map((call) => readUpdate(call.args[0].input))
    .filter((u) => (filter.pk === undefined || u.pk === filter.pk) && (filter.sk === undefined || (typeof filter.sk === 'string' ? u.sk === filter.sk : filter.sk.test(u.sk))));
}

/** A sent e-mail in the shape people read it. */
export interface SentEmail {
  to: string[];
  cc: string[];
  subject: string;
  html: string;
  text: string;
  source: string;
  input: SendEmailCommandInput;
}

/** An e-mail put on the outbox, in the shape people read it, with what it is about. */
export interface QueuedEmail extends Omit<OutboxMessage, 'message'> {
  to: string[];
  cc: string[];
  subject: string;
  html: string;
  text: string;
  delaySeconds?: number;
}

/** The e-mails the actions put on the outbox (SQS SendMessage), each body read as send-email reads it. */
export function queuedEmails(sqs: SqsMock): QueuedEmail[] {
  return sqs.commandCalls(SendMessageCommand).map((call) => {
    const { message, ...about } = outboxMessageSchema.parse(JSON.parse(call.args[0].input.MessageBody!));
    return { ...about, ...message, ...(call.args[0].input.DelaySeconds ? { delaySeconds: call.args[0].input.DelaySeconds } : {}) };
  });
}

export function sentEmails(ses: SesMock): SentEmail[] {
  return ses.commandCalls(SendEmailCommand).map((call) => {
    const input = call.args[0].input;
    return {
      to: input.Destination?.ToAddresses ?? [],
      cc: input.Destination?.CcAddresses ?? [],
      subject: input.Message?.Subject?.Data ?? '',
      html: input.Message?.Body?.Html?.Data ?? '',
      text: input.Message?.Body?.Text?.Data ?? '',
      source: input.Source ?? '',
      input,
    };
  });
}

/** A DynamoDB/SFN style service error with a name and an HTTP status. */
export function serviceError(name: string, httpStatusCode: number, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode }, $fault: httpStatusCode >= 500 ? 'server' : 'client' });
}

/** The timeline entries the adapter wrote (put-if-absent of `EVENT#<id>` items), in the order it wrote them. */
export function timelineWrites(ddb: DdbMock): (TimelineEntry & { pk: string; sk: string; condition?: string })[] {
  return ddb
    .commandCalls(PutItemCommand)
    .map((call) => ({ ...(unmarshall(call.args[0].input.Item!) as TimelineEntry & { pk: string; sk: string }), condition: call.args[0].input.ConditionExpression }))
    .filter((item) => item.sk.startsWith('EVENT#'));
}
