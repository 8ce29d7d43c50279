import { ENV_PREFIX, LEAD_ENV_BINDINGS } from '../config/index.js';
import { NATS_USER_USAGE } from './nats-user.js';

/** --help: commands, options, and every environment override (derived from the config schema). */
export function helpText(): string {
  const variables = LEAD_ENV_BINDINGS.map(
    (binding) => `  ${binding.name.padEnd(42)} ${binding.path.join('.')}${binding.kind === 'list' ? ' (comma-separated)' : binding.kind === 'json' ? ' (JSON)' : ''}`,
  )
    .join('\n');
  return `mesh-lead: the MESH-30K cluster lead

Usage:
  mesh-lead run --config <lead.json>
      Run the lead: registry, heartbeat ingest, HTTP API. SIGTERM stops it cleanly
      (snapshot flushed, exit 0); SIGHUP re-reads the enrollment files. A damaged
      database is refused at start (exit 65); see recover-db.
  mesh-lead recover-db --config <lead.json>
      Check the database as a start would; if it is damaged, move it (and its WAL)
      aside as lead.db.corrupt-<time>, so the next start begins with an empty
      registry. A healthy database is left alone. Stop the lead first.
  mesh-lead init <dir> [--lead-id id] [--cluster id] [--operator id] [--http host:port]
                 [--nats host:port] [--leaf-port N] [--tls-cert F --tls-key F] [--tls-ca F]
                 [--api-cert F --api-key F | --api-names a,b | --plain-http]
                 [--data-dir <dir>] [--root-key-out <file>] [--force]
      Create a lead host's files in <dir> (mode 0700, files 0600): the mesh root key, the
      lead's key and root-signed enrollment, an operator key, lead.json, the lead's NATS
      login (lead-nats.nk) and the secured broker config in <dir>/nats (nats-server.conf
      from fleet.json: nkeys, subject permissions, TLS and leaf nodes when given; add
      agents with nats-user --dir <dir>/nats); prints the public keys and the next
      commands. Refuses to replace any file without --force. --root-key-out keeps the root
      key off the lead. The API serves HTTPS: with --api-cert/--api-key, or a self-signed
      certificate made with openssl in <dir>/api-tls for the --http host, localhost, this
      host's name and --api-names (its fingerprint is printed); --plain-http instead allows
      plain HTTP on a loopback --http host only.
  mesh-lead enroll --root-key <root.key> --request <request.json|-> [--out <file>]
                   [--expires-days N] [--class A-F] [--capabilities a,b] [--cluster id]
                   [--sector id] [--role agent|lead|operator]
      Verify an agent's signed enrollment request (the signed request, or all that
      \`mesh-agent keygen\` prints) and sign its enrollment with a mesh root key; prints
      the signed enrollment (or writes it to --out).
  mesh-lead operator-key --out <file> [--id <id>] [--role operator|read]
      Generate a management API key pair for an operator; prints the api.operators entry.
  mesh-lead api-token --key <file> --id <id> [--role operator|read] --ttl <15m|12h|7d>
      Print a bearer token (Authorization: Bearer ...) signed with an operator key.
${NATS_USER_USAGE}  mesh-lead --help
  mesh-lead --version

Exit status: 0 ok, 64 usage, 65 bad enrollment request or damaged database, 75 HTTP port
in use, 78 bad configuration, 1 failure (or a stop that failed or passed shutdown.timeout_ms).

Configuration: a JSON file (--config, or ${ENV_PREFIX}CONFIG), then environment overrides:
${variables}
`;
}
