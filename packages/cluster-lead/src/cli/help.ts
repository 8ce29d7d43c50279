import { ENV_PREFIX, LeadConfigSchema, envKeys } from '../config/index.js';
import { NATS_USER_USAGE } from './nats-user.js';

/** --help: commands, options, and every environment override (derived from the config schema). */
export function helpText(): string {
  const variables = envKeys(LeadConfigSchema)
    .map((key) => `  ${key.variable.padEnd(42)} ${key.path.join('.')}${key.kind === 'list' ? ' (comma-separated)' : ''}`)
    .join('\n');
  return `mesh-lead: the MESH-30K cluster lead

Usage:
  mesh-lead run --config <lead.json>
      Run the lead: registry, heartbeat ingest, HTTP API. SIGTERM stops it cleanly
      (snapshot flushed, exit 0); SIGHUP re-reads the enrollment files.
  mesh-lead enroll --root-key <root.key> --request <request.json|-> [--out <file>]
                   [--expires-days N] [--class A-F] [--capabilities a,b] [--cluster id]
                   [--sector id] [--role agent|lead|operator]
      Verify an agent's signed enrollment request and sign its enrollment with a mesh
      root key; prints the signed enrollment (or writes it to --out).
  mesh-lead operator-key --out <file> [--id <id>] [--role operator|read]
      Generate a management API key pair for an operator; prints the api.operators entry.
  mesh-lead api-token --key <file> --id <id> [--role operator|read] --ttl <15m|12h|7d>
      Print a bearer token (Authorization: Bearer ...) signed with an operator key.
${NATS_USER_USAGE}  mesh-lead --help

Exit status: 0 ok, 64 usage, 65 bad enrollment request, 78 bad configuration, 1 failure.

Configuration: a JSON file (--config, or ${ENV_PREFIX}CONFIG), then environment overrides:
${variables}
`;
}
