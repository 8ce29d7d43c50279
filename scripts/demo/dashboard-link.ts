/**
 * The dashboard URL the demo prints, with a sign-in link for its local operator: a short-lived
 * token in the URL fragment, which the browser never sends to a server and the sign-in page
 * removes from the address bar once it has signed in.
 */
import { createApiToken } from '../../packages/cluster-lead/src/cli/operator-keys.js';

/** As long as a dashboard session may last anyway (the lead caps sessions at 12 h). */
const LINK_TTL = '12h';

export async function dashboardLink(leadUrl: string, operator: { id: string; keyFile: string }, now: number): Promise<{ url: string; signIn: string }> {
  const token = await createApiToken({ keyPath: operator.keyFile, id: operator.id, ttl: LINK_TTL, now });
  return { url: `${leadUrl}/ui/`, signIn: `${leadUrl}/ui/login#token=${token}` };
}
