import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * The size of a DynamoDB item as DynamoDB counts it against its 400 KB item limit, by the rules AWS publishes
 * in "DynamoDB item sizes and formats" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 *   - a string: its UTF-8 bytes; a binary: its raw bytes (not the base64 sent on the wire);
 *   - a number: "approximately (1 byte per two significant digits) + (1 byte)", leading and trailing zeroes trimmed;
 *   - null and Boolean: 1 byte;
 *   - List and Map: 3 bytes of overhead + 1 byte per element + the elements (a Map element with its name);
 *   - sets: the sum of their elements;
 * and every attribute adds the UTF-8 bytes of its name. The local DynamoDB stand-in counts differently (strings
 * in UTF-16 code units), so item sizes are measured here, on what a Scan returns, not taken from dynalite.
 * Used by the tests that bound the largest item of a case.
 */
export function dynamoDbItemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8Bytes(name) + attributeValueSize(value), 0);
}

export function attributeValueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8Bytes(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + utf8Bytes(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + attributeValueSize(element), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + utf8Bytes(name) + attributeValueSize(element), 0);
  throw new Error(`Unknown attribute value type: ${Object.keys(value).join(', ')}`);
}

/** (significant digits / 2, rounded up) + 1: zeroes before the first and after the last significant digit do not count. */
export function numberSize(number: string): number {
  const digits = number.replace(/^[+-]/, '').replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');
