export * from './link-model.js';
