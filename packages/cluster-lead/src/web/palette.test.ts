/**
 * Readable in a dark room: every text colour of the dashboard's palette (styles.css :root)
 * against every background it is drawn on has a WCAG 2 contrast ratio of at least 4.5:1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CSS = readFileSync(join(import.meta.dirname, '..', '..', 'web', 'src', 'styles.css'), 'utf8');
const TEXT = ['--text', '--muted', '--accent', '--ok', '--warn', '--bad'];
const BACKGROUNDS = ['--bg', '--card'];
/** Buttons and inputs paint their own backgrounds (styles.css button, input). */
const CONTROL_BACKGROUNDS = ['#21262d', '#0b0e12'];

function variable(name: string): string {
  const match = new RegExp(`${name}:\\s*(#[0-9a-fA-F]{6})`).exec(CSS);
  if (match?.[1] === undefined) throw new Error(`styles.css has no ${name}`);
  return match[1];
}

function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe('the dashboard palette', () => {
  it('computes WCAG contrast as the standard defines it', () => {
    expect(contrast('#ffffff', '#000000')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  it('keeps every text colour at 4.5:1 or more on every background', () => {
    const failures: string[] = [];
    for (const text of TEXT) {
      for (const background of [...BACKGROUNDS.map(variable), ...CONTROL_BACKGROUNDS]) {
        const ratio = contrast(variable(text), background);
        if (ratio < 4.5) failures.push(`${text} ${variable(text)} on ${background}: ${ratio.toFixed(2)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
