// DiscoveryMethod::legacy (the benchmark baseline): probes every candidate socket with connect +
// wire handshake until one accepts, over real listeners served by threads of this process.
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "pipecheck/connection.hpp"
#include "pipecheck/discovery.hpp"
#include "pipecheck/error.hpp"
#include "pipecheck/listener.hpp"
#include "pipecheck/wire_handshake.hpp"
#include "posix_test_support.hpp"

namespace pipecheck {
namespace {

using namespace std::chrono_literals;
using test_support::ScratchRoot;

// A listener whose accept thread answers the wire handshake for its own hash.
class ServedListener {
 public:
  ServedListener(const Handshake& hs, const ScratchRoot& root)
      : listener_(hs, root.listen()), server_([this, hash = hs.hash] {
          while (true) {
            auto accepted = listener_.accept();
            if (accepted.status == AcceptStatus::closed) return;
            if (accepted.connection) server_handshake(*accepted.connection, hash, 2s);
          }
        }) {}
  ~ServedListener() { listener_.close(); }
  const Endpoint& endpoint() const { return listener_.endpoint(); }

 private:
  Listener listener_;
  std::jthread server_;
};

DiscoveryOptions legacy(const ScratchRoot& root) {
  DiscoveryOptions options = root.discovery();
  options.method = DiscoveryMethod::legacy;
  return options;
}

TEST(DiscoveryLegacyPosix, FindsOursAmongOtherHashesByProbing) {
  ScratchRoot root;
  const Handshake ours = test_support::unique_handshake();
  std::vector<std::unique_ptr<ServedListener>> others;
  for (int i = 0; i < 3; ++i)
    others.push_back(std::make_unique<ServedListener>(test_support::unique_handshake(), root));
  ServedListener mine(ours, root);

  const DiscoveryResult probed = discover(ours, legacy(root));
  ASSERT_EQ(probed.live.size(), 1u);
  EXPECT_EQ(probed.live[0].name, mine.endpoint().name);
  EXPECT_EQ(probed.live[0].path, mine.endpoint().path);
  EXPECT_EQ(probed.live[0].pid, ::getpid());
  EXPECT_TRUE(probed.rejected.empty());

  const DiscoveryResult listed = discover(ours, root.discovery());
  ASSERT_EQ(listed.live.size(), 1u);
  EXPECT_EQ(listed.live[0].name, probed.live[0].name);
}

TEST(DiscoveryLegacyPosix, NoServerOfOurHashIsAnEmptyResult) {
  ScratchRoot root;
  ServedListener other(test_support::unique_handshake(), root);
  EXPECT_TRUE(discover(test_support::unique_handshake(), legacy(root)).live.empty());
}

TEST(DiscoveryLegacyPosix, NeverConnectsThroughASymlink) {
  ScratchRoot root;
  ScratchRoot elsewhere;
  const Handshake ours = test_support::unique_handshake();
  ServedListener mine(ours, elsewhere);  // a live server of our hash, outside root
  ServedListener other(test_support::unique_handshake(),
                       root);  // creates root's endpoint directory
  const std::string link =
      other.endpoint().directory + "/" + endpoint_name(ours.default_prefix, ours.hash, ::getpid());
  ASSERT_EQ(::symlink(mine.endpoint().path.c_str(), link.c_str()), 0);
  EXPECT_TRUE(discover(ours, legacy(root)).live.empty());
  ::unlink(link.c_str());
}

TEST(DiscoveryLegacyPosix, ReclaimIsRefusedWithAClearError) {
  ScratchRoot root;
  DiscoveryOptions options = legacy(root);
  options.reclaim_stale = true;
  try {
    discover(test_support::unique_handshake(), options);
    FAIL() << "expected Error{unsupported}";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::unsupported);
    EXPECT_NE(std::string(e.what()).find("reclaim_stale"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pipecheck
