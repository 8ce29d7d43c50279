export * from './api-auth.js';
