#include "server/service.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "api/future_shape.h"
#include "api/json_request.h"
#include "api/person_mask.h"
#include "api/segmentation.h"
#include "common/log.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/rate_limit.h"
#include "server/usage_counter.h"
#include "storage/account_schema.h"
#include "storage/account_store.h"
#include "storage/object_store.h"

namespace bodyshape::server {
namespace {

// How stale `bodyshape accounts usage` may be while the service runs, and how many counts a
// SIGKILL loses; one write per active account per interval is a negligible load.
constexpr std::chrono::seconds kUsageFlushInterval{2};

Status ensure_directory(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) {
    return make_error(ErrorCode::kUnavailable,
                      "cannot create directory " + path + ": " + error.message());
  }
  return Ok{};
}

person::LandmarkModel landmark_model(const Config& config) {
  if (config.landmark_model == "lite") return person::LandmarkModel::kLite;
  if (config.landmark_model == "heavy") return person::LandmarkModel::kHeavy;
  return person::LandmarkModel::kFull;
}

// The account a request's keys authenticate as, or nullopt (no keys, wrong keys, body not JSON:
// the endpoint itself answers those).
std::optional<std::string> authenticated_account(storage::AccountStore& accounts,
                                                 std::string_view body) {
  Result<api::JsonRequest> request = api::JsonRequest::parse(body);
  if (!request) return std::nullopt;
  Result<std::string> email = request->required_string("Email");
  Result<std::string> user_key = request->required_string("UserKey");
  Result<std::string> api_key = request->required_string("APIKey");
  if (!email || !user_key || !api_key) return std::nullopt;
  if (!accounts.authenticate(*email, *user_key, *api_key)) return std::nullopt;
  Result<std::string> normalized = storage::normalize_email(*email);
  if (!normalized) return std::nullopt;
  return std::move(normalized).value();
}

// The per-account limit counts only requests whose keys authenticate, so nobody can spend another
// account's budget by naming its e-mail. (The endpoint authenticates again: one more indexed
// lookup and HMAC, ~10 us, against ~1 ms to parse the body and far more to run the models.)
// Admitted requests of an account are counted per UTC day for `bodyshape accounts usage`, in
// memory: `usage` writes them to the database in batches.
using Route = std::function<api::Reply(std::string_view)>;
Route with_account_limit(RequestLimiter& limiter, storage::AccountStore& accounts,
                         UsageCounter& usage, RouteShape shape, Route route) {
  return [&limiter, &accounts, &usage, shape, route = std::move(route)](std::string_view body) {
    if (std::optional<std::string> account = authenticated_account(accounts, body)) {
      if (Admission admitted = limiter.admit(*account); !admitted.allowed) {
        return rate_limited_reply(shape, admitted, "too many requests for this account");
      }
      usage.count(*account, storage::utc_day(std::chrono::system_clock::now()));
    }
    return route(body);
  };
}

// PostgreSQL is what replicas share, so its limits are kept there; with SQLite (one host, in
// practice one process) the buckets stay in memory and cost no database write per request.
std::unique_ptr<RequestLimiter> make_limiter(const Config& config,
                                             storage::AccountStore& accounts,
                                             std::string key_prefix, TokenBucketLimit limit) {
  if (uses_postgres(config)) {
    return std::make_unique<SharedLimiter>(accounts.counters(), std::move(key_prefix), limit);
  }
  return std::make_unique<InProcessLimiter>(limit);
}

}  // namespace

int inference_worker_count(const Config& config) {
  return config.inference_workers > 0
             ? config.inference_workers
             : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

Result<std::vector<person::PoseEstimator>> make_estimators(const Config& config,
                                                           const std::string& landmark_model,
                                                           size_t count) {
  person::PoseModelFiles files;
  if (landmark_model != "lite") files.lite.clear();
  if (landmark_model != "full") files.full.clear();
  if (landmark_model != "heavy") files.heavy.clear();
  Result<std::shared_ptr<const person::PoseModels>> models =
      person::PoseModels::load(config.model_dir, files);
  if (!models) return models.error();
  person::EstimatorOptions options;
  options.threads = config.threads_per_worker;
  std::vector<person::PoseEstimator> estimators;
  for (size_t i = 0; i < count; ++i) {
    Result<person::PoseEstimator> estimator = person::PoseEstimator::create(*models, options);
    if (!estimator) return estimator.error();
    estimators.push_back(std::move(estimator).value());
  }
  return estimators;
}

Result<std::unique_ptr<WorkerPool<person::PoseEstimator>>> load_estimators(const Config& config) {
  const auto started = std::chrono::steady_clock::now();
  const int workers = inference_worker_count(config);
  Result<std::vector<person::PoseEstimator>> made =
      make_estimators(config, config.landmark_model, static_cast<size_t>(workers));
  if (!made) return made.error();
  std::vector<std::unique_ptr<person::PoseEstimator>> estimators;
  for (person::PoseEstimator& estimator : *made) {
    estimators.push_back(std::make_unique<person::PoseEstimator>(std::move(estimator)));
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                              started).count();
  log::info("models loaded", {{"dir", config.model_dir},
                              {"landmark_model", config.landmark_model},
                              {"workers", std::to_string(workers)},
                              {"ms", std::to_string(static_cast<int>(ms))}});
  return std::make_unique<WorkerPool<person::PoseEstimator>>(
      std::move(estimators),
      static_cast<size_t>(config.max_queued_requests > 0 ? config.max_queued_requests : 2 * workers));
}

Result<std::unique_ptr<storage::AccountStore>> open_account_store(const Config& config) {
  if (Status status = ensure_directory(config.data_dir); !status) return status.error();
  std::string pepper = config.auth_pepper;
  if (pepper.empty()) {
    const std::string secret_dir = config.data_dir + "/secret";
    if (Status status = ensure_directory(secret_dir); !status) return status.error();
    Result<std::string> loaded = storage::load_or_create_pepper(secret_dir + "/pepper");
    if (!loaded) return loaded.error();
    pepper = std::move(loaded).value();
  }
  if (uses_postgres(config)) {
    // One session per HTTP thread: every request in flight can reach the database at once.
    return storage::AccountStore::open_postgres(config.database, std::move(pepper),
                                                {.sessions = config.http_threads});
  }
  const std::string db_path = config.database.empty()
                                  ? config.data_dir + "/accounts.db"
                                  : config.database.substr(std::string("sqlite:").size());
  return storage::AccountStore::open_sqlite(db_path, std::move(pepper));
}

int run_service(const Config& config) {
  log::configure(log::Level::kInfo,
                 config.log_format == "json" ? log::Format::kJson : log::Format::kText);

  // Signals are taken by one waiting thread, so every other thread runs undisturbed.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Result<std::unique_ptr<storage::AccountStore>> accounts = open_account_store(config);
  if (!accounts) {
    log::error("cannot open the account database", {{"error", accounts.error().message}});
    return 2;
  }
  storage::AccountStore& account_store = **accounts;

  const auto models_started = std::chrono::steady_clock::now();
  Result<std::unique_ptr<WorkerPool<person::PoseEstimator>>> estimators =
      load_estimators(config);
  if (!estimators) {
    log::error("cannot load the models", {{"error", estimators.error().message}});
    return 3;
  }
  WorkerPool<person::PoseEstimator>& pool = **estimators;
  std::vector<std::string_view> route_paths;
  for (const RouteSpec& route : kRouteTable) route_paths.push_back(route.path);
  Metrics metrics(route_paths,
                  {.version = BODYSHAPE_VERSION,
                   .landmark_model = config.landmark_model,
                   .model_load_seconds = std::chrono::duration<double>(
                                             std::chrono::steady_clock::now() - models_started)
                                             .count(),
                   .worker_pool = [&pool] {
                     return WorkerPoolGauges{pool.size(), pool.busy(), pool.waiting()};
                   }});

  api::FutureShapeEndpoint future_shape(
      {.accounts = &account_store,
       .decode = {.max_pixels = config.max_pixels},
       .estimators = estimators->get(),
       .landmark_model = landmark_model(config),
       .queue_timeout = std::chrono::milliseconds(config.request_timeout_ms),
       .stages = metrics.stages(kFutureShapePath)});
  Result<std::unique_ptr<storage::ObjectStore>> object_store = storage::open_object_store(
      {.endpoint = config.s3_endpoint,
       .local_root = config.data_dir + "/objects",
       .region = config.s3_region,
       .timeout_ms = config.s3_timeout_ms,
       .max_object_bytes = config.max_object_bytes},
      environ);
  if (!object_store) {
    log::error("cannot open the object store", {{"error", object_store.error().message}});
    return 2;
  }
  const auto queue_timeout = std::chrono::milliseconds(config.request_timeout_ms);
  const person::LandmarkModel model = landmark_model(config);
  // The combined mask at 0.5 of all people in the photo, as CV_8U 0/1, timing its queue wait and
  // inference into the route's stages.
  const auto person_mask_for = [&pool, queue_timeout,
                                model](StageSink* stages) -> api::PersonMaskFn {
    return [&pool, queue_timeout, model, stages](const cv::Mat& rgb) -> Result<cv::Mat> {
      StageTimer queue_timer(stages, Stage::kQueue);
      auto worker = pool.acquire(queue_timeout);
      queue_timer.stop();
      if (!worker) return worker.error();
      StageTimer person_timer(stages, Stage::kPerson);
      Result<person::PoseResult> pose =
          (*worker)->estimate(rgb, model, person::MaskOutput::kRoiOnly);
      if (!pose) return pose.error();
      // All people, the combined mask at 0.5 as CV_8U 0/1, never the CV_32F image-size mask.
      return pose->combined_mask(person::MaskFormat::kBinary, 0.5f);
    };
  };
  StageSink* const segmentation_stages = metrics.stages(kSegmentationPath);
  api::SegmentationEndpoint segmentation(
      {.store = object_store->get(),
       .policy = {.default_bucket = config.s3_bucket,
                  .allowed_buckets = storage::split_bucket_list(config.s3_buckets)},
       .decode = {.max_pixels = config.max_pixels},
       .person_mask = person_mask_for(segmentation_stages),
       .accounts = config.segmentation_auth == "keys" ? &account_store : nullptr,
       .stages = segmentation_stages});

  const std::unique_ptr<RequestLimiter> per_account_limiter = make_limiter(
      config, account_store, "account:",
      {.per_minute = static_cast<double>(config.rate_limit_per_account),
       .burst = static_cast<double>(config.rate_limit_per_account_burst)});
  RequestLimiter& per_account = *per_account_limiter;
  UsageCounter usage(account_store.counters(), kUsageFlushInterval);
  Routes routes;
  routes.per_ip = make_limiter(config, account_store, "ip:",
                               {.per_minute = static_cast<double>(config.rate_limit_per_ip),
                                .burst = static_cast<double>(config.rate_limit_per_ip_burst)});
  routes.future_shape = with_account_limit(
      per_account, account_store, usage, RouteShape::kFutureShape,
      [&future_shape](std::string_view body) { return future_shape.handle(body); });
  const Route segmentation_route = [&segmentation](std::string_view body) {
    return segmentation.handle(body);
  };
  routes.segmentation =
      config.segmentation_auth == "keys"
          ? with_account_limit(per_account, account_store, usage, RouteShape::kSegmentation,
                               segmentation_route)
          : segmentation_route;
  routes.ready = [&account_store](std::string* why_not) {
    if (Status db = account_store.ping(); !db) {
      *why_not = "database unavailable";
      return false;
    }
    return true;  // models are loaded before the server starts
  };
  StageSink* const person_mask_stages = metrics.stages(kPersonMaskPath);
  api::PersonMaskEndpoint person_mask({.accounts = &account_store,
                                       .decode = {.max_pixels = config.max_pixels},
                                       .person_mask = person_mask_for(person_mask_stages),
                                       .stages = person_mask_stages});
  routes.person_mask = with_account_limit(
      per_account, account_store, usage, RouteShape::kFutureShape,
      [&person_mask](std::string_view body) { return person_mask.handle(body); });
  routes.metrics = &metrics;

  HttpServer server(config, std::move(routes));
  std::thread signal_waiter([&server, stop_signals] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    log::info("stopping: draining in-flight requests", {{"signal", std::to_string(signal_number)}});
    server.stop();
  });

  const Status served = server.run();
  if (!served) log::error("cannot serve", {{"error", served.error().message}});
  pthread_kill(signal_waiter.native_handle(), SIGTERM);  // wakes the waiter if no signal came
  signal_waiter.join();
  usage.stop();  // the server has drained: every admitted request is counted
  return served ? 0 : 2;
}

}  // namespace bodyshape::server
