import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { byTime, type CaseRecord, type CaseStatus, type CollectionState, type TimelineEntry } from '../core/case.js';
import { parseConfig, tableConfigSchema } from '../core/config.js';
import { ConflictError, LimitReachedError, TransientError } from '../core/errors.js';
import { once } from './runtime.js';
import { sdkClientOptions } from './sdk-client-options.js';
import type { IncidentRecord, IncidentStatus } from '../core/incident.js';
import type { HandOver, Participant, StepCounter, StepRecord, Undeliverable } from '../core/step-record.js';
import type { StepResponse } from '../core/steps.js';

/**
 * The case store: one DynamoDB table, items keyed pk/sk.
 *   CASE#<id> / CASE           the case's current state (status, notification, collections, outcome, …)
 *   CASE#<id> / EVENT#<event id>  one timeline entry (append-only, written once per event id)
 *   CASE#<id> / STEP#<key>     one human step instance (recipient, current task token, link id hash, response)
 *   COLLECTION#<code> / COLLECTION   registry of CBB collection codes (unique; state; which case holds it)
 *   COUNTER#CASE#<year> / COUNTER    the yearly case number sequence
 *   SUBMISSION#<id> / SUBMISSION     which case a notification form submission created (expires)
 *   LIMIT#<what>#<window> / LIMIT    rate-limit counters (expire)
 *   CASE#<id> / MAIL#<key>     marker of an e-mail queued (queuedAt) and sent by SES (sentAt) for the case, by its key (see mail-once.ts)
 *   CASE#<id> / INCIDENT#<id>  an incident: the failed state, the error, the waiting task token (core/incident.ts)
 * Every write is a single-item conditional or atomic update, safe to retry (no transactions: the local
 * stand-in has none, and none are needed).
 */
export interface CollectionItem {
  code: string;
  state: CollectionState;
  area: string;
  teryt: string;
  kind: 'OLD' | 'NEW';
  lockedByCase?: string;
  lastCaseId: string;
  updatedAt: string;
}

const marshallOptions = { removeUndefinedValues: true, convertClassInstanceToMap: false };

type CaseChanges = Partial<Omit<CaseRecord, 'caseId'>>;

/**
 * The update of the case item for one event: the top-level attributes it sets and `updatedAt`. An event that
 * changes the case adds its id to `appliedEventIds`, so a retry cannot apply it again over what happened since
 * (updateCase and updateCaseIf differ only in their conditions). That set holds only the ids of events that
 * change state, and each of those happens at most once per step instance or per case (apply a response, stall,
 * a notice, cancel, fail, the collections' outcome; no user-driven loop changes the case): about 3 per step
 * instance × at most 11 instances (3 verification rounds) + 10, so under 50 ids (~2 KB). Events that only
 * record something (requests, reminders, hand-overs, resends) never touch it.
 */
function caseUpdate(event: TimelineEntry, set: CaseChanges): { names: Record<string, string>; values: Record<string, unknown>; update: string } {
  const names: Record<string, string> = { '#ids': 'appliedEventIds', '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = { ':eventIds': new Set([event.id]), ':eventId': event.id, ':now': event.at };
  const assignments = ['#updatedAt = :now'];
  Object.entries(set).forEach(([name, value], index) => {
    if (value === undefined) return;
    names[`#a${index}`] = name;
    values[`:a${index}`] = value;
    assignments.push(`#a${index} = :a${index}`);
  });
  return { names, values, update: `SET ${assignments.join(', ')} ADD #ids :eventIds` };
}

const changesIn = (set: CaseChanges) => Object.values(set).some((value) => value !== undefined);

/**
 * Sort key of a timeline entry: its event id alone. A retried action may compute another `at`, so the time
 * cannot be part of the key (the retry would write a second entry); readers sort by `at` (see byTime).
 */
const EVENT_PREFIX = 'EVENT#';

/** The condition that keeps a step's counter (`#count`) under its bound (`:max`). */
const UNDER_LIMIT = '(attribute_not_exists(#count) OR #count < :max)';

export class CaseStore {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Sends a conditional write; false when its condition did not hold (what that means is the caller's call). */
  private async writeIf(command: UpdateItemCommand | PutItemCommand): Promise<boolean> {
    try {
      await this.db.send(command as UpdateItemCommand);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private key(pk: string, sk: string) {
    return marshall({ pk, sk });
  }

  private async get<T>(pk: string, sk: string): Promise<T | undefined> {
    const out = await this.db.send(new GetItemCommand({ TableName: this.tableName, Key: this.key(pk, sk), ConsistentRead: true }));
    if (!out.Item) return undefined;
    const { pk: _pk, sk: _sk, appliedEventIds: _ids, ...item } = unmarshall(out.Item);
    return item as T;
  }

  /** Whether the case has applied the event (its id is in `appliedEventIds`); undefined when there is no case. */
  private async caseApplied(caseId: string, eventId: string): Promise<{ applied: boolean; status: CaseStatus } | undefined> {
    const out = await this.db.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: this.key(`CASE#${caseId}`, 'CASE'),
        ProjectionExpression: '#status, #ids',
        ExpressionAttributeNames: { '#status': 'status', '#ids': 'appliedEventIds' },
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    const item = unmarshall(out.Item) as { status: CaseStatus; appliedEventIds?: Set<string> };
    return { applied: item.appliedEventIds?.has(eventId) ?? false, status: item.status };
  }

  /** Writes a timeline entry once (put if absent): false when it was already there. */
  private putEvent(caseId: string, event: TimelineEntry): Promise<boolean> {
    return this.writeIf(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ pk: `CASE#${caseId}`, sk: `${EVENT_PREFIX}${event.id}`, ...event }, marshallOptions),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /** The timeline of a case, oldest first: every entry item, page by page (a Query, strongly consistent). */
  async getTimeline(caseId: string): Promise<TimelineEntry[]> {
    return byTime(await this.queryCase<TimelineEntry>(caseId, EVENT_PREFIX));
  }

  /** Whether the timeline of a case has the entry with this id. */
  async hasEvent(caseId: string, eventId: string): Promise<boolean> {
    return (await this.get(`CASE#${caseId}`, `${EVENT_PREFIX}${eventId}`)) !== undefined;
  }

  /** Every item of a case whose sort key starts with `prefix`, without its keys. */
  private async queryCase<T>(caseId: string, prefix: string): Promise<T[]> {
    return (await this.queryCaseItems(caseId, prefix)).map((item) => {
      const { pk: _pk, sk: _sk, ...rest } = unmarshall(item);
      return rest as T;
    });
  }

  /**
   * The raw items of a case whose sort key starts with `prefix`, every page, read consistently; `only` narrows them
   * to those that have an attribute, and returns their sort keys alone.
   */
  private async queryCaseItems(caseId: string, prefix: string, only?: { withAttribute: string }): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ...(only ? { FilterExpression: 'attribute_exists(#only)', ProjectionExpression: 'sk', ExpressionAttributeNames: { '#only': only.withAttribute } } : {}),
          ExpressionAttributeValues: marshall({ ':pk': `CASE#${caseId}`, ':prefix': prefix }),
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Atomic counter: the next number of the year's case sequence. */
  async nextCaseSequence(year: number): Promise<number> {
    const out = await this.db.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`COUNTER#CASE#${year}`, 'COUNTER'),
        UpdateExpression: 'ADD #seq :one',
        ExpressionAttributeNames: { '#seq': 'seq' },
        ExpressionAttributeValues: marshall({ ':one': 1 }),
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(unmarshall(out.Attributes!).seq);
  }

  /**
   * Creates the case once, then its first timeline entry (also once); a retry finds the case, returns false
   * and still writes the entry a crash may have left out.
   */
  async createCase(record: CaseRecord, firstEvent: TimelineEntry): Promise<boolean> {
    const created = await this.writeIf(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ pk: `CASE#${record.caseId}`, sk: 'CASE', ...record }, marshallOptions),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await this.putEvent(record.caseId, firstEvent);
    return created;
  }

  getCase(caseId: string): Promise<CaseRecord | undefined> {
    return this.get<CaseRecord>(`CASE#${caseId}`, 'CASE');
  }

  /**
   * Sets top-level attributes of a case and appends one timeline event. Idempotent by the event id: 'duplicate'
   * when the event had been applied (nothing is set again). Two single-item writes, ordered so that a crash
   * between them and a retry converge: the case item first (conditional on the event id, see caseUpdate),
   * then the entry item (put if absent), which a 'duplicate' retry still writes. An event that sets nothing
   * only touches `updatedAt` and is a duplicate when its entry exists. ConflictError when there is no case.
   */
  async updateCase(caseId: string, event: TimelineEntry, set: CaseChanges = {}): Promise<'applied' | 'duplicate'> {
    if (!changesIn(set)) return this.recordEvent(caseId, event);
    const { names, values, update } = caseUpdate(event, set);
    const applied = await this.writeIf(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`CASE#${caseId}`, 'CASE'),
        UpdateExpression: update,
        // A status change never overwrites a cancellation (an action still running when MRPiPS cancels).
        ConditionExpression: `attribute_exists(pk) AND NOT contains(#ids, :eventId)${set.status ? ' AND #status <> :cancelled' : ''}`,
        ExpressionAttributeNames: set.status ? { ...names, '#status': 'status' } : names,
        ExpressionAttributeValues: marshall(set.status ? { ...values, ':cancelled': 'CANCELLED' } : values, marshallOptions),
      }),
    );
    if (!applied) {
      const current = await this.caseApplied(caseId, event.id);
      if (!current) throw new ConflictError(`Case ${caseId} does not exist`);
      // Not applied because the case is cancelled: nothing is recorded, as nothing happened.
      if (!current.applied) return 'duplicate';
    }
    await this.putEvent(caseId, event);
    return applied ? 'applied' : 'duplicate';
  }

  /** An event that changes nothing on the case: `updatedAt` (never moved back by a late retry), then its entry (once). */
  private async recordEvent(caseId: string, event: TimelineEntry): Promise<'applied' | 'duplicate'> {
    const touched = await this.writeIf(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`CASE#${caseId}`, 'CASE'),
        UpdateExpression: 'SET #updatedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND #updatedAt < :now',
        ExpressionAttributeNames: { '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: marshall({ ':now': event.at }),
      }),
    );
    if (!touched && !(await this.caseApplied(caseId, event.id))) throw new ConflictError(`Case ${caseId} does not exist`);
    return (await this.putEvent(caseId, event)) ? 'applied' : 'duplicate';
  }

  /** The case a form submission created (or is creating): a double submit or a retry finds it here. */
  getSubmission(submissionId: string): Promise<{ caseId: string; digest?: string; started?: boolean } | undefined> {
    return this.get(`SUBMISSION#${submissionId}`, 'SUBMISSION');
  }

  /** Binds a submission to a case id once; a concurrent twin gets the id that won. */
  async claimSubmission(submissionId: string, caseId: string, digest: string, expiresAt: number): Promise<string> {
    const out = await this.db.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`SUBMISSION#${submissionId}`, 'SUBMISSION'),
        UpdateExpression: 'SET #caseId = if_not_exists(#caseId, :caseId), #digest = if_not_exists(#digest, :digest), #expiresAt = :expiresAt',
        ExpressionAttributeNames: { '#caseId': 'caseId', '#digest': 'digest', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: marshall({ ':caseId': caseId, ':digest': digest, ':expiresAt': expiresAt }),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return String(unmarshall(out.Attributes!).caseId);
  }

  async markSubmissionStarted(submissionId: string): Promise<void> {
    await this.db.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`SUBMISSION#${submissionId}`, 'SUBMISSION'),
        UpdateExpression: 'SET #started = :true',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#started': 'started' },
        ExpressionAttributeValues: marshall({ ':true': true }),
      }),
    );
  }

  /**
   * Takes one use of a limited action in a fixed window if fewer than `max` were taken: one conditional atomic
   * increment (no read-then-write race), on a counter that expires with the window. A refusal takes nothing.
   */
  async takeUse(key: string, windowSeconds: number, nowSeconds: number, max: number): Promise<boolean> {
    const window = Math.floor(nowSeconds / windowSeconds);
    return this.writeIf(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.limitKey(key, window),
        UpdateExpression: 'ADD #count :one SET #expiresAt = :expiresAt',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
        ExpressionAttributeNames: { '#count': 'count', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: marshall({ ':one': 1, ':max': max, ':expiresAt': (window + 2) * windowSeconds }),
      }),
    );
  }

  /** Gives back a use taken in the same window (the attempt was refused by another limit after all). */
  async giveBackUse(key: string, windowSeconds: number, nowSeconds: number): Promise<void> {
    await this.writeIf(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.limitKey(key, Math.floor(nowSeconds / windowSeconds)),
        UpdateExpression: 'ADD #count :minusOne',
        ConditionExpression: '#count > :zero',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: marshall({ ':minusOne': -1, ':zero': 0 }),
      }),
    );
  }

  /** The counter of one limited action in one fixed window (it expires with the window, TTL `expiresAt`). */
  private limitKey(key: string, window: number) {
    return this.key(`LIMIT#${key}#${window}`, 'LIMIT');
  }

  getCollection(code: string): Promise<CollectionItem | undefined> {
    return this.get<CollectionItem>(`COLLECTION#${code}`, 'COLLECTION');
  }

  /**
   * Registers a collection code for a case, or takes over an existing ACTIVE code no case holds (a unit that
   * changes supplier again). A code held by another case, or closed/archived, cannot be taken: ConflictError.
   */
  async lockCollection(item: Omit<CollectionItem, 'lockedByCase' | 'lastCaseId' | 'state'> & { caseId: string }): Promise<void> {
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(`COLLECTION#${item.code}`, 'COLLECTION'),
          UpdateExpression: 'SET #code = :code, #state = if_not_exists(#state, :active), #area = :area, #teryt = :teryt, #kind = :kind, #locked = :case, #last = :case, #updatedAt = :now',
          ConditionExpression: 'attribute_not_exists(pk) OR #locked = :case OR (#state = :active AND attribute_not_exists(#locked))',
          ExpressionAttributeNames: { '#code': 'code', '#state': 'state', '#area': 'area', '#teryt': 'teryt', '#kind': 'kind', '#locked': 'lockedByCase', '#last': 'lastCaseId', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: marshall({ ':code': item.code, ':active': 'ACTIVE', ':area': item.area, ':teryt': item.teryt, ':kind': item.kind, ':case': item.caseId, ':now': item.updatedAt }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const existing = await this.getCollection(item.code);
        throw new ConflictError(
          existing?.lockedByCase ? `Collection ${item.code} is held by case ${existing.lockedByCase}` : `Collection ${item.code} is ${existing?.state ?? 'unavailable'}`,
        );
      }
      throw error;
    }
  }

  /** Releases a case's hold on a collection, optionally changing its state (idempotent). */
  async releaseCollection(code: string, caseId: string, now: string, state?: CollectionState): Promise<void> {
    const names: Record<string, string> = { '#locked': 'lockedByCase', '#last': 'lastCaseId', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':case': caseId, ':now': now };
    let set = '#updatedAt = :now';
    if (state) {
      set += ', #state = :state';
      names['#state'] = 'state';
      values[':state'] = state;
    }
    const written = await this.writeIf(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`COLLECTION#${code}`, 'COLLECTION'),
        UpdateExpression: `SET ${set} REMOVE #locked`,
        ConditionExpression: state
          ? '#locked = :case OR (attribute_not_exists(#locked) AND #last = :case AND #state = :state)'
          : '#locked = :case OR (attribute_not_exists(#locked) AND #last = :case)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: marshall(values),
      }),
    );
    if (!written) throw new ConflictError(`Collection ${code} is not held by case ${caseId}`);
  }

  /** Every step instance of a case (for its status page). */
  listSteps(caseId: string): Promise<StepRecord[]> {
    return this.queryCase<StepRecord>(caseId, 'STEP#');
  }

  getStep(caseId: string, stepKey: string): Promise<StepRecord | undefined> {
    return this.get<StepRecord>(`CASE#${caseId}`, `STEP#${stepKey}`);
  }

  /**
   * Records that a step waits for its participant, with the current task token and the hash of the newest
   * link (older links stop working). A completed step is never reopened by this.
   */
  async putPendingStep(step: Omit<StepRecord, 'status' | 'requestedAt'> & { now: string }): Promise<void> {
    const { now, caseId, stepKey, ...fields } = step;
    const names: Record<string, string> = { '#status': 'status', '#requestedAt': 'requestedAt', '#caseId': 'caseId', '#stepKey': 'stepKey' };
    const values: Record<string, unknown> = { ':pending': 'PENDING', ':now': now, ':caseId': caseId, ':stepKey': stepKey };
    const assignments = ['#status = :pending', '#requestedAt = if_not_exists(#requestedAt, :now)', '#caseId = :caseId', '#stepKey = :stepKey'];
    Object.entries(fields).forEach(([name, value], index) => {
      if (value === undefined) return;
      names[`#f${index}`] = name;
      values[`:f${index}`] = value;
      assignments.push(`#f${index} = :f${index}`);
    });
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(`CASE#${caseId}`, `STEP#${stepKey}`),
          UpdateExpression: `SET ${assignments.join(', ')}`,
          ConditionExpression: 'attribute_not_exists(pk) OR #status = :pending',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values, marshallOptions),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        // A participant's submission may be in flight while the task times out: the link handler reopens
        // the step when Step Functions refuses the answer, so a reminder racing it retries, it does not fail.
        const current = await this.getStep(caseId, stepKey);
        if (current?.status === 'COMPLETED') throw new TransientError(`Step ${stepKey} of ${caseId} is being completed; retry`);
        throw new ConflictError(`Step ${stepKey} of ${caseId} is no longer pending`);
      }
      throw error;
    }
  }

  /**
   * Completes a pending step with the response, only through its current link: exactly one of many
   * concurrent submissions wins. Returns the completed step (with the task token to hand to Step Functions).
   * With a `completionId` (random, one per submission) the write is also idempotent for that submission: when
   * its answer is lost and the SDK sends it again, the retry finds its own completion and succeeds instead of
   * reporting a conflict (which would leave the step completed and never handed on).
   */
  async completeStep(caseId: string, stepKey: string, linkIdHash: string, response: StepResponse, by: Participant, now: string, completionId?: string): Promise<StepRecord> {
    const names: Record<string, string> = {
      '#status': 'status',
      '#response': 'response',
      '#completedAt': 'completedAt',
      '#completedBy': 'completedBy',
      '#completedLink': 'completedLinkIdHash',
      '#link': 'linkIdHash',
    };
    const values: Record<string, unknown> = { ':completed': 'COMPLETED', ':pending': 'PENDING', ':response': response, ':now': now, ':by': by, ':hash': linkIdHash };
    let update = 'SET #status = :completed, #response = :response, #completedAt = :now, #completedBy = :by, #completedLink = :hash';
    let condition = '#status = :pending AND #link = :hash';
    if (completionId) {
      names['#completion'] = 'completionId';
      values[':completion'] = completionId;
      update += ', #completion = :completion';
      condition = `(${condition}) OR #completion = :completion`;
    }
    try {
      const out = await this.db.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(`CASE#${caseId}`, `STEP#${stepKey}`),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values, marshallOptions),
          ReturnValues: 'ALL_NEW',
        }),
      );
      const { pk: _pk, sk: _sk, ...item } = unmarshall(out.Attributes!);
      return item as StepRecord;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConflictError(`Step ${stepKey} of ${caseId} is not pending for this link`);
      throw error;
    }
  }

  /**
   * Hands a pending step to another person through its current link (older links stop working) and counts it,
   * in one conditional write: concurrent hand-overs can neither both win nor pass `limit.max`. ConflictError
   * when the step is not pending for that link; LimitReachedError (nothing written) when the count is reached.
   */
  async reassignStep(
    caseId: string,
    stepKey: string,
    currentLinkIdHash: string,
    to: { recipient: string; linkIdHash: string; delegatedBy: string; handOver: HandOver },
    limit: { counter: StepCounter; max: number },
  ): Promise<void> {
    const written = await this.writeIf(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`CASE#${caseId}`, `STEP#${stepKey}`),
        UpdateExpression: 'SET #recipient = :recipient, #link = :newLink, #delegatedBy = :delegatedBy, #handOver = :handOver ADD #count :one',
        ConditionExpression: `#status = :pending AND #link = :currentLink AND ${UNDER_LIMIT}`,
        ExpressionAttributeNames: { '#recipient': 'recipient', '#link': 'linkIdHash', '#delegatedBy': 'delegatedBy', '#handOver': 'handOver', '#status': 'status', '#count': limit.counter },
        ExpressionAttributeValues: marshall({ ':recipient': to.recipient, ':newLink': to.linkIdHash, ':delegatedBy': to.delegatedBy, ':handOver': to.handOver, ':pending': 'PENDING', ':currentLink': currentLinkIdHash, ':one': 1, ':max': limit.max }),
      }),
    );
    // The SDK's retry of a write whose answer was lost finds its own hand-over: it was written.
    if (!written) await this.refusal(caseId, stepKey, currentLinkIdHash, limit, (step) => step.handOver?.id === to.handOver.id);
  }

  /**
   * Gives a hand-over back (its e-mail could not be sent, or whether it was written is unknown): the previous
   * recipient and link again, the count down by one. Only while the step still has the hand-over's link.
   */
  async undoReassignStep(caseId: string, stepKey: string, newLinkIdHash: string, previous: Pick<StepRecord, 'recipient' | 'linkIdHash' | 'delegatedBy' | 'handOver'>, counter: StepCounter): Promise<void> {
    const names: Record<string, string> = { '#recipient': 'recipient', '#link': 'linkIdHash', '#delegatedBy': 'delegatedBy', '#handOver': 'handOver', '#status': 'status', '#count': counter };
    const values: Record<string, unknown> = { ':recipient': previous.recipient, ':link': previous.linkIdHash, ':newLink': newLinkIdHash, ':pending': 'PENDING', ':minusOne': -1 };
    const set = ['#recipient = :recipient', '#link = :link'];
    const remove: string[] = [];
    for (const [name, value] of [['#delegatedBy', previous.delegatedBy], ['#handOver', previous.handOver]] as const) {
      if (value === undefined) remove.push(name);
      else {
        values[`:${name.slice(1)}`] = value;
        set.push(`${name} = :${name.slice(1)}`);
      }
    }
    await this.writeIf(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`CASE#${caseId}`, `STEP#${stepKey}`),
        UpdateExpression: `SET ${set.join(', ')} ADD #count :minusOne${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: '#status = :pending AND #link = :newLink',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: marshall(values),
      }),
    );
  }

  /**
   * Why a counted write on a step did not happen: its bound (LimitReachedError), else the link (ConflictError);
   * nothing to say when the step shows the write itself (`ownWrite`: the SDK retried a write whose answer was lost).
   */
  private async refusal(caseId: string, stepKey: string, currentLinkIdHash: string, limit: { counter: StepCounter; max: number }, ownWrite: (step: StepRecord) => boolean): Promise<void> {
    const step = await this.getStep(caseId, stepKey);
    if (step?.status === 'PENDING' && ownWrite(step)) return;
    if (step?.status === 'PENDING' && step.linkIdHash === currentLinkIdHash && (step[limit.counter] ?? 0) >= limit.max) {
      throw new LimitReachedError(`Step ${stepKey} of ${caseId} has reached its limit of ${limit.max} ${limit.counter}`, limit.max);
    }
    throw new ConflictError(`Step ${stepKey} of ${caseId} is not pending for this link`);
  }

  /**
   * Undoes a completion that Step Functions did not accept (task gone or a transient failure). With the
   * submission's `completionId`, only that submission's own completion is undone, never another's.
   */
  async reopenStep(caseId: string, stepKey: string, linkIdHash: string, completionId?: string): Promise<void> {
    const names: Record<string, string> = {
      '#status': 'status',
      '#response': 'response',
      '#completedAt': 'completedAt',
      '#completedBy': 'completedBy',
      '#completedLink': 'completedLinkIdHash',
      '#completion': 'completionId',
    };
    const values: Record<string, unknown> = { ':pending': 'PENDING', ':completed': 'COMPLETED', ':hash': linkIdHash };
    let condition = '#status = :completed AND #completedLink = :hash';
    if (completionId) {
      values[':completion'] = completionId;
      condition += ' AND #completion = :completion';
    }
    await this.writeIf(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`CASE#${caseId}`, `STEP#${stepKey}`),
        UpdateExpression: 'SET #status = :pending REMOVE #response, #completedAt, #completedBy, #completedLink, #completion',
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: marshall(values),
      }),
    );
  }

  /** Once Step Functions has the answer the token is useless; do not keep secrets at rest longer than needed. */
  async forgetTaskToken(caseId: string, stepKey: string): Promise<void> {
    await this.db.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`CASE#${caseId}`, `STEP#${stepKey}`),
        UpdateExpression: 'REMOVE #token',
        ConditionExpression: '#status = :completed',
        ExpressionAttributeNames: { '#token': 'taskToken', '#status': 'status' },
        ExpressionAttributeValues: marshall({ ':completed': 'COMPLETED' }),
      }),
    );
  }

  /**
   * Removes the task token from every step and incident of a case that has ended: no token of an ended case stays
   * at rest. Reads what still has one (a Query per prefix, keys only) and removes it item by item, so a retried
   * ending finishes what a crash left; an item deleted meanwhile is not recreated.
   */
  async forgetTaskTokens(caseId: string): Promise<void> {
    for (const prefix of ['STEP#', 'INCIDENT#']) {
      for (const item of await this.queryCaseItems(caseId, prefix, { withAttribute: 'taskToken' })) {
        const { sk } = unmarshall(item) as { sk: string };
        await this.writeIf(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: this.key(`CASE#${caseId}`, sk),
            UpdateExpression: 'REMOVE #token',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#token': 'taskToken' },
          }),
        );
      }
    }
  }

  /**
   * Like updateCase, but only while the case has one of `allowed` statuses (an operation such as cancelling
   * must not overwrite a case that has just ended). Idempotent by the event id: 'duplicate' when the event had
   * been applied (its entry is then written if a crash left it out); ConflictError naming the status when the
   * case is in another one.
   */
  async updateCaseIf(caseId: string, event: TimelineEntry, set: CaseChanges, allowed: CaseStatus[]): Promise<'applied' | 'duplicate'> {
    const { names, values, update } = caseUpdate(event, set);
    names['#status'] = 'status';
    allowed.forEach((status, index) => (values[`:allowed${index}`] = status));
    const applied = await this.writeIf(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`CASE#${caseId}`, 'CASE'),
        UpdateExpression: update,
        ConditionExpression: `attribute_exists(pk) AND NOT contains(#ids, :eventId) AND #status IN (${allowed.map((_, index) => `:allowed${index}`).join(', ')})`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: marshall(values, marshallOptions),
      }),
    );
    if (!applied) {
      const current = await this.caseApplied(caseId, event.id);
      if (!current) throw new ConflictError(`Case ${caseId} does not exist`);
      if (!current.applied) throw new ConflictError(`Case ${caseId} is ${current.status}`);
    }
    await this.putEvent(caseId, event);
    return applied ? 'applied' : 'duplicate';
  }

  /**
   * Gives a pending step a new link (same recipient, task and deadline) through its current link; older links
   * stop working. With `limit`, the write also counts the resend, conditional on its bound (LimitReachedError);
   * a negative `limit.add` gives a resend back (the e-mail could not be sent).
   */
  async replaceStepLink(caseId: string, stepKey: string, currentLinkIdHash: string, newLinkIdHash: string, now: string, limit: { counter: StepCounter; max: number; add: 1 | -1 }): Promise<void> {
    const counting = limit.add > 0;
    const written = await this.writeIf(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`CASE#${caseId}`, `STEP#${stepKey}`),
        UpdateExpression: 'SET #link = :newLink, #lastSentAt = :now ADD #count :add',
        ConditionExpression: `#status = :pending AND #link = :currentLink${counting ? ` AND ${UNDER_LIMIT}` : ''}`,
        ExpressionAttributeNames: { '#link': 'linkIdHash', '#lastSentAt': 'lastSentAt', '#status': 'status', '#count': limit.counter },
        ExpressionAttributeValues: marshall({ ':newLink': newLinkIdHash, ':now': now, ':pending': 'PENDING', ':currentLink': currentLinkIdHash, ':add': limit.add, ...(counting ? { ':max': limit.max } : {}) }),
      }),
    );
    if (!written) await this.refusal(caseId, stepKey, currentLinkIdHash, limit, (step) => step.linkIdHash === newLinkIdHash);
  }

  /**
   * Closes a step that still waits (the case was cancelled): its links then show "no longer pending" and the
   * task token, useless once the execution is stopped, is removed. Returns false if it was not pending.
   */
  async closePendingStep(caseId: string, stepKey: string, now: string): Promise<boolean> {
    return this.writeIf(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`CASE#${caseId}`, `STEP#${stepKey}`),
        UpdateExpression: 'SET #status = :cancelled, #closedAt = :now REMOVE #token',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status', '#closedAt': 'closedAt', '#token': 'taskToken' },
        ExpressionAttributeValues: marshall({ ':cancelled': 'CANCELLED', ':pending': 'PENDING', ':now': now }),
      }),
    );
  }

  /**
   * Binds a pending step to the task token of a new attempt of its request, keeping its link, recipient and
   * deadline (the link already e-mailed stays the one that works). Like putPendingStep: a step being
   * completed is a TransientError (retry), any other state a ConflictError.
   */
  async bindTaskToken(caseId: string, stepKey: string, taskToken: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(`CASE#${caseId}`, `STEP#${stepKey}`),
          UpdateExpression: 'SET #token = :token',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#token': 'taskToken', '#status': 'status' },
          ExpressionAttributeValues: marshall({ ':token': taskToken, ':pending': 'PENDING' }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const current = await this.getStep(caseId, stepKey);
        if (current?.status === 'COMPLETED') throw new TransientError(`Step ${stepKey} of ${caseId} is being completed; retry`);
        throw new ConflictError(`Step ${stepKey} of ${caseId} is no longer pending`);
      }
      throw error;
    }
  }

  /** Whether the e-mail with this key is on its way for the case (its marker exists; see mail-once.ts). */
  async mailQueued(caseId: string, key: string): Promise<boolean> {
    return (await this.get(`CASE#${caseId}`, `MAIL#${key}`)) !== undefined;
  }

  /**
   * Marks the e-mail with this key as put on the outbox (after SQS accepted it). A single-item conditional put:
   * a marker already there (a concurrent duplicate, or the sender already sent it) is kept as it is.
   */
  async recordMailQueued(caseId: string, key: string, queued: { outboxMessageId?: string; at: string }): Promise<void> {
    await this.writeIf(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ pk: `CASE#${caseId}`, sk: `MAIL#${key}`, key, outboxMessageId: queued.outboxMessageId, queuedAt: queued.at }, marshallOptions),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /** Whether SES has accepted the e-mail with this key (send-email recorded it on the marker). */
  async mailSentBySes(caseId: string, key: string): Promise<boolean> {
    return (await this.get<{ sentAt?: string }>(`CASE#${caseId}`, `MAIL#${key}`))?.sentAt !== undefined;
  }

  /**
   * Records on the e-mail's marker that SES accepted it, with SES's message id (which its delivery events name).
   * Creates the marker when the action that queued it has not written it (yet).
   */
  async recordMailSentBySes(caseId: string, key: string, sent: { sesMessageId?: string; at: string }): Promise<void> {
    await this.db.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`CASE#${caseId}`, `MAIL#${key}`),
        UpdateExpression: sent.sesMessageId ? 'SET #key = :key, sentAt = :at, sesMessageId = :id' : 'SET #key = :key, sentAt = :at',
        ExpressionAttributeNames: { '#key': 'key' },
        ExpressionAttributeValues: marshall({ ':key': key, ':at': sent.at, ...(sent.sesMessageId ? { ':id': sent.sesMessageId } : {}) }),
      }),
    );
  }

  /** Records an incident once (a duplicated invocation finds it and gets false). */
  async putIncident(incident: IncidentRecord): Promise<boolean> {
    return this.writeIf(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ pk: `CASE#${incident.caseId}`, sk: `INCIDENT#${incident.incidentId}`, ...incident }, marshallOptions),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /** Every incident of a case, oldest first (bounded: open-incident refuses more than the configured number). */
  async listIncidents(caseId: string): Promise<IncidentRecord[]> {
    return (await this.queryCase<IncidentRecord>(caseId, 'INCIDENT#')).sort((a, b) => a.openedAt.localeCompare(b.openedAt));
  }

  /**
   * Moves an incident from one of `from` to `to` (conditional: false when it is in none of them). Leaving the
   * waiting statuses removes the task token: a retried or closed incident's token is of no use to anyone.
   */
  async moveIncident(caseId: string, incidentId: string, from: readonly IncidentStatus[], to: IncidentStatus, set: Partial<Pick<IncidentRecord, 'retriedAt' | 'retriedBy' | 'closedAt' | 'closedBecause'>> = {}): Promise<boolean> {
    const entries = Object.entries(set).filter(([, v]) => v !== undefined);
    const names: Record<string, string> = { '#status': 'status', ...Object.fromEntries(entries.map(([k], i) => [`#s${i}`, k])) };
    const values: Record<string, unknown> = { ':to': to, ...Object.fromEntries(entries.map(([, v], i) => [`:s${i}`, v])) };
    from.forEach((status, i) => (values[`:from${i}`] = status));
    const keepsToken = to === 'OPEN' || to === 'RETRYING';
    if (!keepsToken) names['#token'] = 'taskToken';
    return this.writeIf(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`CASE#${caseId}`, `INCIDENT#${incidentId}`),
        UpdateExpression: `SET ${['#status = :to', ...entries.map((_, i) => `#s${i} = :s${i}`)].join(', ')}${keepsToken ? '' : ' REMOVE #token'}`,
        ConditionExpression: `#status IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: marshall(values, marshallOptions),
      }),
    );
  }

  /**
   * Marks a pending step's recipient unreachable, only while `undeliverable.recipient` is still its recipient and
   * not already so marked: true when this write marked it (so exactly one caller tells MRPiPS).
   */
  async markStepUndeliverable(caseId: string, stepKey: string, undeliverable: Undeliverable): Promise<boolean> {
    return this.writeIf(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`CASE#${caseId}`, `STEP#${stepKey}`),
        UpdateExpression: 'SET #undeliverable = :undeliverable',
        ConditionExpression: '#status = :pending AND #recipient = :recipient AND (attribute_not_exists(#undeliverable) OR #undeliverable.#recipient <> :recipient)',
        ExpressionAttributeNames: { '#undeliverable': 'undeliverable', '#status': 'status', '#recipient': 'recipient' },
        ExpressionAttributeValues: marshall({ ':undeliverable': undeliverable, ':pending': 'PENDING', ':recipient': undeliverable.recipient }, marshallOptions),
      }),
    );
  }

  async markStep(caseId: string, stepKey: string, set: Partial<Pick<StepRecord, 'escalatedAt' | 'status'>>): Promise<void> {
    const entries = Object.entries(set).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    await this.db.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`CASE#${caseId}`, `STEP#${stepKey}`),
        UpdateExpression: `SET ${entries.map((_, i) => `#m${i} = :m${i}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#m${i}`, k])),
        ExpressionAttributeValues: marshall(Object.fromEntries(entries.map(([, v], i) => [`:m${i}`, v]))),
      }),
    );
  }
}

/** The case store of this Lambda environment (see once() in runtime.ts). */
export const caseStore = once(() => new CaseStore(new DynamoDBClient(sdkClientOptions()), parseConfig(tableConfigSchema, process.env).TABLE_NAME));
