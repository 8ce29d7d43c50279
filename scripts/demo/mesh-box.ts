// The spec's status box for the whole tree. The root serves no agents itself, so its own box
// would say 0/0: agents, sectors, impedance and conflicts are summed over every lead's box
// (GET /v1/status `mesh`), the last cascade is the root's. The box counts sector breakers
// only; cluster breakers that are not closed are listed too, since they explain why a
// cascade reaches fewer agents.
import type { MeshStatusBox } from '../../packages/cluster-lead/src/api/response-schemas.js';
import type { LeadHandle } from '../../test/harness/index.js';

type LeadBox = MeshStatusBox;

/** GET /v1/breakers, one entry (the fields shown). */
interface BreakerJson {
  scope: string;
  target_id: string;
  state: string;
  metrics_only: boolean;
}

export interface MeshBox {
  agentsActive: number;
  agentsTotal: number;
  sectorsHealthy: number;
  sectorsTotal: number;
  meanImpedance: number | null;
  conflictsLastHour: number;
  /** Each lead that serves agents, with its mode. */
  modes: string;
  frozen: boolean;
  lastCascade: LeadBox['last_cascade'];
  /** Breakers not closed (scope:target state), on every lead. */
  breakers: string[];
  /** Leads that did not answer this time. */
  unreachable: string[];
}

export async function readMeshBox(leads: readonly LeadHandle[]): Promise<MeshBox> {
  const boxes = await Promise.all(
    leads.map(async (lead) => ({
      lead,
      box: (await lead.api.getOk<{ mesh: LeadBox }>('/v1/status'))?.mesh,
      breakers: (await lead.api.getOk<{ breakers: BreakerJson[] }>('/v1/breakers'))?.breakers ?? [],
    })),
  );
  const box: MeshBox = { agentsActive: 0, agentsTotal: 0, sectorsHealthy: 0, sectorsTotal: 0, meanImpedance: null, conflictsLastHour: 0, modes: '', frozen: false, lastCascade: null, breakers: [], unreachable: [] };
  let impedanceSum = 0;
  const modes: string[] = [];
  for (const [i, { lead, box: b, breakers }] of boxes.entries()) {
    for (const breaker of breakers) if (breaker.state !== 'closed' && !breaker.metrics_only) box.breakers.push(`${breaker.scope} ${breaker.target_id} ${breaker.state}`);
    if (b === undefined) {
      box.unreachable.push(lead.leadId);
      continue;
    }
    if (i === 0) box.lastCascade = b.last_cascade;
    box.agentsActive += b.agents_active;
    box.agentsTotal += b.agents_total;
    box.sectorsHealthy += b.sectors_healthy;
    box.sectorsTotal += b.sectors_total;
    box.conflictsLastHour += b.conflicts_last_hour;
    box.frozen ||= b.frozen;
    // The mean is over routable agents; weighting by active agents is close enough for a box.
    if (b.mean_impedance !== null) impedanceSum += b.mean_impedance * b.agents_active;
    if (b.agents_total > 0) modes.push(`${lead.leadId.replace(/^lead-/, '')} ${b.mode}`);
  }
  box.meanImpedance = box.agentsActive === 0 ? null : impedanceSum / box.agentsActive;
  box.modes = modes.join(', ');
  return box;
}
