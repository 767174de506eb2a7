import type { z } from 'zod';
import { caseStore, type CaseStore } from '../adapters/case-store.js';
import { stateMachineHandler } from '../adapters/runtime.js';
import { COLLECTION_STATE_LABEL } from '../core/case.js';
import { NotFoundError } from '../core/errors.js';
import { changeCollectionStatesEvent } from '../core/events.js';

/**
 * Step d's operation on CBB: old collections become ARCHIVED (with migration) or CLOSED (without); the case
 * releases its hold on the old and the new collections, so a later change of supplier can take them over.
 */
export async function changeCollectionStates(input: z.infer<typeof changeCollectionStatesEvent>, deps: { store: CaseStore; now?: Date }) {
  const now = (deps.now ?? new Date()).toISOString();
  const record = await deps.store.getCase(input.caseId);
  if (!record) throw new NotFoundError(`Case ${input.caseId} not found`);
  for (const collection of record.collections) {
    await deps.store.releaseCollection(collection.oldCode, record.caseId, now, input.targetState);
    if (collection.newCode) await deps.store.releaseCollection(collection.newCode, record.caseId, now);
  }
  await deps.store.updateCase(
    record.caseId,
    {
      id: `collections:${input.targetState}`,
      at: now,
      actor: { role: 'MRPIPS' },
      action: input.targetState === 'ARCHIVED' ? 'OLD_COLLECTIONS_ARCHIVED' : 'OLD_COLLECTIONS_CLOSED',
      summary: `Dotychczasowe zbiory CBB (${record.collections.map((c) => c.oldCode).join(', ')}): ${COLLECTION_STATE_LABEL[input.targetState]}.`,
    },
    { outcome: { collectionsState: input.targetState, at: now } },
  );
  return {};
}

export const handler = stateMachineHandler('change-collection-states', changeCollectionStatesEvent, (input) => changeCollectionStates(input, { store: caseStore() }));
