#include "testing/cutting_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace hookfence::testing {
namespace {

// Makes close() send a reset rather than a FIN, so the peer sees a broken connection.
void ResetOnClose(int fd) {
  linger hard{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
}

int ConnectTo(const std::string& host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1 ||
      connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

class CuttingProxyImpl : public CuttingProxy {
 public:
  CuttingProxyImpl(std::string host, int target_port, int listen_fd, int port, int wake[2])
      : host_(std::move(host)),
        target_port_(target_port),
        listen_fd_(listen_fd),
        port_(port),
        wake_read_(wake[0]),
        wake_write_(wake[1]) {
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~CuttingProxyImpl() override {
    stopping_ = true;
    Wake();
    acceptor_.join();
    CutAll();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      threads.swap(threads_);
    }
    for (std::thread& thread : threads) thread.join();
    close(listen_fd_);
    close(wake_read_);
    close(wake_write_);
  }

  int port() const override { return port_; }

  void CutAll() override {
    std::lock_guard lock(mu_);
    for (Link& link : links_) Cut(link);
  }

  void SetDown(bool down) override {
    down_ = down;
    if (down) CutAll();
  }

  void CutAfterClientBytes(std::size_t bytes) override {
    std::lock_guard lock(mu_);
    for (Link& link : links_) {
      if (!link.cut) link.budget = static_cast<std::int64_t>(bytes);
    }
  }

  std::size_t connections_accepted() const override { return accepted_; }

  std::size_t cuts() const override { return cuts_; }

 private:
  struct Link {
    int client = -1;
    int server = -1;
    bool cut = false;
    std::int64_t budget = -1;  // client→server bytes left before a cut; -1: unlimited
  };

  // Shuts both sockets down with a reset; the link's thread sees the error and closes them.
  void Cut(Link& link, bool counted = true) {
    if (link.cut) return;
    link.cut = true;
    if (counted) ++cuts_;
    ResetOnClose(link.client);
    ResetOnClose(link.server);
    shutdown(link.client, SHUT_RDWR);
    shutdown(link.server, SHUT_RDWR);
  }

  void Wake() {
    const char byte = 1;
    [[maybe_unused]] ssize_t n = write(wake_write_, &byte, 1);
  }

  void AcceptLoop() {
    while (!stopping_) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
      if (poll(fds, 2, -1) <= 0 || (fds[1].revents & POLLIN) != 0) continue;
      const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      ++accepted_;
      const int server = down_ ? -1 : ConnectTo(host_, target_port_);
      if (server < 0) {
        ResetOnClose(client);
        close(client);
        continue;
      }
      std::lock_guard lock(mu_);
      links_.push_back(Link{client, server, false, -1});
      Link* link = &links_.back();
      threads_.emplace_back([this, link] { Pump(link); });
    }
  }

  // Forwards bytes both ways until either side closes or the link is cut.
  void Pump(Link* link) {
    char buffer[65536];
    for (;;) {
      pollfd fds[2] = {{link->client, POLLIN, 0}, {link->server, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) break;
      bool done = false;
      for (int i = 0; i < 2 && !done; ++i) {
        if (fds[i].revents == 0) continue;
        const int from = i == 0 ? link->client : link->server;
        const int to = i == 0 ? link->server : link->client;
        ssize_t n = recv(from, buffer, sizeof buffer, 0);
        if (n <= 0) {
          done = true;
          break;
        }
        bool cut_after = false;
        if (i == 0) {
          std::lock_guard lock(mu_);
          if (link->cut) {
            done = true;
            break;
          }
          if (link->budget >= 0) {
            if (n >= link->budget) {
              n = static_cast<ssize_t>(link->budget);
              cut_after = true;
            }
            link->budget -= n;
          }
        }
        if (n > 0 && send(to, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) done = true;
        if (cut_after) {
          std::lock_guard lock(mu_);
          Cut(*link);
          done = true;
        }
      }
      if (done) break;
    }
    std::lock_guard lock(mu_);
    Cut(*link, /*counted=*/false);  // closed by one side: only its sockets are left to close
    close(link->client);
    close(link->server);
    for (auto it = links_.begin(); it != links_.end(); ++it) {
      if (&*it == link) {
        links_.erase(it);
        break;
      }
    }
  }

  const std::string host_;
  const int target_port_;
  const int listen_fd_;
  const int port_;
  const int wake_read_;
  const int wake_write_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> down_{false};
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> cuts_{0};
  std::mutex mu_;
  std::list<Link> links_;  // a list: Pump holds a pointer to its link
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace

Result<std::unique_ptr<CuttingProxy>> CuttingProxy::Start(const std::string& target_host,
                                                          int target_port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return UnavailableError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      listen(fd, 128) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return UnavailableError(std::string("proxy listen: ") + std::strerror(errno));
  }
  int wake[2];
  if (pipe2(wake, O_CLOEXEC) != 0) {
    close(fd);
    return UnavailableError(std::string("pipe: ") + std::strerror(errno));
  }
  return std::unique_ptr<CuttingProxy>(
      new CuttingProxyImpl(target_host, target_port, fd, ntohs(address.sin_port), wake));
}

std::string UrlThroughProxy(const std::string& url, int port) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const auto authority_start = scheme_end + 3;
  auto authority_end = url.find_first_of("/?", authority_start);
  if (authority_end == std::string::npos) authority_end = url.size();
  const auto at = url.rfind('@', authority_end);
  const auto host_start =
      at != std::string::npos && at >= authority_start ? at + 1 : authority_start;
  return url.substr(0, host_start) + "127.0.0.1:" + std::to_string(port) +
         url.substr(authority_end);
}

}  // namespace hookfence::testing
