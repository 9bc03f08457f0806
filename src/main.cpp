// bodyshape: the command line. `serve` runs the HTTP service; `accounts` manages API keys.
#include <unistd.h>

#include <iostream>
#include <map>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

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
  account_flags.add_to(*accounts);
  // `accounts create --email E --data-dir D`: settings given after the action reach `accounts`.
  for (CLI::App* action : {create, revoke, list}) action->fallthrough();

  CLI11_PARSE(app, argc, argv);

  if (serve->parsed()) {
    auto config = serve_flags.load();
    if (!config) return fail(config.error().message);
    return bodyshape::server::run_service(*config);
  }
  auto config = account_flags.load();
  if (!config) return fail(config.error().message);
  const std::string action = create->parsed() ? "create" : revoke->parsed() ? "revoke" : "list";
  return run_accounts(*config, action, email);
}
