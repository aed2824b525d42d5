package dev.extproc.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;

/**
 * The server's admin HTTP endpoints (docs/interfaces.md): {@code GET /healthz} ({@code ok}, 503 while
 * draining), {@code GET /stats} (flat JSON object of numbers), {@code GET /metrics} (Prometheus
 * text format 0.0.4 of the same numbers, every one a gauge).
 */
final class AdminServer {
  private final HttpServer http;
  private final ExecutorService executor;
  private final Map<String, LongSupplier> gauges;
  private volatile boolean draining;

  private AdminServer(HttpServer http, ExecutorService executor, Map<String, LongSupplier> gauges) {
    this.http = http;
    this.executor = executor;
    this.gauges = gauges;
  }

  static AdminServer start(String host, int port, Map<String, LongSupplier> gauges) throws IOException {
    HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 0);
    ExecutorService executor = Executors.newSingleThreadExecutor(task -> {
      Thread thread = new Thread(task, "extproc-admin");
      thread.setDaemon(true);
      return thread;
    });
    AdminServer admin = new AdminServer(http, executor, gauges);
    http.setExecutor(executor);
    http.createContext("/healthz", admin::healthz);
    http.createContext("/stats", admin::stats);
    http.createContext("/metrics", admin::metrics);
    http.start();
    return admin;
  }

  int port() {
    return http.getAddress().getPort();
  }

  void draining() {
    draining = true;
  }

  void stop() {
    http.stop(0);
    executor.shutdownNow();
  }

  private void healthz(HttpExchange exchange) throws IOException {
    if (!exactGet(exchange, "/healthz")) {
      return;
    }
    respond(exchange, draining ? 503 : 200, "text/plain; charset=utf-8", draining ? "draining" : "ok");
  }

  private void stats(HttpExchange exchange) throws IOException {
    if (!exactGet(exchange, "/stats")) {
      return;
    }
    StringBuilder json = new StringBuilder("{");
    gauges.forEach((name, value) -> {
      if (json.length() > 1) {
        json.append(',');
      }
      json.append('"').append(name).append("\":").append(value.getAsLong());
    });
    respond(exchange, 200, "application/json", json.append("}\n").toString());
  }

  private void metrics(HttpExchange exchange) throws IOException {
    if (!exactGet(exchange, "/metrics")) {
      return;
    }
    StringBuilder text = new StringBuilder();
    gauges.forEach((name, value) -> text.append("# TYPE ").append(name).append(" gauge\n")
        .append(name).append(' ').append(value.getAsLong()).append('\n'));
    respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", text.toString());
  }

  private static boolean exactGet(HttpExchange exchange, String path) throws IOException {
    if (!exchange.getRequestURI().getPath().equals(path)) {
      respond(exchange, 404, "text/plain; charset=utf-8", "not found\n");
      return false;
    }
    if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
      exchange.getResponseHeaders().set("Allow", "GET, HEAD");
      respond(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n");
      return false;
    }
    return true;
  }

  private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      if (!head) {
        out.write(bytes);
      }
    }
  }
}
