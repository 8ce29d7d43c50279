export { SensorIntake, SENSOR_QUEUE_GROUP, type SensorIntakeDeps, type SensorIntakeStats } from './sensor-intake.js';
