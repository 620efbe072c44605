// docs.js draws openapi.json with the vendored Swagger UI. The page fetches
// the document itself, rather than handing Swagger UI its URL, to point
// "Try it out" at the origin and path prefix this page was loaded from:
// the document names no server, so that it holds wherever the service is
// mounted.
'use strict';

(async () => {
  const fail = (msg) => {
    const p = document.getElementById('docs-error');
    p.textContent = msg;
    p.hidden = false;
  };
  let spec;
  try {
    const resp = await fetch('openapi.json', { headers: { Accept: 'application/json' } });
    if (!resp.ok) throw new Error(`openapi.json: HTTP ${resp.status}`);
    spec = await resp.json();
  } catch (err) {
    fail(`Could not load the API description: ${err.message}`);
    return;
  }
  spec.servers = [{ url: new URL('.', location.href).href.replace(/\/$/, ''), description: 'this service' }];
  window.ui = window.SwaggerUIBundle({
    spec,
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null, // the default sends the document to a public validator
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    defaultModelsExpandDepth: 0,
    supportedSubmitMethods: ['get'],
  });
})();
