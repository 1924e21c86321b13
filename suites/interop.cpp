// Interop (labels `conformance`, `interop`): servers of one implementation with clients of
// another, for every ordered pair of the selected implementations (each with itself too). Per
// pair: the round trip (the client computes the server's hash itself and completes the wire
// handshake; a wrong hash is rejected), discovery (the client finds exactly the server's
// endpoint) and a small closed-loop backlog geometry
// (fixtures/geometries/interop/interop-backlog.json). Check ids end in
// `/server_{impl}_client_{impl}`, so a failure names the pair; the report derives its client x
// server matrix from them (harness::interop_matrix).
//
//   PIPECHECK_IMPLS=reference,node,python build/h11/suites/suite_interop
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "pipecheck/harness/report_interop.hpp"
#include "support/check_support.hpp"
#include "support/geometry_check.hpp"

namespace pipecheck::suites {
namespace {

namespace fs = std::filesystem;

// (server implementation, client implementation)
using Pair = std::tuple<std::string, std::string>;

constexpr int kRoundTripDials = 3;

class Interop : public testing::TestWithParam<Pair> {
 protected:
  const std::string& server_impl() const { return std::get<0>(GetParam()); }
  const std::string& client_impl() const { return std::get<1>(GetParam()); }
  std::string pair() const { return "server " + server_impl() + ", client " + client_impl(); }

  // Starts the server and client agents and records both roles in the report.
  void start_pair() {
    harness::implementation("server", server_impl());
    harness::implementation("client", client_impl());
    server = SuiteAgent::start(server_impl(), agent_options("server"));
    client = SuiteAgent::start(client_impl(), agent_options("client"));
  }

  // Handshake fields unique to this check and pair, under a scratch root of its own.
  json handshake() {
    if (!scratch_) scratch_.emplace(harness::ScratchDir::create("pc", "/tmp"));
    const auto* test = testing::UnitTest::GetInstance()->current_test_info();
    const std::string salt = std::string(test->test_suite_name()) + "." + test->name();
    return handshake_args({{"kind", "interop"}, {"version", "1.0"}, {"arch", "*"}, {"salt", salt}},
                          scratch_->path());
  }

  std::unique_ptr<SuiteAgent> server, client;

 private:
  std::optional<harness::ScratchDir> scratch_;
};

PIPECHECK_CHECK(Interop, RoundTrip, "WIRE-1", "WIRE-2", "HASH-31") {
  start_pair();
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "hash.pipecheck");
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "dial", "hash.pipecheck");
  const json args = handshake();
  const json listening = server->call("listen", args);

  // The client derives the server's endpoint from the handshake alone.
  json hash_args = args;
  hash_args["pid"] = server->pid();
  const json computed = client->call("hash", hash_args);
  EXPECT_EQ(computed.at("name"), listening.at("name"))
      << pair() << ": the client computes another endpoint name than the server listens on";

  json dial = {{"path", listening.at("path")},
               {"count", kRoundTripDials},
               {"handshake", computed.at("hash")}};
  const json accepted = client->call("dial", dial);
  EXPECT_EQ(outcome_count(accepted, "ok"), kRoundTripDials) << pair() << ": " << accepted.dump();
  EXPECT_EQ(accepted.at("handshake").value("accepted", 0), kRoundTripDials)
      << pair() << ": the server did not accept the client's handshake: " << accepted.dump();

  // Another hash on the same endpoint is rejected on both sides, not hung (WIRE-2, WIRE-3).
  std::string other_hash = computed.at("hash");
  other_hash.front() = other_hash.front() == 'a' ? 'b' : 'a';
  dial["count"] = 1;
  dial["handshake"] = other_hash;
  const json rejected = client->call("dial", dial);
  EXPECT_EQ(rejected.at("handshake").value("failed", 0), 1)
      << pair() << ": a wrong hash was not rejected: " << rejected.dump();
  server->call("close", {{"listener", listening.at("listener")}});
}

PIPECHECK_CHECK(Interop, Discovery, "DISC-2") {
  start_pair();
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen");
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "discover");
  const json args = handshake();
  const json listening = server->call("listen", args);
  const json found = client->call("discover", args);
  const json& live = found.at("live");
  ASSERT_EQ(live.size(), 1u) << pair() << ": expected exactly the server's endpoint, found "
                             << found.dump();
  EXPECT_EQ(live[0].at("name"), listening.at("name")) << pair() << ": " << found.dump();
  EXPECT_EQ(live[0].at("pid").get<long long>(), server->pid()) << pair() << ": " << found.dump();
  server->call("close", {{"listener", listening.at("listener")}});
}

PIPECHECK_CHECK(Interop, Backlog) {
  check_geometry(load_geometry_fixture("interop/interop-backlog.json"), server_impl(),
                 client_impl());
}

std::vector<Pair> pairs() {
  std::vector<Pair> out;
  for (const auto& server : selected_implementations())
    for (const auto& client : selected_implementations()) out.emplace_back(server, client);
  return out;
}

std::string pair_name(const testing::TestParamInfo<Pair>& info) {
  return "server_" + implementation_param_name(std::get<0>(info.param)) + "_client_" +
         implementation_param_name(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Interop, Interop, testing::ValuesIn(pairs()), pair_name);

}  // namespace
}  // namespace pipecheck::suites
