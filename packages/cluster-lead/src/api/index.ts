export { READY_RETRY_AFTER_S, createApi, type ApiDeps, type LeadStatusBody, type MeshStatusBox, type ReadinessCheck } from './app.js';
export { OperationBody, operationJson, toEngineRequest, type OperationsApi } from './operations-routes.js';
export { FreezeBody, breakerJson, type ControlApi } from './control-routes.js';
export { ApiError, PROBLEM_CONTENT_TYPE, problemResponse, type ApiErrorCode } from './problem.js';
export { startApiServer, type ApiServer } from './server.js';
