import { describe, expect, it } from 'vitest';
import { FUNCTION_TIMEOUT_SECONDS } from '../../lib/function-timeouts.js';
import { localConfig } from '../../local/config.js';
import { withTimeout } from '../../local/lambda-timeouts.js';
import { startPagesServer } from '../../local/pages-server.js';

describe('LAMBDA_TIMEOUTS: a shorter timeout for one function locally', () => {
  it('overrides the named function and keeps the deployed timeout of every other', () => {
    // WHEN
    const config = localConfig({}, { LAMBDA_TIMEOUTS: '{"send-notice":1}' });

    // THEN
    expect(config.LAMBDA_TIMEOUTS).toEqual({ ...FUNCTION_TIMEOUT_SECONDS, 'send-notice': 1 });
    expect(localConfig({}).LAMBDA_TIMEOUTS).toEqual(FUNCTION_TIMEOUT_SECONDS);
  });

  it.each([
    ['{"send-notices":1}', 'LAMBDA_TIMEOUTS: (map): Unrecognized key: "send-notices"'],
    ['{"send-notice":0}', 'LAMBDA_TIMEOUTS: send-notice: Too small: expected number to be >=1'],
    ['{"send-notice":901}', 'LAMBDA_TIMEOUTS: send-notice: Too big: expected number to be <=900'],
    ['30', 'LAMBDA_TIMEOUTS: (map): Invalid input: expected record, received number'],
    ['{send-notice: 1}', 'LAMBDA_TIMEOUTS: must be JSON: {"<function name>": <seconds>, …}'],
  ])('refuses %s, saying why', (value, reason) => {
    expect(() => localConfig({}, { LAMBDA_TIMEOUTS: value })).toThrow(`Invalid local configuration: ${reason}`);
  });
});

describe('a link page past its timeout', () => {
  it('answers 500, as API Gateway does for a failed function', async () => {
    // GIVEN a page function that never answers within its 1-second timeout
    const { server, url } = await startPagesServer({ 'case-status': withTimeout(() => new Promise<never>(() => {}), 1, 'Sandbox.Timedout') }, '127.0.0.1', 0);
    try {
      // WHEN it is requested
      const res = await fetch(`${url}/sprawa`);

      // THEN
      expect(res.status).toBe(500);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.text()).toBe('{"message":"Internal Server Error"}');
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});
