// The documentation page's start-up, served as a file of its own so that the page's
// Content-Security-Policy can forbid inline scripts. The token typed into "Authorize" stays in
// this page's memory only (persistAuthorization off): never in the API origin's localStorage,
// where any script of that origin could read it.
// "Try it out" calls this very deployment: the server is the folder the page was served from, so
// API Gateway's stage prefix is kept (`/dev/docs` calls `/dev/v1/...`), and locally the server.
const here = new URL(".", window.location.href).href.replace(/\/$/, "");
fetch("openapi.json")
  .then((response) => response.json())
  .then((spec) => {
    spec.servers = [{ url: here, description: "This deployment" }];
    window.ui = SwaggerUIBundle({
      spec,
      dom_id: "#swagger-ui",
      deepLinking: true,
      tryItOutEnabled: true,
      persistAuthorization: false,
      displayRequestDuration: true,
    });
  })
  .catch((error) => {
    document.getElementById("swagger-ui").textContent = "Could not load openapi.json: " + error;
  });
