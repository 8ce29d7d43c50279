export { CSRF_HEADER, UI_SESSION_COOKIE, createWebUi, type WebUi, type WebUiDeps } from './web-ui.js';
