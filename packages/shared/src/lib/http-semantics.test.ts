import { describe, expect, it } from 'vitest';
import { acceptableRequestId, allowHeader, declaresBody, isJsonMediaType, methodNotAllowed, routeMatches, unsupportedBody } from './http-semantics.js';

const headers = (record: Record<string, string>) => new Headers(record);

describe('http semantics', () => {
  it('accepts application/json and +json types with parameters, nothing else', () => {
    expect(isJsonMediaType('application/json')).toBe(true);
    expect(isJsonMediaType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonMediaType('application/merge-patch+json')).toBe(true);
    expect(isJsonMediaType('text/plain')).toBe(false);
    expect(isJsonMediaType('application/x-www-form-urlencoded')).toBe(false);
    expect(isJsonMediaType('text/json-ish')).toBe(false);
    expect(isJsonMediaType(undefined)).toBe(false);
  });

  it('tells a body from none by its framing', () => {
    expect(declaresBody(headers({ 'content-length': '0' }))).toBe(false);
    expect(declaresBody(headers({}))).toBe(false);
    expect(declaresBody(headers({ 'content-length': '12' }))).toBe(true);
    expect(declaresBody(headers({ 'transfer-encoding': 'chunked' }))).toBe(true);
    expect(declaresBody(headers({ 'content-type': 'text/plain' }))).toBe(true);
  });

  it('refuses a non-JSON body with 415 and lets JSON or no body through', () => {
    expect(unsupportedBody('text/plain; charset=utf-8', true, '/v1/x')).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', detail: expect.stringContaining('text/plain'), instance: '/v1/x' });
    expect(unsupportedBody(null, true)).toMatchObject({ status: 415, detail: expect.stringContaining('without Content-Type') });
    expect(unsupportedBody('application/json', true)).toBeUndefined();
    expect(unsupportedBody('text/plain', false)).toBeUndefined();
  });

  it('lists allowed methods sorted, with HEAD wherever GET is', () => {
    expect(allowHeader(['post', 'GET', 'GET'])).toBe('GET, HEAD, POST');
    const answer = methodNotAllowed('DELETE', ['GET'], '/v1/status');
    expect(answer.headers).toEqual({ allow: 'GET, HEAD' });
    expect(answer.problem).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED', instance: '/v1/status' });
  });

  it('matches route patterns with parameters and a trailing wildcard', () => {
    expect(routeMatches('/v1/agents/:id', '/v1/agents/pi-1')).toBe(true);
    expect(routeMatches('/v1/agents/:id', '/v1/agents/pi-1/')).toBe(true);
    expect(routeMatches('/v1/agents/:id', '/v1/agents')).toBe(false);
    expect(routeMatches('/v1/agents/:id', '/v1/agents/pi-1/retire')).toBe(false);
    expect(routeMatches('/v1/*', '/v1/anything/at/all')).toBe(true);
    expect(routeMatches('/v1/status', '/v1/statusx')).toBe(false);
  });

  it('echoes only short plain request ids', () => {
    expect(acceptableRequestId('console-42')).toBe(true);
    expect(acceptableRequestId('has space')).toBe(false);
    expect(acceptableRequestId('x'.repeat(129))).toBe(false);
    expect(acceptableRequestId(null)).toBe(false);
  });
});
