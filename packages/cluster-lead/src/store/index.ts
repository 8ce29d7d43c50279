import { AgentSnapshotStore } from './agent-snapshots.js';
import { CascadeChildren } from './cascade-children.js';
import { ConflictLog } from './conflict-log.js';
import { openDatabase, type Db, type OpenOptions } from './database.js';
import { DeadLetters } from './dead-letters.js';
import { EnrollmentStore } from './enrollment-store.js';
import { LeadStateStore } from './lead-state.js';
import { OperationsHistory } from './operations-history.js';
import { QuarantineStore } from './quarantine-store.js';
import { RunningOperations } from './running-operations.js';
import { SensorReadings } from './sensor-readings.js';

export { AgentSnapshotStore, type LoadedAgents } from './agent-snapshots.js';
export { CascadeChildren, type StoredChildLead } from './cascade-children.js';
export { ConflictLog, type ConflictEntry, type ConflictQuery, type StoredConflict } from './conflict-log.js';
export { DATABASE_FILE, databasePath, migrate, openDatabase, type Db, type OpenOptions } from './database.js';
export { damagedError, recoverDatabase, type RecoveryOutcome } from './integrity.js';
export { DeadLetters, type DeadLetter, type DeadLetterObserver, type DeadLetterQuery, type DeadLetterRetention } from './dead-letters.js';
export { EnrollmentStore, type StoredEnrollment } from './enrollment-store.js';
export { LeadStateStore, type StateListener } from './lead-state.js';
export { MIGRATIONS } from './migrations.js';
export { OperationsHistory, type OperationRecord } from './operations-history.js';
export { AckWriteBatch, RunningOperations, type StoredAck, type StoredRunningOperation } from './running-operations.js';
export { QuarantineStore, type QuarantineStatus, type QuarantinedItem } from './quarantine-store.js';
export { DEFAULT_HISTORY_PER_SENSOR, SensorReadings, type SensorReadingRow, type StoredReading } from './sensor-readings.js';
export { SnapshotWriter, type SnapshotHealth, type SnapshotWriterDeps, type SnapshotWriterOptions } from './snapshot-writer.js';

/** Bounds of what the store keeps (the lead config's sensors section). */
export interface StoreOptions {
  /** Readings kept per (agent, sensor); the default when absent. */
  sensorHistoryPerSensor?: number;
}

/** Everything the lead keeps in its one SQLite database. */
export class LeadStore {
  readonly agents: AgentSnapshotStore;
  readonly conflicts: ConflictLog;
  readonly quarantine: QuarantineStore;
  readonly operations: OperationsHistory;
  /** Operations in flight and their ACKs so far, for resuming after a crash. */
  readonly running: RunningOperations;
  /** A parent lead's child leads (cascade). */
  readonly cascadeChildren: CascadeChildren;
  readonly deadLetters: DeadLetters;
  readonly enrollments: EnrollmentStore;
  readonly state: LeadStateStore;
  readonly sensors: SensorReadings;

  private constructor(
    readonly db: Db,
    options: StoreOptions,
  ) {
    this.agents = new AgentSnapshotStore(db);
    this.conflicts = new ConflictLog(db);
    this.quarantine = new QuarantineStore(db);
    this.operations = new OperationsHistory(db);
    this.running = new RunningOperations(db);
    this.cascadeChildren = new CascadeChildren(db);
    this.deadLetters = new DeadLetters(db);
    this.enrollments = new EnrollmentStore(db);
    this.state = new LeadStateStore(db);
    this.sensors = new SensorReadings(db, options.sensorHistoryPerSensor);
  }

  static open(dataDir: string, options: OpenOptions & StoreOptions): LeadStore {
    return new LeadStore(openDatabase(dataDir, options), options);
  }

  /** True when a write transaction can be started now (for readiness). Never throws. */
  writable(): boolean {
    if (!this.db.open || this.db.readonly) return false;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      this.db.exec('ROLLBACK');
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
