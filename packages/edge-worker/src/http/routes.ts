import type { MessageKind } from '@mesh30k/shared';

/**
 * The Worker's HTTP surface as one typed table: which signed kind each route takes and which
 * it answers with (docs/protocol.md, "Lead and Worker"). The lead's HTTPS transport and the
 * tests address the Worker through these paths.
 */
export const EDGE_ROUTES = {
  coordinate: { method: 'POST', path: '/v1/coordinate', accepts: 'COORDINATE', answers: 'ACK' },
  ping: { method: 'POST', path: '/v1/ping', accepts: 'PING', answers: 'PONG' },
  health: { method: 'GET', path: '/v1/health', accepts: null, answers: null },
} as const satisfies Record<string, { method: string; path: string; accepts: MessageKind | null; answers: MessageKind | null }>;
