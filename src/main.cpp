// bodyshape: the CLI. serve, accounts, pose, segment, predict.
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"bodyshape: body shape prediction and person segmentation service"};
  app.require_subcommand(1);
  app.add_subcommand("serve", "run the HTTP service");
  CLI11_PARSE(app, argc, argv);
  return 0;
}
