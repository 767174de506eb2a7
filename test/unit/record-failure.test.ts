import { describe, expect, it } from 'vitest';
import { failureReason } from '../../lambdas/core/incident.js';

describe('failureReason', () => {
  it('GIVEN a Lambda error cause (JSON) THEN the reason is the error name and its errorMessage, without the stack', () => {
    const cause = JSON.stringify({ errorType: 'ConflictError', errorMessage: 'Collection SR-01 is held by case ZSD-2026-00007', trace: ['ConflictError: …', '    at lockCollection (/var/task/index.mjs:1:2)'] });
    expect(failureReason({ Error: 'ConflictError', Cause: cause })).toBe('ConflictError: Collection SR-01 is held by case ZSD-2026-00007');
  });

  it('GIVEN a nested child-execution cause with `Cause` THEN that is used', () => {
    expect(failureReason({ Error: 'States.TaskFailed', Cause: JSON.stringify({ Cause: 'child failed', Error: 'X' }) })).toBe('States.TaskFailed: child failed');
  });

  it('GIVEN a plain-text cause THEN it is kept as it is', () => {
    expect(failureReason({ Error: 'States.Timeout', Cause: 'Task timed out after 900 s' })).toBe('States.Timeout: Task timed out after 900 s');
  });

  it('GIVEN no error name and no cause THEN the reason still reads as an error', () => {
    expect(failureReason({})).toBe('Error: ');
  });

  it('GIVEN a very long error message THEN the reason is cut to 1000 characters', () => {
    const reason = failureReason({ Error: 'ValidationError', Cause: JSON.stringify({ errorMessage: 'x'.repeat(5000) }) });
    expect(reason).toHaveLength(1000);
    expect(reason.startsWith('ValidationError: xxx')).toBe(true);
  });
});
