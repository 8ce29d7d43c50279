// What the HA demo shows of each lead process: its role as read off its own log lines.
export type HaRole = 'starting' | 'standby' | 'active' | 'exited';

export interface HaLeadView {
  readonly name: string;
  readonly role: HaRole;
  /** The lease epoch while active. */
  readonly epoch: number | null;
  readonly exitCode: number | null;
}

/** A lead's role from its log lines so far (last word wins) and whether its process has ended. */
export function roleOf(name: string, lines: ReadonlyArray<Record<string, unknown>>, exited: { code: number | null; signal: string | null } | null): HaLeadView {
  if (exited !== null) return { name, role: 'exited', epoch: null, exitCode: exited.code };
  let role: HaRole = 'starting';
  let epoch: number | null = null;
  for (const line of lines) {
    if (line.msg === 'standing by for the lease') role = 'standby';
    if (line.msg === 'lease acquired') {
      role = 'active';
      epoch = typeof line.epoch === 'number' ? line.epoch : null;
    }
  }
  return { name, role, epoch, exitCode: null };
}

/** One terminal line for the leads of the cluster. */
export function rolesLine(views: readonly HaLeadView[]): string {
  return views
    .map((view) => {
      switch (view.role) {
        case 'active':
          return `${view.name}: ACTIVE (lease epoch ${view.epoch ?? '?'})`;
        case 'exited':
          return `${view.name}: gone (exit ${view.exitCode ?? 'by signal'})`;
        case 'standby':
        case 'starting':
          return `${view.name}: ${view.role}`;
      }
    })
    .join('   ');
}
