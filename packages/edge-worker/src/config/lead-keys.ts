import { Id, PUBLIC_KEY_LENGTH, fromBase64Url, isValidPublicKey, type PublicKeyBytes } from '@mesh30k/shared';

/**
 * Parses LEAD_PUBLIC_KEYS: `lead_id=base64url` entries separated by commas. A lead id may
 * appear twice while a key rotation overlaps; the first key listed is tried first.
 * Returns the keys per lead, or the reason the text is unusable (never echoing key material).
 */
export function parseLeadKeys(text: string): { ok: true; value: ReadonlyMap<string, readonly PublicKeyBytes[]> } | { ok: false; reason: string } {
  const keys = new Map<string, PublicKeyBytes[]>();
  const entries = text.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  if (entries.length === 0) return { ok: false, reason: 'no lead keys; expected lead_id=base64url[,lead_id=base64url...]' };
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf('=');
    const leadId = entry.slice(0, separator);
    if (separator <= 0 || !Id.safeParse(leadId).success) {
      return { ok: false, reason: `entry ${index + 1} does not start with a lead id and '='` };
    }
    const key = decodeKey(entry.slice(separator + 1));
    if (!key) return { ok: false, reason: `entry ${index + 1} (${leadId}) is not a ${PUBLIC_KEY_LENGTH}-byte Ed25519 public key in base64url` };
    const list = keys.get(leadId) ?? [];
    list.push(key);
    keys.set(leadId, list);
  }
  return { ok: true, value: keys };
}

function decodeKey(text: string): PublicKeyBytes | undefined {
  try {
    const bytes = fromBase64Url(text.trim());
    return bytes.byteLength === PUBLIC_KEY_LENGTH && isValidPublicKey(bytes) ? bytes : undefined;
  } catch {
    return undefined;
  }
}
