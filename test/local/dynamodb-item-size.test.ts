import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoDbItemSize, numberSize } from '../../local/dynamodb-item-size.js';

/**
 * Examples worked out by hand from AWS's rules ("DynamoDB item sizes and formats",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
 */
describe('the size of a DynamoDB item, by DynamoDB\'s rules', () => {
  it('GIVEN strings THEN the name and the value count in UTF-8 bytes (Polish letters take two)', () => {
    expect(dynamoDbItemSize({ pk: { S: 'CASE#ZSD-2026-00042' } })).toBe(2 + 19);
    expect(dynamoDbItemSize({ summary: { S: 'Zażółć' } })).toBe(7 + 10);
    expect(dynamoDbItemSize({ 'ł': { S: '' } })).toBe(2);
  });

  it.each([
    ['0', 2],
    ['7', 2],
    ['12', 2],
    ['123', 3],
    ['1000', 2], // trailing zeroes trimmed: one significant digit
    ['0.0012', 2], // leading zeroes trimmed: two significant digits
    ['-123.45', 4],
    ['1700000000', 2], // 17 followed by zeroes
    ['12345678901234567890123456789012345678', 20], // 38 significant digits, the most DynamoDB keeps
  ])('GIVEN the number %s THEN it takes %i bytes: 1 per two significant digits, plus 1', (value, bytes) => {
    expect(numberSize(value)).toBe(bytes);
  });

  it('GIVEN Boolean, null and binary values THEN 1, 1 and the raw bytes (not the base64)', () => {
    expect(dynamoDbItemSize({ ok: { BOOL: true }, no: { NULL: true }, raw: { B: new Uint8Array(10) } })).toBe(2 + 1 + 2 + 1 + 3 + 10);
  });

  it('GIVEN a list and a map THEN 3 bytes each, 1 more per element, map elements with their names', () => {
    // l: 1 + 3 + (1 + 2) + (1 + 1)
    expect(dynamoDbItemSize({ l: { L: [{ S: 'ab' }, { S: 'c' }] } })).toBe(9);
    // m: 1 + 3 + (1 + 1 + 1) + (1 + 2 + 2)
    expect(dynamoDbItemSize({ m: { M: { a: { S: 'x' }, bb: { N: '12' } } } })).toBe(12);
    expect(dynamoDbItemSize({ empty: { M: {} } })).toBe(5 + 3);
  });

  it('GIVEN sets THEN the sum of their elements', () => {
    expect(dynamoDbItemSize({ s: { SS: ['a', 'bc'] }, n: { NS: ['1', '100'] } })).toBe(1 + 3 + 1 + 2 + 2);
  });

  it('GIVEN a timeline entry as the store writes it THEN every attribute is counted once', () => {
    const item = marshall({ pk: 'CASE#ZSD-2026-00042', sk: 'EVENT#registered', id: 'registered', at: '2026-03-01T08:00:00.000Z', actor: { role: 'JST', email: 'a@b.pl' } });
    const actor = 5 + 3 + (1 + 4 + 3) + (1 + 5 + 6);
    expect(dynamoDbItemSize(item)).toBe(2 + 19 + 2 + 16 + 2 + 10 + 2 + 24 + actor);
  });
});
