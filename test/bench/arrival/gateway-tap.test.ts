import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { GatewayTap, withGatewayHolds } from './gateway-tap.js';
import type { ObservedLine } from './observed.js';

const frame = (body: object): Buffer => Buffer.from(`HPUB mesh.ack.lead-1 _INBOX.x 12 ${JSON.stringify(body).length + 12}\r\nNATS/1.0\r\n\r\n${JSON.stringify(body)}\r\n`);
const origin = performance.timeOrigin;

describe('the gateway tap', () => {
  it('keeps how long each ACK was held, and ignores chunks without an ACK', () => {
    const tap = new GatewayTap();
    tap.onChunk(Buffer.concat([frame({ kind: 'ACK', message_id: 'a1', causation_id: 'c1' }), frame({ kind: 'ACK', message_id: 'a2' })]), 100, 140);
    tap.onChunk(frame({ kind: 'HEARTBEAT', message_id: 'h1' }), 100, 120);
    // A second sighting (a retransmitted chunk) keeps the first.
    tap.onChunk(frame({ kind: 'ACK', message_id: 'a1' }), 200, 260);
    expect(tap.size).toBe(2);
    expect(tap.get('a1')).toEqual({ acceptedTrueMs: origin + 100, releasedTrueMs: origin + 140 });
    expect(tap.get('h1')).toBeUndefined();
  });

  it('gives gateway lines their hold as uplink delay, and leaves per-agent lines alone', () => {
    const tap = new GatewayTap();
    tap.onChunk(frame({ kind: 'ACK', message_id: 'a1' }), 100, 140);
    const lines: ObservedLine[] = [
      { agent_id: 'g', operation_id: 'op', ready_true_ms: origin + 99, ack_message_id: 'a1' },
      { agent_id: 'p', operation_id: 'op', ready_true_ms: origin + 99, ack_message_id: 'a9', uplink_delay_ms: 3 },
      { agent_id: 'u', operation_id: 'op', ready_true_ms: origin + 99, ack_message_id: 'unseen' },
    ];
    const [gateway, own, unseen] = withGatewayHolds(lines, tap);
    expect(gateway!.uplink_delay_ms).toBeCloseTo(40, 6);
    expect(gateway!.uplink_out_true_ms).toBeCloseTo(origin + 140, 6);
    expect(own).toBe(lines[1]);
    expect(unseen).toBe(lines[2]);
  });
});
