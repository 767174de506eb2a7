import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FORM_TOKEN_TTL_SECONDS, formTokenProblem, issueFormToken, newSubmissionId } from '../../lambdas/core/form.js';
import { signingKeysSchema } from '../../lambdas/core/links.js';
import { hostileString } from './arbitraries.js';

// The form token alone, without a stack: every way a client can change a token it was given, or make one up.
const KEYS = signingKeysSchema.parse({ current: 'f2', f1: 'form-key-one-0123456789abcdefghijklmnop', f2: 'form-key-two-0123456789abcdefghijklmnop' });
const NOW = 1_780_000_000;
const submissionIdArb = fc.constant(null).map(() => newSubmissionId());
const addressArb = fc.oneof(fc.ipV4(), fc.ipV6());

describe('the notification form token', () => {
  it('GIVEN a token as issued THEN it verifies for its submission id and address for 24 hours, and not after', () => {
    fc.assert(
      fc.property(submissionIdArb, addressArb, fc.integer({ min: 0, max: 2 * FORM_TOKEN_TTL_SECONDS }), (submissionId, address, age) => {
        const token = issueFormToken(KEYS, submissionId, address, NOW - age);
        expect(formTokenProblem(KEYS, token, submissionId, address, NOW)).toBe(age > FORM_TOKEN_TTL_SECONDS ? 'EXPIRED' : undefined);
      }),
    );
  });

  it('GIVEN any one character of a valid token changed THEN it is refused', () => {
    fc.assert(
      fc.property(submissionIdArb, addressArb, fc.nat(), fc.constantFrom(...'AZaz09_-.x'), (submissionId, address, position, replacement) => {
        const token = issueFormToken(KEYS, submissionId, address, NOW);
        const at = position % token.length;
        fc.pre(token[at] !== replacement);
        const changed = token.slice(0, at) + replacement + token.slice(at + 1);
        expect(formTokenProblem(KEYS, changed, submissionId, address, NOW)).toBeDefined();
      }),
    );
  });

  it('GIVEN a valid token WHEN posted with another submission id or from another address THEN it is refused', () => {
    fc.assert(
      fc.property(submissionIdArb, submissionIdArb, addressArb, addressArb, (submissionId, otherId, address, otherAddress) => {
        const token = issueFormToken(KEYS, submissionId, address, NOW);
        if (otherId !== submissionId) expect(formTokenProblem(KEYS, token, otherId, address, NOW)).toBe('INVALID');
        if (otherAddress !== address) expect(formTokenProblem(KEYS, token, submissionId, otherAddress, NOW)).toBe('INVALID');
      }),
    );
  });

  it('GIVEN any string a client makes up THEN it is refused and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(hostileString, fc.string(), fc.stringMatching(/^f[12]\.\d{10}\.[A-Za-z0-9_-]{43}$/)), submissionIdArb, addressArb, (token, submissionId, address) => {
        expect(formTokenProblem(KEYS, token, submissionId, address, NOW)).toMatch(/^(MISSING|INVALID|EXPIRED)$/);
      }),
    );
  });
});
