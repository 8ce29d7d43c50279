/**
 * Colours of the dashboard's charts: the Okabe-Ito palette (told apart by colour-blind readers),
 * keeping to its members that stay readable on the dark background (its dark blue and black do
 * not). Each release mode also has its own dash, so the lines differ without colour too.
 */
export const OKABE_ITO = { orange: '#E69F00', skyBlue: '#56B4E9', green: '#009E73', yellow: '#F0E442', vermillion: '#D55E00', purple: '#CC79A7' } as const;

/** Text and rules on the dark background (styles.css --text, --muted, --line). */
export const INK = { text: '#e6edf3', muted: '#9aa7b4', grid: '#2c343d' } as const;

export interface ModeStyle {
  readonly label: string;
  readonly colour: string;
  readonly dash: number[];
}

/** The API's release modes (shared ReleaseMode) as an operator reads them. */
const MODES: Readonly<Record<string, ModeStyle>> = {
  hold: { label: 'hold', colour: OKABE_ITO.skyBlue, dash: [] },
  lead: { label: 'timed send (lead)', colour: OKABE_ITO.orange, dash: [8, 4] },
  none: { label: 'naive (none)', colour: OKABE_ITO.purple, dash: [2, 3] },
};
const OTHERS = [OKABE_ITO.green, OKABE_ITO.yellow, OKABE_ITO.vermillion];

export function modeStyle(mode: string, index: number): ModeStyle {
  return MODES[mode] ?? { label: mode, colour: OTHERS[index % OTHERS.length]!, dash: [4, 2, 1, 2] };
}

/** Breaker states: green closed, yellow half-open, vermillion open. */
export const BREAKER_COLOURS: Readonly<Record<string, string>> = { closed: OKABE_ITO.green, 'half-open': OKABE_ITO.yellow, open: OKABE_ITO.vermillion };
