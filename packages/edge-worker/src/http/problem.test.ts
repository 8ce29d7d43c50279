import { describe, expect, it } from 'vitest';
import { EdgeError } from './errors.js';
import { PROBLEM_CONTENT_TYPE, problemResponse } from './problem.js';

describe('problemResponse', () => {
  it('turns an EdgeError into problem+json with its status and stable code', async () => {
    const response = problemResponse(new EdgeError('REPLAYED', 'message m-1 was already accepted'));
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(await response.json()).toEqual({
      type: 'urn:mesh30k:problem:replayed',
      title: 'REPLAYED',
      status: 409,
      code: 'REPLAYED',
      detail: 'message m-1 was already accepted',
    });
  });

  it('hides anything that is not an EdgeError behind INTERNAL', async () => {
    const response = problemResponse(new TypeError('secret internals'));
    expect(response.status).toBe(500);
    const body = await response.json<{ code: string; detail: string }>();
    expect(body.code).toBe('INTERNAL');
    expect(body.detail).not.toContain('secret');
  });
});
