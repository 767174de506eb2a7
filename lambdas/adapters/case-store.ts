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
import type { CaseRecord, CaseStatus, CollectionState, TimelineEntry } from '../core/case.js';
import { parseConfig, tableConfigSchema } from '../core/config.js';
import { ConflictError, TransientError } from '../core/errors.js';
import { once } from './runtime.js';
import { sdkClientOptions } from './sdk-client-options.js';
import type { IncidentRecord, IncidentStatus } from '../core/incident.js';
import type { Participant, StepRecord } from '../core/step-record.js';
import type { StepResponse } from '../core/steps.js';

/**
 * The case store: one DynamoDB table, items keyed pk/sk.
 *   CASE#<id> / CASE           the case (status, notification, collections, timeline)
 *   CASE#<id> / STEP#<key>     one human step instance (recipient, current task token, link id hash, response)
 *   COLLECTION#<code> / COLLECTION   registry of CBB collection codes (unique; state; which case holds it)
 *   COUNTER#CASE#<year> / COUNTER    the yearly case number sequence
 *   SUBMISSION#<id> / SUBMISSION     which case a notification form submission created (expires)
 *   LIMIT#<what>#<window> / LIMIT    rate-limit counters (expire)
 *   CASE#<id> / MAIL#<key>     marker of an e-mail sent for the case, by its deterministic key (see mail-once.ts)
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

/**
 * The update that appends one timeline event (idempotent by its id, recorded in `timelineIds`) and sets
 * top-level attributes of a case: updateCase and updateCaseIf differ only in their conditions.
 */
function timelineUpdate(event: TimelineEntry, set: Partial<Omit<CaseRecord, 'caseId' | 'timeline'>>): { names: Record<string, string>; values: Record<string, unknown>; update: string } {
  const names: Record<string, string> = { '#timeline': 'timeline', '#ids': 'timelineIds', '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = { ':event': [event], ':eventIds': new Set([event.id]), ':eventId': event.id, ':now': event.at };
  const assignments = ['#timeline = list_append(#timeline, :event)', '#updatedAt = :now'];
  Object.entries(set).forEach(([name, value], index) => {
    if (value === undefined) return;
    names[`#a${index}`] = name;
    values[`:a${index}`] = value;
    assignments.push(`#a${index} = :a${index}`);
  });
  return { names, values, update: `SET ${assignments.join(', ')} ADD #ids :eventIds` };
}

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
    const { pk: _pk, sk: _sk, timelineIds: _ids, ...item } = unmarshall(out.Item);
    return item as T;
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

  /** Creates the case once; a retry finds it and returns false. */
  async createCase(record: CaseRecord): Promise<boolean> {
    return this.writeIf(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ pk: `CASE#${record.caseId}`, sk: 'CASE', ...record, timelineIds: new Set(record.timeline.map((e) => e.id)) }, marshallOptions),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  getCase(caseId: string): Promise<CaseRecord | undefined> {
    return this.get<CaseRecord>(`CASE#${caseId}`, 'CASE');
  }

  /**
   * Sets top-level attributes of a case and appends one timeline event, atomically. The event id makes it
   * idempotent: if the event is already on the timeline nothing is written and 'duplicate' is returned.
   */
  async updateCase(caseId: string, event: TimelineEntry, set: Partial<Omit<CaseRecord, 'caseId' | 'timeline'>> = {}): Promise<'applied' | 'duplicate'> {
    const { names, values, update } = timelineUpdate(event, set);
    try {
      await this.db.send(
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
      return 'applied';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        if (!(await this.getCase(caseId))) throw new ConflictError(`Case ${caseId} does not exist`);
        return 'duplicate';
      }
      throw error;
    }
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
   * Counts one use of a limited action in a fixed window (an atomic counter that expires with the window).
   * Returns the count including this use.
   */
  async countUse(key: string, windowSeconds: number, nowSeconds: number): Promise<number> {
    const window = Math.floor(nowSeconds / windowSeconds);
    const out = await this.db.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`LIMIT#${key}#${window}`, 'LIMIT'),
        UpdateExpression: 'ADD #count :one SET #expiresAt = :expiresAt',
        ExpressionAttributeNames: { '#count': 'count', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: marshall({ ':one': 1, ':expiresAt': (window + 2) * windowSeconds }),
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(unmarshall(out.Attributes!).count);
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
  async listSteps(caseId: string): Promise<StepRecord[]> {
    const steps: StepRecord[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :step)',
          ExpressionAttributeValues: marshall({ ':pk': `CASE#${caseId}`, ':step': 'STEP#' }),
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      for (const item of out.Items ?? []) {
        const { pk: _pk, sk: _sk, ...step } = unmarshall(item);
        steps.push(step as StepRecord);
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return steps;
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

  /** Hands a pending step to another person through its current link; older links stop working. */
  async reassignStep(caseId: string, stepKey: string, currentLinkIdHash: string, to: { recipient: string; linkIdHash: string; delegatedBy: string }): Promise<void> {
    const written = await this.writeIf(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`CASE#${caseId}`, `STEP#${stepKey}`),
        UpdateExpression: 'SET #recipient = :recipient, #link = :newLink, #delegatedBy = :delegatedBy',
        ConditionExpression: '#status = :pending AND #link = :currentLink',
        ExpressionAttributeNames: { '#recipient': 'recipient', '#link': 'linkIdHash', '#delegatedBy': 'delegatedBy', '#status': 'status' },
        ExpressionAttributeValues: marshall({ ':recipient': to.recipient, ':newLink': to.linkIdHash, ':delegatedBy': to.delegatedBy, ':pending': 'PENDING', ':currentLink': currentLinkIdHash }),
      }),
    );
    if (!written) throw new ConflictError(`Step ${stepKey} of ${caseId} is not pending for this link`);
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
   * Like updateCase, but only while the case has one of `allowed` statuses (an operation such as cancelling
   * must not overwrite a case that has just ended). Idempotent by the event id: 'duplicate' when the event is
   * already on the timeline; ConflictError naming the status when the case is in another one.
   */
  async updateCaseIf(caseId: string, event: TimelineEntry, set: Partial<Omit<CaseRecord, 'caseId' | 'timeline'>>, allowed: CaseStatus[]): Promise<'applied' | 'duplicate'> {
    const { names, values, update } = timelineUpdate(event, set);
    names['#status'] = 'status';
    allowed.forEach((status, index) => (values[`:allowed${index}`] = status));
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(`CASE#${caseId}`, 'CASE'),
          UpdateExpression: update,
          ConditionExpression: `attribute_exists(pk) AND NOT contains(#ids, :eventId) AND #status IN (${allowed.map((_, index) => `:allowed${index}`).join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values, marshallOptions),
        }),
      );
      return 'applied';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const current = await this.getCase(caseId);
        if (!current) throw new ConflictError(`Case ${caseId} does not exist`);
        if (current.timeline.some((entry) => entry.id === event.id)) return 'duplicate';
        throw new ConflictError(`Case ${caseId} is ${current.status}`);
      }
      throw error;
    }
  }

  /** Gives a pending step a new link (same recipient, task and deadline) through its current link; older links stop working. */
  async replaceStepLink(caseId: string, stepKey: string, currentLinkIdHash: string, newLinkIdHash: string, now: string): Promise<void> {
    const written = await this.writeIf(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`CASE#${caseId}`, `STEP#${stepKey}`),
        UpdateExpression: 'SET #link = :newLink, #lastSentAt = :now',
        ConditionExpression: '#status = :pending AND #link = :currentLink',
        ExpressionAttributeNames: { '#link': 'linkIdHash', '#lastSentAt': 'lastSentAt', '#status': 'status' },
        ExpressionAttributeValues: marshall({ ':newLink': newLinkIdHash, ':now': now, ':pending': 'PENDING', ':currentLink': currentLinkIdHash }),
      }),
    );
    if (!written) throw new ConflictError(`Step ${stepKey} of ${caseId} is not pending for this link`);
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

  /** Whether the e-mail with this key has been sent for the case (its marker exists; see mail-once.ts). */
  async mailSent(caseId: string, key: string): Promise<boolean> {
    return (await this.get(`CASE#${caseId}`, `MAIL#${key}`)) !== undefined;
  }

  /**
   * Marks the e-mail with this key as sent (after SES accepted it). A single-item conditional put: a marker
   * already there (a concurrent duplicate sent too) is kept as it is.
   */
  async recordMailSent(caseId: string, key: string, sent: { messageId?: string; at: string }): Promise<void> {
    await this.writeIf(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ pk: `CASE#${caseId}`, sk: `MAIL#${key}`, key, messageId: sent.messageId, sentAt: sent.at }, marshallOptions),
        ConditionExpression: 'attribute_not_exists(pk)',
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
    const incidents: IncidentRecord[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :incident)',
          ExpressionAttributeValues: marshall({ ':pk': `CASE#${caseId}`, ':incident': 'INCIDENT#' }),
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      for (const item of out.Items ?? []) {
        const { pk: _pk, sk: _sk, ...incident } = unmarshall(item);
        incidents.push(incident as IncidentRecord);
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return incidents.sort((a, b) => a.openedAt.localeCompare(b.openedAt));
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
