#include "src/server/gateway.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "src/server/dispatcher.h"
#include "src/server/gateway_core.h"
#include "src/server/http_session.h"
#include "src/store/store_url.h"

namespace hookfence::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

namespace {

Result<std::shared_ptr<const Settings>> BuildSettings(const Config& config, const Clock* clock) {
  auto sources = SourceTable::Build(config.sources, clock);
  if (!sources.ok()) return sources.status();
  auto settings = std::make_shared<Settings>();
  settings->sources = std::move(*sources);
  settings->admin_token = config.server.admin_token;
  return std::shared_ptr<const Settings>(std::move(settings));
}

spdlog::level::level_enum LevelOf(const std::string& name) { return spdlog::level::from_str(name); }

}  // namespace

class Gateway::Impl {
 public:
  Impl(Config config, GatewayOptions options, std::unique_ptr<Store> owned_store, Store* store,
       std::shared_ptr<const Settings> settings)
      : config_(std::move(config)),
        options_(std::move(options)),
        owned_store_(std::move(owned_store)),
        contexts_(MakeContexts(Threads())),
        lags_(MakeLags(contexts_, config_.server.max_loop_lag)),
        ioc_(*contexts_.front()),
        accept_strand_(asio::make_strand(ioc_)),
        acceptor_(accept_strand_),
        sweep_timer_(accept_strand_),
        signals_(ioc_),
        registry_(std::make_shared<SessionRegistry>()) {
    if (!options_.log) {
      // Not registered with spdlog's global registry: several gateways may live in one process.
      options_.log = std::make_shared<spdlog::logger>(
          "hookfence", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
      options_.log->set_level(LevelOf(config_.server.log_level));
    }
    core_ = std::make_shared<GatewayCore>(options_.clock, store, config_, std::move(settings),
                                          options_.log);
    dispatcher_ = std::make_shared<Dispatcher>(ioc_, core_, config_.delivery, config_.store.lease);
    core_->set_dispatcher(dispatcher_.get());
    core_->set_loop_lags(lags_);
    core_->set_wake([dispatcher = std::weak_ptr<Dispatcher>(dispatcher_)] {
      if (auto alive = dispatcher.lock()) alive->Wake();
    });
    limits_.max_body_bytes = config_.server.max_body_bytes;
    limits_.max_header_bytes = config_.server.max_header_bytes;
    limits_.read_timeout = config_.server.read_timeout;
    limits_.idle_timeout = config_.server.idle_timeout;
  }

  ~Impl() { Shutdown(); }

  static std::vector<std::unique_ptr<asio::io_context>> MakeContexts(int threads) {
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    for (int i = 0; i < threads; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
    return contexts;
  }

  static std::vector<std::shared_ptr<LoopLag>> MakeLags(
      const std::vector<std::unique_ptr<asio::io_context>>& contexts, Duration threshold) {
    std::vector<std::shared_ptr<LoopLag>> lags;
    for (const auto& context : contexts)
      lags.push_back(std::make_shared<LoopLag>(*context, threshold));
    return lags;
  }

  int Threads() const {
    if (config_.server.threads > 0) return config_.server.threads;
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }

  Status Start() {
    RaiseFileLimit();
    if (config_.server.tls.enabled()) {
      tls_ = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
      boost::system::error_code ec;
      tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1);
      tls_->use_certificate_chain_file(config_.server.tls.cert_file, ec);
      if (!ec) tls_->use_private_key_file(config_.server.tls.key_file, asio::ssl::context::pem, ec);
      if (ec) return InvalidArgumentError("TLS certificate or key: " + ec.message());
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(config_.server.listen_host, ec);
    if (ec) return InvalidArgumentError("listen address: " + ec.message());
    tcp::endpoint endpoint(address, config_.server.listen_port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return UnavailableError("cannot listen on " + config_.server.listen_host + ":" +
                              std::to_string(config_.server.listen_port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(accept_strand_, Accept(), asio::detached);
    asio::co_spawn(accept_strand_, SweepPeriodically(), asio::detached);
    dispatcher_->Start();
    if (options_.handle_signals) WaitForSignals();
    for (auto& context : contexts_) {
      work_.push_back(asio::make_work_guard(*context));
      threads_.emplace_back([context = context.get()] { context->run(); });
    }
    options_.log->info("hookfence listening on {}:{} ({} I/O threads, store {}, {} sources{})",
                       config_.server.listen_host, port_, Threads(),
                       store::RedactStoreUrl(config_.store.url), core_->settings()->sources->size(),
                       tls_ ? ", TLS" : "");
    return Status::Ok();
  }

  std::uint16_t port() const { return port_; }

  Status Reload(const Config& config) {
    auto settings = BuildSettings(config, options_.clock);
    if (!settings.ok()) {
      options_.log->error("reload refused, the running configuration stays: {}",
                          settings.status().message());
      return settings.status();
    }
    core_->set_settings(std::move(*settings));
    options_.log->info("configuration reloaded: {} sources", config.sources.size());
    return Status::Ok();
  }

  Status ReloadFromFile() {
    if (options_.config_path.empty()) return FailedPreconditionError("no config file to reload");
    ConfigLoad load = LoadConfigFile(options_.config_path, ProcessEnv());
    if (!load.config) {
      std::string text = FormatIssues(options_.config_path, load.errors, "error");
      options_.log->error("reload refused, the running configuration stays:\n{}", text);
      return InvalidArgumentError(text);
    }
    return Reload(*load.config);
  }

  void Shutdown() {
    {
      std::unique_lock lock(shutdown_mu_);
      if (shut_down_) {
        // Another thread is shutting down (a signal, or the destructor): wait until it is done,
        // so nobody destroys what it is still using.
        shutdown_cv_.wait(lock, [this] { return done_; });
        return;
      }
      shut_down_ = true;
    }
    if (!threads_.empty()) {
      options_.log->info("shutting down: no new connections, finishing requests in flight");
      asio::post(accept_strand_, [this] {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        sweep_timer_.cancel();
      });
      asio::post(ioc_, [this] {
        boost::system::error_code ignored;
        signals_.cancel(ignored);
      });
      registry_->CancelAll();
      if (!registry_->WaitEmpty(std::chrono::seconds(30))) {
        options_.log->warn("{} connections still open after 30 s; closing", registry_->size());
      }
      // After the last request: leases of deliveries that have not started go back to the store,
      // deliveries in flight get shutdown_grace to finish.
      dispatcher_->Stop();
      work_.clear();
      for (auto& context : contexts_) context->stop();
      for (auto& t : threads_) t.join();
      threads_.clear();
    }
    core_->store().Join();  // every store call has returned
    core_.reset();
    owned_store_.reset();  // the SQLite writer drains its queue and commits
    options_.log->info("shutdown complete");
    std::lock_guard lock(shutdown_mu_);
    done_ = true;
    // Notified under the lock: a waiter that returns may destroy this object at once.
    shutdown_cv_.notify_all();
  }

  void Wait() {
    std::unique_lock lock(shutdown_mu_);
    shutdown_cv_.wait(lock, [this] { return done_; });
  }

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      // Connections go round the I/O threads' contexts. Each gets its own strand, and its socket
      // (so its stream's timeout timers) the same executor the session runs on.
      const std::size_t index = next_context_++ % contexts_.size();
      asio::io_context& context = *contexts_[index];
      auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(context),
                                                          asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      if (ec) {
        // Out of descriptors or memory: serve the connections we have and try again shortly,
        // instead of spinning on an accept that fails at once.
        if (!accept_failing_) options_.log->warn("accept failed: {}; retrying", ec.message());
        accept_failing_ = true;
        asio::steady_timer pause(accept_strand_, std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      if (accept_failing_) options_.log->info("accepting connections again");
      accept_failing_ = false;
      auto strand = socket.get_executor();
      boost::beast::tcp_stream stream(std::move(socket));
      asio::co_spawn(
          strand, ServeConnection(std::move(stream), tls_, core_, limits_, registry_, lags_[index]),
          asio::detached);
    }
  }

  // Applies retention every [store] sweep_interval (DESIGN §3). The SQLite store sweeps in small
  // transactions, so accepts keep flowing while it runs.
  asio::awaitable<void> SweepPeriodically() {
    for (;;) {
      sweep_timer_.expires_after(config_.store.sweep_interval);
      auto [ec] = co_await sweep_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec || !acceptor_.is_open()) co_return;
      auto swept = co_await core_->store().Run<Result<SweepStats>>(SweepCall());
      if (swept && !swept->ok()) {
        options_.log->warn("retention sweep failed: {}", swept->status().ToString());
      } else if (swept && ((*swept)->payloads_dropped > 0 || (*swept)->records_erased > 0)) {
        options_.log->info("retention sweep: {} payloads dropped, {} records erased",
                           (*swept)->payloads_dropped, (*swept)->records_erased);
      }
    }
  }

  // Built outside the coroutine (GCC 12 and lambdas created in coroutine bodies).
  static std::function<Result<SweepStats>(Store&)> SweepCall() {
    return [](Store& store) { return store.Sweep(); };
  }

  void WaitForSignals() {
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.add(SIGHUP);
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        ReloadFromFile().IgnoreError();
        WaitForSignals();
        return;
      }
      options_.log->info("signal {} received", signal);
      // Shutdown joins the I/O threads, so it must not run on one of them.
      std::thread([this] { Shutdown(); }).detach();
    });
  }

  Config config_;
  GatewayOptions options_;
  std::unique_ptr<Store> owned_store_;
  // One io_context per I/O thread, as SO_REUSEPORT would give: a connection stays on the thread
  // that accepted it, and no context's queue is shared between threads. The first also runs the
  // acceptor, the sweeper, the signal handler and the dispatcher.
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<std::shared_ptr<LoopLag>> lags_;  // one per context, measuring it
  asio::io_context& ioc_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::size_t next_context_ = 0;  // accept strand only
  // The acceptor and the sweep timer live on one strand: shutdown closes them there, never while
  // the accept loop or the sweeper touches them.
  asio::strand<asio::io_context::executor_type> accept_strand_;
  tcp::acceptor acceptor_;
  asio::steady_timer sweep_timer_;
  asio::signal_set signals_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::shared_ptr<SessionRegistry> registry_;
  std::shared_ptr<GatewayCore> core_;
  std::shared_ptr<Dispatcher> dispatcher_;
  SessionLimits limits_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  bool accept_failing_ = false;  // accept strand only
  std::mutex shutdown_mu_;
  std::condition_variable shutdown_cv_;
  bool shut_down_ = false;
  bool done_ = false;
};

Result<std::unique_ptr<Gateway>> Gateway::Create(const Config& config, GatewayOptions options) {
  if (options.clock == nullptr) return InvalidArgumentError("GatewayOptions::clock is null");
  auto settings = BuildSettings(config, options.clock);
  if (!settings.ok()) return settings.status();
  std::unique_ptr<Store> owned;
  Store* store = options.store;
  if (store == nullptr) {
    if (config.store.url.rfind("memory://", 0) == 0 && !config.store.volatile_ok) {
      return InvalidArgumentError(
          "memory:// loses every event on exit; set [store] volatile = true to use it anyway");
    }
    StoreOptions store_options = ToStoreOptions(config.store);
    store_options.clock = options.clock;
    auto opened = OpenStore(config.store.url, store_options);
    if (!opened.ok()) return opened.status();
    owned = std::move(*opened);
    store = owned.get();
  }
  auto impl = std::make_unique<Impl>(config, std::move(options), std::move(owned), store,
                                     std::move(*settings));
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gateway::~Gateway() = default;
Status Gateway::Start() { return impl_->Start(); }
std::uint16_t Gateway::port() const { return impl_->port(); }
Status Gateway::Reload(const Config& config) { return impl_->Reload(config); }
Status Gateway::ReloadFromFile() { return impl_->ReloadFromFile(); }
void Gateway::Shutdown() { impl_->Shutdown(); }
void Gateway::Wait() { impl_->Wait(); }

}  // namespace hookfence::server
