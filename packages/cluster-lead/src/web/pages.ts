/**
 * The two HTML shells the dashboard serves: the sign-in page (the only page without a session)
 * and the app. Both load the same bundled script, which reads data-page to know which it is;
 * every piece of data comes afterwards through the API and the live feed, never in the HTML.
 */

/** Scripts and styles only from the lead itself: nothing from a CDN, nothing inline. */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

function shell(page: 'login' | 'app', title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<!-- No favicon request: /favicon.ico is an unauthenticated API request, which counts as a failed sign-in. -->
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/assets/app.css">
<script type="module" src="/ui/assets/app.js"></script>
</head>
<body data-page="${page}">
<noscript>The MESH-30K dashboard needs JavaScript.</noscript>
</body>
</html>
`;
}

export const LOGIN_PAGE = shell('login', 'MESH-30K · sign in');
export const APP_PAGE = shell('app', 'MESH-30K dashboard');
