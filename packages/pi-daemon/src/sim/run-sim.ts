import { writeFile } from 'node:fs/promises';
import { decodePublicKey } from '@mesh30k/shared';
import type { KeyResolver } from '@mesh30k/shared';
import { loadKeyPair, loadPublicKey, nodeEd25519 } from '@mesh30k/shared/node';
import type { Logger } from 'pino';
import { pinnedKeyResolver } from '../agent/lead-keys.js';
import type { SupervisorOptions } from '../nats/supervisor-options.js';
import { NatsSupervisor } from '../nats/supervisor.js';
import { ArrivalLog } from './arrival-tap.js';
import { issueEnrollments, type EnrollmentFile } from './enrollment.js';
import { SimFleet } from './fleet.js';
import type { SimSpecInput } from './spec.js';

export interface SimStartOptions {
  spec: SimSpecInput;
  servers: readonly string[];
  /** The lead's public key: base64url text, or the path of a public key file. */
  leadKey: string;
  logger: Logger;
  /** When given, enrollments of every virtual agent are signed with this root key pair file. */
  rootKeyPath?: string;
  supervisor?: Partial<SupervisorOptions>;
  /** Called with the enrollments before any agent starts (the CLI writes them to a file). */
  beforeStart?: (enrollments: EnrollmentFile | undefined) => Promise<void>;
  /** When given, every READY release's true instant is appended here (JSON lines; see arrival-tap.ts). */
  arrivalsOut?: string;
}

export interface RunningSim {
  fleet: SimFleet;
  supervisor: NatsSupervisor;
  /** Signed enrollments, when a root key was given. */
  enrollments: EnrollmentFile | undefined;
  stop(): Promise<void>;
}

async function leadPublicKey(text: string): Promise<Uint8Array> {
  return decodePublicKey(text) ?? (await loadPublicKey(text));
}

/**
 * Builds a simulated fleet on one shared NATS connection and starts it. The enrollments are
 * produced before the agents start, so whoever starts the lead can load them first.
 */
export async function startSim(options: SimStartOptions): Promise<RunningSim> {
  const key = await leadPublicKey(options.leadKey);
  const specLead = options.spec.lead_id;
  const leadKeys: KeyResolver = pinnedKeyResolver(new Map([[specLead, key]]));
  const supervisor = new NatsSupervisor(
    { servers: options.servers, name: `sim-${options.spec.id_prefix ?? 'sim'}`, noAsyncTraces: true, sharedRequestInbox: true, ...options.supervisor },
    { logger: options.logger.child({ domain: 'nats' }) },
  );
  const arrivals = options.arrivalsOut === undefined ? undefined : new ArrivalLog(options.arrivalsOut);
  const fleet = await SimFleet.create(options.spec, {
    bus: supervisor,
    leadKeys,
    logger: options.logger,
    ...(arrivals === undefined ? {} : { onArrival: (record) => arrivals.write(record) }),
  });
  let enrollments: EnrollmentFile | undefined;
  if (options.rootKeyPath !== undefined) {
    const root = await loadKeyPair(options.rootKeyPath);
    enrollments = await issueEnrollments({ signer: nodeEd25519.signerSync(root.privateKey), publicKey: root.publicKey }, fleet.enrollmentSubjects(), {
      issuedAt: Date.now(),
    });
  }
  await options.beforeStart?.(enrollments);
  supervisor.start();
  fleet.start();
  return {
    fleet,
    supervisor,
    enrollments,
    async stop() {
      await fleet.stop();
      await supervisor.stop();
      await arrivals?.close();
    },
  };
}

export async function writeEnrollments(path: string, file: EnrollmentFile): Promise<void> {
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o644 });
}
