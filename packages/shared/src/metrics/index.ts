export { Histogram, MetricsText, PROMETHEUS_CONTENT_TYPE, labelValue, type Labels, type MetricType } from './prometheus-text.js';
