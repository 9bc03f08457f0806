// Builds the running service from a Config: account store, models, endpoints, HTTP edge; runs it
// until SIGTERM/SIGINT, then drains in-flight requests and returns the process exit code.
#pragma once

#include <memory>
#include <string>
#include <vector>

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

// How many inference workers the config asks for: inference_workers, or one per core.
int inference_worker_count(const Config& config);

// `count` estimators sharing one load of the models: the detector, the selfie model and only the
// landmark model named (lite | full | heavy; each worker packs its own weights).
Result<std::vector<person::PoseEstimator>> make_estimators(const Config& config,
                                                           const std::string& landmark_model,
                                                           size_t count);

// The configured landmark model loaded once, one estimator per worker, in the service's pool.
Result<std::unique_ptr<WorkerPool<person::PoseEstimator>>> load_estimators(const Config& config);

int run_service(const Config& config);

}  // namespace bodyshape::server
