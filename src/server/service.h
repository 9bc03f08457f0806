// Builds the running service from a Config: account store, models, endpoints, HTTP edge; runs it
// until SIGTERM/SIGINT, then drains in-flight requests and returns the process exit code.
#pragma once

#include <memory>

#include "common/result.h"
#include "common/worker_pool.h"
#include "person/person.h"
#include "server/config.h"

namespace bodyshape::storage {
class AccountStore;
}

namespace bodyshape::server {

// The account database the config names (SQLite in data_dir by default), with its pepper.
Result<std::unique_ptr<storage::AccountStore>> open_account_store(const Config& config);

// The configured landmark model (+ detector, selfie) loaded once, one estimator per worker.
Result<std::unique_ptr<WorkerPool<person::PoseEstimator>>> load_estimators(const Config& config);

int run_service(const Config& config);

}  // namespace bodyshape::server
