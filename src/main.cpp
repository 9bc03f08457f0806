// bodyshape: the command line. `serve` runs the HTTP service; `accounts` manages API keys;
// `pose`, `segment` and `predict` run the same pipeline on one photo, the last two also on many
// photos into a directory (src/cli/commands.h).
#include <unistd.h>

#include <iostream>
#include <map>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "server/config.h"
#include "server/service.h"
#include "storage/account_store.h"

namespace {

using bodyshape::Result;
using bodyshape::server::Config;

std::string flag_name(const std::string& setting) {
  std::string flag = "--";
  for (char c : setting) flag += c == '_' ? '-' : c;
  return flag;
}

// Every setting of Config is also a flag; the given ones override file and environment.
struct SettingFlags {
  std::string config_file;
  std::map<std::string, std::string> values;

  void add_to(CLI::App& command) {
    command.add_option("--config", config_file, "TOML file with settings")->check(CLI::ExistingFile);
    for (const std::string& name : bodyshape::server::setting_names()) {
      command.add_option_function<std::string>(
          flag_name(name), [this, name](const std::string& value) { values[name] = value; },
          "setting " + name + " (env BODYSHAPE_" + name + ")");
    }
  }

  Result<Config> load() const {
    return bodyshape::server::load_config(config_file, values, environ);
  }
};

int fail(const std::string& message, int code = 2) {
  std::cerr << "bodyshape: " << message << "\n";
  return code;
}

int run_accounts(const Config& config, const std::string& action, const std::string& email) {
  auto store = bodyshape::server::open_account_store(config);
  if (!store) return fail(store.error().message);
  if (action == "create") {
    auto keys = (*store)->create(email);
    if (!keys) return fail(keys.error().message);
    std::cout << nlohmann::json{{"Email", keys->email},
                                {"UserKey", keys->user_key},
                                {"APIKey", keys->api_key}}
                     .dump()
              << "\n";
    return 0;
  }
  if (action == "revoke") {
    if (auto status = (*store)->revoke(email); !status) return fail(status.error().message);
    std::cout << nlohmann::json{{"Email", email}, {"revoked", true}}.dump() << "\n";
    return 0;
  }
  if (action == "usage") {
    auto usage = (*store)->counters().usage();
    if (!usage) return fail(usage.error().message);
    for (const auto& row : *usage) {
      std::cout << nlohmann::json{{"Email", row.email}, {"day", row.day}, {"requests", row.requests}}
                       .dump()
                << "\n";
    }
    return 0;
  }
  auto accounts = (*store)->list();
  if (!accounts) return fail(accounts.error().message);
  for (const auto& account : *accounts) {
    std::cout << nlohmann::json{{"Email", account.email},
                                {"created", account.created_at},
                                {"revoked", account.revoked}}
                     .dump()
              << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bodyshape: body-shape prediction and person segmentation service"};
  app.require_subcommand(1);

  SettingFlags serve_flags;
  CLI::App* serve = app.add_subcommand("serve", "run the HTTP service");
  serve_flags.add_to(*serve);

  SettingFlags account_flags;
  CLI::App* accounts = app.add_subcommand("accounts", "manage accounts and their API keys");
  accounts->require_subcommand(1);
  std::string email;
  CLI::App* create = accounts->add_subcommand("create", "create an account; prints its keys once");
  create->add_option("--email", email, "account e-mail")->required();
  CLI::App* revoke = accounts->add_subcommand("revoke", "revoke an account's keys");
  revoke->add_option("--email", email, "account e-mail")->required();
  CLI::App* list = accounts->add_subcommand("list", "list accounts (never keys)");
  CLI::App* usage = accounts->add_subcommand(
      "usage", "authenticated requests admitted per account per UTC day (all replicas)");
  account_flags.add_to(*accounts);
  // `accounts create --email E --data-dir D`: settings given after the action reach `accounts`.
  for (CLI::App* action : {create, revoke, list, usage}) action->fallthrough();

  SettingFlags pose_flags;
  bodyshape::cli::PoseCommand pose_command;
  CLI::App* pose = app.add_subcommand("pose", "print the pose landmarks of every person as JSON");
  pose->add_option("image", pose_command.image, "photo file")->required();
  pose->add_option("--model", pose_command.model, "landmark model")
      ->check(CLI::IsMember({"lite", "full", "heavy"}));
  pose_flags.add_to(*pose);

  SettingFlags segment_flags;
  bodyshape::cli::SegmentCommand segment_command;
  CLI::App* segment = app.add_subcommand("segment", "write the person mask of photos as PNG");
  segment->add_option("images", segment_command.images, "photo files or s3://bucket/key")
      ->required();
  segment->add_option("-o,--output", segment_command.output,
                      "mask PNG (probability x 255); a directory for several photos")
      ->required();
  segment->add_option("--source", segment_command.source, "mask source")
      ->check(CLI::IsMember({"pose", "selfie", "selfie-landscape"}));
  segment->add_option("--overlay", segment_command.overlay,
                      "also draw skeleton and mask here (a directory for several photos)");
  segment_flags.add_to(*segment);

  SettingFlags predict_flags;
  bodyshape::cli::PredictCommand predict_command;
  CLI::App* predict = app.add_subcommand("predict", "write the predicted body shape of photos");
  predict->add_option("images", predict_command.images, "photo files or s3://bucket/key")
      ->required();
  predict->add_option("--goal", predict_command.goal, "best = slimmer, worst = fatter")
      ->required()
      ->check(CLI::IsMember({"best", "worst"}));
  predict->add_option("--gender", predict_command.gender, "fat distribution")
      ->required()
      ->check(CLI::IsMember({"male", "female"}));
  predict->add_option("--intensity", predict_command.intensity, "0 = unchanged .. 2 = twice")
      ->check(CLI::Range(0.0, 2.0));
  predict->add_option("-o,--output", predict_command.output,
                      "result PNG; a directory for several photos")
      ->required();
  predict->add_flag("--side-by-side", predict_command.side_by_side, "before | after in one image");
  predict_flags.add_to(*predict);

  CLI11_PARSE(app, argc, argv);

  const std::pair<CLI::App*, SettingFlags*> offline[] = {
      {pose, &pose_flags}, {segment, &segment_flags}, {predict, &predict_flags}};
  for (const auto& [command, flags] : offline) {
    if (!command->parsed()) continue;
    auto config = flags->load();
    if (!config) return fail(config.error().message);
    if (command == pose) return bodyshape::cli::run_pose(*config, pose_command);
    if (command == segment) return bodyshape::cli::run_segment(*config, segment_command);
    return bodyshape::cli::run_predict(*config, predict_command);
  }

  if (serve->parsed()) {
    auto config = serve_flags.load();
    if (!config) return fail(config.error().message);
    return bodyshape::server::run_service(*config);
  }
  auto config = account_flags.load();
  if (!config) return fail(config.error().message);
  const std::string action = create->parsed()   ? "create"
                             : revoke->parsed() ? "revoke"
                             : usage->parsed()  ? "usage"
                                                : "list";
  return run_accounts(*config, action, email);
}
