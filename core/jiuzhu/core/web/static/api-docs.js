// The API docs UI (Swagger UI, vendored from the swagger-ui-py package: nothing is loaded
// from the internet). The schema comes from this server, for the signed-in user.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/schema/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
