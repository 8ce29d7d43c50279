import { describe, expect, it } from 'vitest';
import { parseLeadKeys } from './lead-keys.js';

const KEY_A = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo';
const KEY_B = 'PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw';

describe('parseLeadKeys', () => {
  it('reads several leads, and two keys for one lead during a rotation, in order', () => {
    const parsed = parseLeadKeys(` lead-1=${KEY_A}, lead-2=${KEY_B},lead-1=${KEY_B} `);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.get('lead-1')?.length).toBe(2);
    expect(parsed.value.get('lead-2')?.length).toBe(1);
  });

  it('refuses empty text, entries without an id, bad ids and bad keys', () => {
    expect(parseLeadKeys(' , ').ok).toBe(false);
    expect(parseLeadKeys(KEY_A).ok).toBe(false);
    expect(parseLeadKeys(`lead.1=${KEY_A}`).ok).toBe(false);
    expect(parseLeadKeys('lead-1=AAAA').ok).toBe(false);
    // 32 zero bytes: the right length, but not a usable public key (small order).
    expect(parseLeadKeys(`lead-1=${'A'.repeat(43)}`).ok).toBe(false);
  });
});
