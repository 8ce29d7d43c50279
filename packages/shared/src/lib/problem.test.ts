import { describe, expect, it } from 'vitest';
import { PROBLEM_HEADERS, problemDetails, problemType } from './problem.js';

describe('problemDetails', () => {
  it('builds RFC 9457 members plus the stable code, with a type URN named after the code', () => {
    expect(problemDetails({ status: 404, code: 'NOT_FOUND', title: 'Not found', detail: 'no agent pi-9', instance: '/v1/agents/pi-9', requestId: 'r-1' })).toEqual({
      type: 'urn:mesh30k:problem:not_found',
      title: 'Not found',
      status: 404,
      detail: 'no agent pi-9',
      code: 'NOT_FOUND',
      instance: '/v1/agents/pi-9',
      request_id: 'r-1',
    });
    expect(problemType('RATE_LIMITED')).toBe('urn:mesh30k:problem:rate_limited');
  });

  it('keeps extension members but never lets them replace a standard one', () => {
    const problem = problemDetails({ status: 400, code: 'BAD_REQUEST', title: 'Bad', detail: 'x: required', extensions: { errors: [{ field: 'x' }], status: 200, code: 'OK' } });
    expect(problem.status).toBe(400);
    expect(problem.code).toBe('BAD_REQUEST');
    expect(problem['errors']).toEqual([{ field: 'x' }]);
    expect('instance' in problem).toBe(false);
  });

  it('marks every problem answer uncacheable and not to be sniffed', () => {
    expect(PROBLEM_HEADERS).toMatchObject({ 'content-type': 'application/problem+json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  });
});
