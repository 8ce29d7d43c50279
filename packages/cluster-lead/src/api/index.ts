export { READY_RETRY_AFTER_S, createApi, type ApiDeps, type LeadStatusBody, type ReadinessCheck } from './app.js';
export { ApiError, PROBLEM_CONTENT_TYPE, problemResponse, type ApiErrorCode } from './problem.js';
export { startApiServer, type ApiServer } from './server.js';
