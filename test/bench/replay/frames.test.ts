import { describe, expect, it } from 'vitest';
import { Heartbeat, checkSessionTag, verifyAndParse, ok, err } from '@mesh30k/shared';
import { nodeEd25519, nodeHmacSha256 } from '@mesh30k/shared/node';
import { checkSequence, advance, type SequenceState } from '../../../packages/cluster-lead/src/ingest/heartbeat-sequence.js';
import { createReplayFleet, signPlan } from './frames.js';
import { planBeats } from './schedule.js';

describe('replayed frames', () => {
  it('verify under each agent key, parse as heartbeats, and pass the lead sequence rule in plan order', async () => {
    const fleet = await createReplayFleet(3, 'cluster-r');
    const checked = new Set<number>();
    // Two plans back to back, as two steps of the bench: the sequence carries over.
    const frames = [...(await signPlan(fleet, planBeats(3, 1_000, 1_000_000, 2_000), checked)), ...(await signPlan(fleet, planBeats(3, 1_000, 1_002_000, 1_000), checked))];
    expect(frames).toHaveLength(9);
    const last = new Map<string, SequenceState>();
    for (const frame of frames) {
      const verified = await verifyAndParse(
        { body: frame.body, signerId: frame.signerId, signature: frame.signature },
        { ed25519: nodeEd25519, accept: ['HEARTBEAT'], resolveKey: (id) => {
          const agent = fleet.agents.find((a) => a.agentId === id);
          return agent === undefined ? err({ code: 'UNKNOWN_SIGNER', message: id }) : ok(agent.publicKey);
        } },
      );
      expect(verified.ok).toBe(true);
      const heartbeat = Heartbeat.parse(verified.ok ? verified.value.message : undefined);
      expect(heartbeat.created_at).toBe(frame.at);
      const before = last.get(heartbeat.agent_id);
      expect(checkSequence(before, heartbeat, { now: frame.at, ttlMs: 10_000, skewMs: 2_000 }).ok).toBe(true);
      last.set(heartbeat.agent_id, advance(before, heartbeat));
    }
  });

  it('in session mode carry a tag under the agent\'s session key instead of a signature', async () => {
    const fleet = await createReplayFleet(2, 'cluster-r');
    const sessions = [0, 1].map((i) => ({ id: `s-${i}`, agentToLead: new Uint8Array(32).fill(i + 1) }));
    const frames = await signPlan(fleet, planBeats(2, 1_000, 1_000_000, 2_000), new Set(), sessions);
    expect(frames).toHaveLength(4);
    for (const frame of frames) {
      const session = sessions[frame.agent]!;
      expect(frame.session).toBe(session.id);
      expect(frame.signature).toBeUndefined();
      expect(await checkSessionTag(nodeHmacSha256, session.agentToLead, session.id, undefined, frame.body, frame.tag!)).toBe(true);
      expect(await checkSessionTag(nodeHmacSha256, sessions[1 - frame.agent]!.agentToLead, session.id, undefined, frame.body, frame.tag!)).toBe(false);
      expect(Heartbeat.parse(JSON.parse(new TextDecoder().decode(frame.body))).agent_id).toBe(fleet.agents[frame.agent]!.agentId);
    }
  });
});
