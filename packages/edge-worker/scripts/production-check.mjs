// Is wrangler.jsonc's production environment deployable? `wrangler deploy --dry-run` bundles a
// config with example routes and no secrets happily; a real deploy would then serve on someone
// else's host, or start a Worker without its key. This check names each such field. Pure (no
// I/O): check-deploy.mjs reads the files and decides what to do with the answer.

/** Hosts that are documentation or test names (RFC 2606/6761), or a value left to fill in. */
const PLACEHOLDER_HOST = /(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$/i;
const PLACEHOLDER_TEXT = /REPLACE|CHANGE[-_ ]?ME|TODO|<[^>]*>/i;

/** wrangler.jsonc as JSON: comments and trailing commas removed, strings left alone. */
export function parseJsonc(text) {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[(i += 1)] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i += 1;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (c === ',' && /^\s*[}\]]/.test(text.slice(i + 1))) {
      // A trailing comma: JSONC allows it, JSON does not.
    } else {
      out += c;
    }
  }
  return JSON.parse(out);
}

/** A secrets file as `wrangler deploy --secrets-file` takes it: a JSON object, or KEY=VALUE lines. */
export function parseSecretsFile(text) {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return JSON.parse(trimmed);
  const values = {};
  for (const line of trimmed.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match === null || line.trimStart().startsWith('#')) continue;
    values[match[1]] = match[2].replace(/^(["'])(.*)\1$/, '$2');
  }
  return values;
}

function routeEntries(section, prefix) {
  const entries = [];
  if (section.route !== undefined) entries.push([`${prefix}.route`, section.route]);
  (section.routes ?? []).forEach((route, i) => entries.push([`${prefix}.routes[${i}]`, route]));
  return entries;
}

/**
 * Problems of one environment. `secrets`: the values a deploy would upload (a parsed secrets
 * file), or undefined when none is given. `allowPlaceholders`: example routes and a missing
 * secrets file become notes (the repository's own config, checked in CI), not errors.
 * Returns { errors: string[], notes: string[] }, each naming the field.
 */
export function productionProblems(config, { envName = 'production', secrets, allowPlaceholders = false } = {}) {
  const errors = [];
  const notes = [];
  const soft = (message) => (allowPlaceholders ? notes : errors).push(message);
  const prefix = `env.${envName}`;
  const section = config.env?.[envName];
  if (section === undefined) return { errors: [`${prefix}: no such environment in wrangler.jsonc`], notes };

  // Secrets are not inherited by environments: each must declare what the Worker needs.
  const needed = config.secrets?.required ?? [];
  const declared = section.secrets?.required ?? [];
  for (const name of needed) {
    if (!declared.includes(name)) errors.push(`${prefix}.secrets.required: lacks "${name}" (the top level requires it; environments do not inherit secrets)`);
  }
  for (const name of declared) {
    if (secrets === undefined) soft(`${prefix}.secrets.required: "${name}" is not checked: give the deploy's --secrets-file`);
    else if (typeof secrets[name] !== 'string' || secrets[name].trim() === '') errors.push(`${prefix}.secrets.required: "${name}" is missing or empty in the secrets file`);
    else if (PLACEHOLDER_TEXT.test(secrets[name])) errors.push(`${prefix}.secrets.required: "${name}" in the secrets file is a placeholder`);
  }

  const routes = routeEntries(section, prefix);
  if (routes.length === 0 && section.workers_dev !== true) errors.push(`${prefix}.routes: none, and workers_dev is off: the Worker would be reachable nowhere`);
  for (const [field, route] of routes) {
    const pattern = typeof route === 'string' ? route : route.pattern;
    const host = String(pattern ?? '').replace(/^[a-z]+:\/\//i, '').split('/')[0].replace(/:\d+$/, '').replace(/^\*\.?/, '');
    if (PLACEHOLDER_HOST.test(host) || PLACEHOLDER_TEXT.test(String(pattern))) soft(`${field}.pattern: "${pattern}" is a placeholder host`);
    const zone = typeof route === 'object' ? route.zone_name : undefined;
    if (zone !== undefined && (PLACEHOLDER_HOST.test(zone) || PLACEHOLDER_TEXT.test(zone))) soft(`${field}.zone_name: "${zone}" is a placeholder zone`);
  }
  return { errors, notes };
}
