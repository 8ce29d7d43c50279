export { READY_RETRY_AFTER_S, createApi, type ApiDeps, type LeadStatusBody, type MeshStatusBox, type ReadinessCheck } from './app.js';
export { OperationBody, operationJson, toEngineRequest, type OperationsApi } from './operations-routes.js';
export { FreezeBody, breakerJson, type ControlApi } from './control-routes.js';
export { ApiError, PROBLEM_CONTENT_TYPE, problemResponse, type ApiErrorCode } from './problem.js';
export { startApiServer, type ApiServer } from './server.js';
export { CascadeBody, cascadeJson, toCascadeRequest, type CascadesApi, type CascadeSubmitOutcome, type CascadeViewJson } from './cascade-routes.js';
export { edgeRoutes, type EdgeAgentJson, type EdgeAgentsApi, type EdgeRegisterOutcome } from './edge-routes.js';
