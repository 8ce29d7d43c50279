/**
 * Fake libgpiod 2.x tools for tests: small executables written into a temp dir. gpioget prints
 * the level kept in <dir>/level-<line>; gpioset appends its arguments to <dir>/set.log and
 * updates the level; gpiomon prints every line appended to <dir>/events (the test "presses the
 * button" by appending "1 17"). With `denied`, every tool fails as a refused /dev/gpiochip0 does.
 */
import { appendFileSync, chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeGpioTools {
  dir: string;
  /** Appends one gpiomon line ("1 17": rising edge on line 17). */
  edge(line: number, level: boolean): void;
  setLevel(line: number, level: boolean): void;
  setLog(): string;
}

export function writeFakeGpioTools(dir: string, options: { denied?: boolean } = {}): FakeGpioTools {
  const deny = options.denied === true ? `echo "gpioget: unable to request lines on chip '/dev/gpiochip0': Permission denied" >&2; exit 1\n` : '';
  const script = (name: string, body: string): void => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\nD='${dir}'\n[ "$1" = "--version" ] && { echo "${name} (libgpiod) v2.1.3"; exit 0; }\n${deny}${body}`);
    chmodSync(path, 0o755);
  };
  writeFileSync(join(dir, 'events'), '');
  writeFileSync(join(dir, 'set.log'), '');
  // The line is the last argument; a level file may be missing (reads as 0).
  script('gpioget', 'for a in "$@"; do L="$a"; done\ncat "$D/level-$L" 2>/dev/null || echo 0\n');
  script('gpioset', 'echo "$*" >> "$D/set.log"\nfor a in "$@"; do S="$a"; done\necho "${S#*=}" > "$D/level-${S%=*}"\n');
  script('gpiomon', 'exec tail -n +1 -f "$D/events"\n');
  return {
    dir,
    edge: (line, level) => appendFileSync(join(dir, 'events'), `${level ? 1 : 2} ${line}\n`),
    setLevel: (line, level) => writeFileSync(join(dir, `level-${line}`), level ? '1\n' : '0\n'),
    setLog: () => readText(join(dir, 'set.log')),
  };
}

const readText = (path: string): string => readFileSync(path, 'utf8');
