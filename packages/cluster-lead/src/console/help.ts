import type { Command } from './context.js';
import { DEFAULT_LEAD_URL } from './options.js';

export function helpText(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `Usage: mesh [options] <command> [arguments]

The MESH-30K operator console: talks to a cluster lead's management API.

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Options (any command):
  --lead URL       the lead's API (env MESH_LEAD_URL; default ${DEFAULT_LEAD_URL})
  --key FILE       operator private key file (env MESH_OPERATOR_KEY); needs --operator
  --operator ID    operator id the key belongs to (env MESH_OPERATOR_ID)
  --token TOKEN    a bearer token from \`mesh-lead api-token\` instead of a key (env MESH_TOKEN)
  --ca FILE        trust the lead's HTTPS certificate through this CA or certificate file
                   (env MESH_LEAD_CA; \`mesh-lead init\` writes api-tls/cert.pem)
  --fingerprint FP or pin the lead's certificate by its SHA-256 fingerprint (env
                   MESH_LEAD_FINGERPRINT; \`mesh-lead init\` prints it)
  --context NAME   a saved lead and its credentials (env MESH_CONTEXT; default: the current
                   one, see mesh context); flags and MESH_* variables win over it
  --json           print the lead's answer as JSON
  --timeout S      seconds to wait for each HTTP answer (default 10)
  --no-color       no colours (also: NO_COLOR set, or stdout not a terminal)
  -h, --help       this help, or a command's: mesh <command> --help

Exit status: 0 healthy / done, 1 degraded / refused / failed, 2 lead down or unreachable,
64 usage error, 77 authentication failed. See docs/console.md.
`;
}

export function commandHelp(command: Command): string {
  return `Usage: mesh ${command.usage}\n\n${command.summary}\n\nGlobal options: see mesh --help.\n`;
}
