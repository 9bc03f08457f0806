#include "server/openapi.h"

#include <nlohmann/json.hpp>

namespace bodyshape::server {
namespace {

// Kept as JSON text so it reads like the document clients see; parsed once (a typo is a test
// failure in tests/e2e_ops_test.cpp, not a silent bad document).
constexpr const char* kDocument = R"json({
  "openapi": "3.1.0",
  "info": {
    "title": "bodyshape",
    "summary": "Predicts a person's photo slimmer or fatter, and person masks for images.",
    "description": "Re-implementation of the analysis-future-shape and segmentation-v2 APIs (../shared/spec/CONTRACT.md). Errors of /api/analysis-future-shape and /api/person-mask are {\"state\": false, \"message\": ...}; the contract's literal messages are \"wrong image\" and \"keypoint inference error\", with a `detail` giving the precise reason. Limits: body_limit_bytes (413), max_pixels (\"wrong image\"), rate limits (429), a bounded inference queue (503).",
    "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
    "version": "0"
  },
  "paths": {
    "/api/analysis-future-shape": {
      "post": {
        "operationId": "analysisFutureShape",
        "summary": "The same person after losing (best) or gaining (worst) weight",
        "description": "Decodes the photo (honouring EXIF orientation), finds the largest person's body landmarks and mask, and reshapes the body; anyone else's face, hands and feet are kept as they are. The result has the photo's upright size.",
        "requestBody": {
          "required": true,
          "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/FutureShapeRequest"},
            "examples": {
              "contract": {"summary": "The contract's fields only", "value": {"Email": "you@example.com", "UserKey": "3f9c...", "APIKey": "a71e...", "base64Image": "/9j/4AAQSkZJRgABAQ...", "requestMessage": "best", "gender": "female"}},
              "extensions": {"summary": "With the optional extensions", "value": {"Email": "you@example.com", "UserKey": "3f9c...", "APIKey": "a71e...", "base64Image": "/9j/4AAQSkZJRgABAQ...", "requestMessage": "worst", "gender": "male", "intensity": 1.5, "outputFormat": "jpeg"}}
            }
          }}
        },
        "responses": {
          "200": {"description": "The reshaped photo; resultImage and result_image carry the same base64 (the contract spells it both ways).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FutureShapeSuccess"},
              "example": {"state": true, "message": "success", "resultImage": "iVBORw0KGgoAAAANSUhEUgAA...", "result_image": "iVBORw0KGgoAAAANSUhEUgAA..."}}}},
          "400": {"$ref": "#/components/responses/FutureShapeBadRequest"},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "500": {"$ref": "#/components/responses/Internal"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/person-mask": {
      "post": {
        "operationId": "personMask",
        "summary": "Person mask of an uploaded photo (extension, used by the playground at /)",
        "description": "Same keys, limits and errors as /api/analysis-future-shape. The mask covers every person in the photo at the upright image's size; a photo with nobody in it gives an all-black mask.",
        "requestBody": {
          "required": true,
          "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/PersonMaskRequest"},
            "example": {"Email": "you@example.com", "UserKey": "3f9c...", "APIKey": "a71e...", "base64Image": "/9j/4AAQSkZJRgABAQ..."}
          }}
        },
        "responses": {
          "200": {"description": "The mask as a base64 1-bit greyscale PNG, person = white.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PersonMaskSuccess"},
              "example": {"state": true, "message": "success", "maskImage": "iVBORw0KGgoAAAANSUhEUgAA..."}}}},
          "400": {"$ref": "#/components/responses/FutureShapeBadRequest"},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "500": {"$ref": "#/components/responses/Internal"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/analyze/segmentation-v2": {
      "post": {
        "operationId": "segmentationV2",
        "summary": "Person mask of an image in the object store",
        "description": "state 1 = success; 0 = the image could not be loaded or decoded (\"image load error\"); -1 = any other failure. No authentication unless the server runs with segmentation_auth = keys. The array mask is ~2 bytes per pixel: send Accept-Encoding: gzip or ask for format rle/png.",
        "requestBody": {
          "required": true,
          "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/SegmentationRequest"},
            "examples": {
              "key": {"summary": "A key in the default bucket", "value": {"imgSrc": "2024/photo.jpg"}},
              "s3": {"summary": "An allow-listed bucket, compact mask", "value": {"imgSrc": "s3://images/2024/photo.jpg", "format": "rle"}}
            }
          }}
        },
        "responses": {
          "200": {"description": "state 1: the mask (all people; nobody = all zeros).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SegmentationSuccess"},
              "examples": {
                "array": {"summary": "format array (default): height rows of width 0/1 ints", "value": {"state": 1, "message": "success", "errors": "", "data": [[0, 0, 1], [0, 1, 1]]}},
                "rle": {"summary": "format rle: COCO uncompressed RLE, column-major, background first", "value": {"state": 1, "message": "success", "errors": "", "data": {"size": [2, 3], "counts": [2, 1, 1, 2]}}},
                "png": {"summary": "format png: base64 1-bit PNG, person = white", "value": {"state": 1, "message": "success", "errors": "", "data": "iVBORw0KGgoAAAANSUhEUgAA..."}}
              }}}},
          "400": {"description": "state 0 \"image load error\" (not_found, empty_object, not_an_image, too_large), or state -1 for a bad body (bad_request) or a refused imgSrc (source_refused).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SegmentationFailure"},
              "examples": {
                "not_found": {"value": {"state": 0, "message": "image load error", "errors": "object images/missing.jpg not found", "data": {"code": "not_found", "detail": "object images/missing.jpg not found"}}},
                "empty_object": {"value": {"state": 0, "message": "image load error", "errors": "object images/empty.jpg is empty (0 bytes)", "data": {"code": "empty_object", "detail": "object images/empty.jpg is empty (0 bytes)"}}},
                "not_an_image": {"value": {"state": 0, "message": "image load error", "errors": "not a decodable image", "data": {"code": "not_an_image", "detail": "not a decodable image"}}},
                "too_large": {"value": {"state": 0, "message": "image load error", "errors": "object is larger than max_object_bytes", "data": {"code": "too_large", "detail": "object is larger than max_object_bytes"}}},
                "bad_request": {"value": {"state": -1, "message": "field 'imgSrc' is required", "errors": "field 'imgSrc' is required", "data": {"code": "bad_request", "detail": "field 'imgSrc' is required"}}},
                "bad_format": {"value": {"state": -1, "message": "field 'format' must be \"array\", \"rle\" or \"png\"", "errors": "field 'format' must be \"array\", \"rle\" or \"png\"", "data": {"code": "bad_request", "detail": "field 'format' must be \"array\", \"rle\" or \"png\""}}},
                "source_refused": {"value": {"state": -1, "message": "imgSrc must be a key or s3://bucket/key, not a URL", "errors": "imgSrc must be a key or s3://bucket/key, not a URL", "data": {"code": "source_refused", "detail": "imgSrc must be a key or s3://bucket/key, not a URL"}}}
              }}}},
          "401": {"description": "state -1: with segmentation_auth = keys, the keys are missing or wrong.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SegmentationFailure"},
              "example": {"state": -1, "message": "authentication failed", "errors": "authentication failed", "data": {"code": "unauthenticated", "detail": "authentication failed"}}}}},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "429": {"description": "state -1: rate limit or auth lockout; Retry-After says when to retry.",
            "headers": {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SegmentationFailure"},
              "example": {"state": -1, "message": "rate limit exceeded", "errors": "too many requests from this address", "data": {"code": "rate_limited", "detail": "too many requests from this address"}}}}},
          "500": {"description": "state -1: inference_failed or internal.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SegmentationFailure"},
              "example": {"state": -1, "message": "internal error", "errors": "internal error", "data": {"code": "internal", "detail": "internal error"}}}}},
          "503": {"description": "state -1, with Retry-After: busy (queue full), timeout (waited too long for a worker), store_unavailable, model_unavailable.",
            "headers": {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SegmentationFailure"},
              "examples": {
                "busy": {"value": {"state": -1, "message": "server busy", "errors": "server busy", "data": {"code": "busy", "detail": "server busy"}}},
                "timeout": {"value": {"state": -1, "message": "timeout", "errors": "timeout", "data": {"code": "timeout", "detail": "timeout"}}},
                "store_unavailable": {"value": {"state": -1, "message": "object store unreachable: connection refused", "errors": "object store unreachable: connection refused", "data": {"code": "store_unavailable", "detail": "object store unreachable: connection refused"}}},
                "model_unavailable": {"value": {"state": -1, "message": "model not available", "errors": "model not available", "data": {"code": "model_unavailable", "detail": "model not available"}}}
              }}}}
        }
      }
    },
    "/healthz": {
      "get": {"operationId": "healthz", "summary": "The process is alive",
        "responses": {"200": {"description": "Alive.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StateMessage"}, "example": {"state": true, "message": "alive"}}}}}}
    },
    "/readyz": {
      "get": {"operationId": "readyz", "summary": "Models are loaded and the database answers",
        "responses": {
          "200": {"description": "Ready.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StateMessage"}, "example": {"state": true, "message": "ready"}}}},
          "503": {"description": "Not ready.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StateMessage"}, "example": {"state": false, "message": "database unavailable"}}}}
        }}
    },
    "/metrics": {
      "get": {"operationId": "metrics", "summary": "Prometheus metrics (text exposition format 0.0.4)",
        "description": "bodyshape_http_requests_total{route,status}, bodyshape_http_request_duration_seconds{route}, bodyshape_stage_duration_seconds{route,stage} (decode, queue, person, reshape, encode), bodyshape_http_requests_in_flight, bodyshape_inference_workers, bodyshape_inference_workers_busy, bodyshape_inference_queue_waiting, bodyshape_model_load_seconds, bodyshape_build_info{version,landmark_model}.",
        "responses": {"200": {"description": "The metrics.", "content": {"text/plain": {"schema": {"type": "string"}, "example": "bodyshape_http_requests_total{route=\"/api/analysis-future-shape\",status=\"200\"} 10\n"}}}}}
    },
    "/openapi.json": {
      "get": {"operationId": "openapi", "summary": "This document",
        "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {"type": "object"}}}}}}
    },
    "/": {
      "get": {"operationId": "playground", "summary": "A self-contained web page to try the API from a browser",
        "responses": {"200": {"description": "HTML.", "content": {"text/html": {"schema": {"type": "string"}}}}}}
    }
  },
  "components": {
    "headers": {
      "RetryAfter": {"description": "Seconds after which the request may succeed.", "schema": {"type": "string", "examples": ["1"]}}
    },
    "schemas": {
      "Keys": {
        "type": "object",
        "required": ["Email", "UserKey", "APIKey"],
        "properties": {
          "Email": {"type": "string", "description": "Account e-mail."},
          "UserKey": {"type": "string", "description": "User key issued to the account (bodyshape accounts create)."},
          "APIKey": {"type": "string", "description": "API key issued to the account."}
        }
      },
      "FutureShapeRequest": {
        "allOf": [{"$ref": "#/components/schemas/Keys"}],
        "type": "object",
        "required": ["base64Image", "requestMessage", "gender"],
        "properties": {
          "base64Image": {"type": "string", "contentEncoding": "base64", "description": "The photo: JPEG, PNG, WebP, BMP, GIF...; EXIF orientation is honoured."},
          "requestMessage": {"type": "string", "enum": ["best", "worst"], "description": "best: after losing weight; worst: after gaining weight."},
          "gender": {"type": "string", "enum": ["male", "female"], "description": "The body's fat distribution differs, so the change differs."},
          "intensity": {"type": "number", "minimum": 0, "maximum": 2, "default": 1, "description": "Extension: 0 = unchanged, 1 = default, 2 = twice the change."},
          "outputFormat": {"type": "string", "enum": ["png", "jpeg", "jpg", "webp"], "default": "png", "description": "Extension: the result image's format."}
        }
      },
      "FutureShapeSuccess": {
        "type": "object",
        "required": ["state", "message", "resultImage", "result_image"],
        "properties": {
          "state": {"const": true},
          "message": {"type": "string", "const": "success"},
          "resultImage": {"type": "string", "contentEncoding": "base64"},
          "result_image": {"type": "string", "contentEncoding": "base64", "description": "Same as resultImage (the contract's example spelling)."}
        }
      },
      "PersonMaskRequest": {
        "allOf": [{"$ref": "#/components/schemas/Keys"}],
        "type": "object",
        "required": ["base64Image"],
        "properties": {"base64Image": {"type": "string", "contentEncoding": "base64"}}
      },
      "PersonMaskSuccess": {
        "type": "object",
        "required": ["state", "message", "maskImage"],
        "properties": {
          "state": {"const": true},
          "message": {"type": "string", "const": "success"},
          "maskImage": {"type": "string", "contentEncoding": "base64", "contentMediaType": "image/png"}
        }
      },
      "Failure": {
        "type": "object",
        "required": ["state", "message"],
        "properties": {
          "state": {"const": false},
          "message": {"type": "string"},
          "detail": {"type": "string", "description": "The precise reason, where the contract fixes the message."}
        }
      },
      "StateMessage": {
        "type": "object",
        "required": ["state", "message"],
        "properties": {"state": {"type": "boolean"}, "message": {"type": "string"}}
      },
      "SegmentationRequest": {
        "type": "object",
        "required": ["imgSrc"],
        "properties": {
          "imgSrc": {"type": "string", "description": "A key in the default bucket, s3://bucket/key or bucket/key for allow-listed buckets; never a URL, never '..'."},
          "format": {"type": "string", "enum": ["array", "rle", "png"], "default": "array", "description": "Extension: the mask's encoding."},
          "Email": {"type": "string", "description": "Only with segmentation_auth = keys."},
          "UserKey": {"type": "string", "description": "Only with segmentation_auth = keys."},
          "APIKey": {"type": "string", "description": "Only with segmentation_auth = keys."}
        }
      },
      "SegmentationSuccess": {
        "type": "object",
        "required": ["state", "message", "errors", "data"],
        "properties": {
          "state": {"const": 1},
          "message": {"const": "success"},
          "errors": {"const": ""},
          "data": {"oneOf": [
            {"type": "array", "items": {"type": "array", "items": {"enum": [0, 1]}}, "description": "array: height rows x width columns, 1 = person."},
            {"type": "object", "required": ["size", "counts"], "properties": {"size": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}, "counts": {"type": "array", "items": {"type": "integer"}}}, "description": "rle: COCO uncompressed RLE."},
            {"type": "string", "contentEncoding": "base64", "contentMediaType": "image/png", "description": "png: 1-bit PNG, person = white."}
          ]}
        }
      },
      "SegmentationFailure": {
        "type": "object",
        "required": ["state", "message", "errors", "data"],
        "properties": {
          "state": {"enum": [0, -1], "description": "0 = image load error; -1 = any other failure."},
          "message": {"type": "string"},
          "errors": {"type": "string"},
          "data": {"type": "object", "required": ["code", "detail"], "properties": {
            "code": {"type": "string", "enum": ["not_found", "empty_object", "not_an_image", "too_large", "bad_request", "source_refused", "unauthenticated", "rate_limited", "busy", "timeout", "store_unavailable", "model_unavailable", "inference_failed", "internal"]},
            "detail": {"type": "string"}}}
        }
      }
    },
    "responses": {
      "FutureShapeBadRequest": {
        "description": "The body is not valid JSON, a field is missing, ill-typed or out of range, the image cannot be decoded (\"wrong image\"), or nobody's body keypoints are found, or none of the body is in the photo (\"keypoint inference error\").",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Failure"}, "examples": {
          "wrong_image": {"summary": "Not a decodable image (bad base64, a video, truncated, too many pixels)", "value": {"state": false, "message": "wrong image", "detail": "not a decodable image"}},
          "keypoint_inference_error": {"summary": "The image decodes but no person is found", "value": {"state": false, "message": "keypoint inference error", "detail": "no person's body was found in the image"}},
          "no_body_visible": {"summary": "A person is found but none of the body is in the photo (a face, head-and-shoulders or chest-up close-up, or a torso whose sides the frame cuts off); nothing would change", "value": {"state": false, "message": "keypoint inference error", "detail": "no body to reshape is visible: the photo shows the head and shoulders only, or the photo's edges cut off the body's sides; send a photo that shows the torso and its outline"}},
          "invalid_json": {"value": {"state": false, "message": "request body is not valid JSON (The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc.)"}},
          "not_an_object": {"value": {"state": false, "message": "request body must be a JSON object"}},
          "missing_field": {"value": {"state": false, "message": "field 'base64Image' is required"}},
          "ill_typed_field": {"value": {"state": false, "message": "field 'gender' must be a string"}},
          "bad_request_message": {"value": {"state": false, "message": "field 'requestMessage' must be \"best\" or \"worst\""}},
          "bad_gender": {"value": {"state": false, "message": "field 'gender' must be \"male\" or \"female\""}},
          "bad_intensity": {"value": {"state": false, "message": "field 'intensity' must be a number from 0 to 2"}},
          "bad_output_format": {"value": {"state": false, "message": "field 'outputFormat' must be \"png\", \"jpeg\" or \"webp\""}}
        }}}
      },
      "Unauthenticated": {
        "description": "Unknown e-mail, wrong UserKey or APIKey, revoked account: always the same answer.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Failure"}, "example": {"state": false, "message": "authentication failed"}}}
      },
      "TooLarge": {
        "description": "The body is larger than body_limit_bytes (default 32 MiB).",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Failure"}, "example": {"state": false, "message": "request body is larger than the limit of 33554432 bytes"}}}
      },
      "RateLimited": {
        "description": "Per-address or per-account rate limit, or an address locked out after repeated failed authentications.",
        "headers": {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Failure"}, "examples": {
          "per_address": {"value": {"state": false, "message": "rate limit exceeded", "detail": "too many requests from this address"}},
          "per_account": {"value": {"state": false, "message": "rate limit exceeded", "detail": "too many requests for this account"}},
          "lockout": {"value": {"state": false, "message": "rate limit exceeded", "detail": "too many failed authentications from this address"}}
        }}}
      },
      "Unavailable": {
        "description": "Try again later (Retry-After): the inference queue is full, the wait for a worker exceeded request_timeout_ms, or the database or models are unavailable.",
        "headers": {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Failure"}, "examples": {
          "server_busy": {"value": {"state": false, "message": "server busy"}},
          "timeout": {"value": {"state": false, "message": "timeout"}},
          "database": {"value": {"state": false, "message": "database unavailable"}}
        }}}
      },
      "Internal": {
        "description": "A bug or a broken install.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Failure"}, "example": {"state": false, "message": "internal error"}}}
      }
    }
  }
})json";

}  // namespace

std::string openapi_json() {
  nlohmann::json document = nlohmann::json::parse(kDocument);
  document["info"]["version"] = BODYSHAPE_VERSION;
  return document.dump(2);
}

}  // namespace bodyshape::server
