// GET /openapi.json: the OpenAPI 3.1 description of every route in kRouteTable
// (server/http_server.h), with every field, extension and error case and examples of each.
#pragma once

#include <string>

namespace bodyshape::server {

// The document as JSON text, with info.version = the build's version (the server builds it once).
std::string openapi_json();

}  // namespace bodyshape::server
