/** Entry of the dashboard bundle: the sign-in page or the app, as the served shell says. */
import { renderApp } from './app.js';
import { renderLogin } from './login.js';

const root = document.createElement('div');
root.id = 'root';
document.body.append(root);
if (document.body.dataset.page === 'login') renderLogin(root);
else
  renderApp(root).catch((problem: unknown) => {
    root.textContent = `The dashboard could not start: ${problem instanceof Error ? problem.message : String(problem)}`;
  });
