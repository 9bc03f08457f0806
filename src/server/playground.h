// GET /: a self-contained page (no external scripts, styles or fonts) to try the API from a
// browser: upload a photo, call /api/analysis-future-shape and /api/person-mask with the user's
// keys, compare before and after with a draggable divider, overlay the person mask.
// Checked in headless Chromium by tests/e2e_playground_test.js.
#pragma once

#include <string_view>

namespace bodyshape::server {

std::string_view playground_html();

}  // namespace bodyshape::server
