/**
 * `npm start` leaves the console pointed at its root lead: a `demo` context (mesh context) with
 * a copy of the operator key beside the contexts file, so `npx mesh status` just works while
 * the demo runs. An operator's own current context is never replaced.
 */
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { contextsPath, readContexts, writeContexts } from '../../packages/cluster-lead/src/console/contexts.js';

export const DEMO_CONTEXT = 'demo';

/** Returns the command to try next, or undefined when there is no home to keep contexts in. */
export async function writeDemoContext(env: NodeJS.ProcessEnv, leadUrl: string, operator: { id: string; keyFile: string }): Promise<string | undefined> {
  const path = contextsPath(env);
  if (path === undefined) return undefined;
  const key = join(dirname(path), 'demo-operator.key');
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await copyFile(operator.keyFile, key);
  await chmod(key, 0o600);
  const file = readContexts(env);
  file.contexts[DEMO_CONTEXT] = { lead: leadUrl, operator: operator.id, key, description: 'npm start (the demo\'s root lead)' };
  if (file.current === undefined || file.current === DEMO_CONTEXT) file.current = DEMO_CONTEXT;
  writeContexts(env, file);
  return file.current === DEMO_CONTEXT ? 'npx mesh status' : `npx mesh status --context ${DEMO_CONTEXT}`;
}
