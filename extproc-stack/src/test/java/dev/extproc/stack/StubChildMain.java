package dev.extproc.stack;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Stand-in for {@code ExtProcMain} in this module's tests: {@code echo} (a JDK HTTP echo with
 * {@code /healthz}) and {@code server} (a TCP port that accepts and closes, plus an admin port with
 * {@code /healthz} and {@code /stats}), both honouring the ready-file contract of docs/interfaces.md.
 */
final class StubChildMain {

  private StubChildMain() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int i = 1; i + 1 < args.length; i += 2) {
      options.put(args[i], args[i + 1]);
    }
    String host = options.getOrDefault("--host", "127.0.0.1");
    Path readyFile = Path.of(options.get("--ready-file"));
    long pid = ProcessHandle.current().pid();
    switch (args[0]) {
      case "echo" -> {
        HttpServer echo = HttpServer.create(new InetSocketAddress(host, Integer.parseInt(options.get("--port"))), 0);
        echo.createContext("/", StubChildMain::echo);
        echo.start();
        writeReady(readyFile, "http.port=" + echo.getAddress().getPort() + "\npid=" + pid + "\n");
      }
      case "server" -> {
        ServerSocket grpc = new ServerSocket();
        grpc.setReuseAddress(true);
        grpc.bind(new InetSocketAddress(InetAddress.getByName(host), Integer.parseInt(options.get("--port"))));
        Thread acceptor = new Thread(() -> {
          while (true) {
            try (Socket socket = grpc.accept()) {
              socket.setSoLinger(true, 0);
            } catch (IOException e) {
              return;
            }
          }
        }, "accept");
        acceptor.setDaemon(true);
        acceptor.start();
        HttpServer admin = HttpServer.create(new InetSocketAddress(host, Integer.parseInt(options.get("--admin-port"))), 0);
        admin.createContext("/healthz", exchange -> respond(exchange, 200, "ok"));
        admin.createContext("/stats", exchange -> respond(exchange, 200, "{\"active_streams\":0,\"streams_started\":0}"));
        admin.start();
        writeReady(readyFile, "grpc.port=" + grpc.getLocalPort() + "\nadmin.port=" + admin.getAddress().getPort()
            + "\npid=" + pid + "\n");
      }
      default -> throw new IllegalArgumentException("subcommand: " + args[0] + " (expected: echo or server)");
    }
    System.out.println(args[0] + " ready");
    Thread.currentThread().join();
  }

  private static void echo(HttpExchange exchange) throws IOException {
    if (exchange.getRequestURI().getPath().equals("/healthz") && exchange.getRequestMethod().equals("GET")) {
      respond(exchange, 200, "ok");
      return;
    }
    try (InputStream in = exchange.getRequestBody(); OutputStream out = exchange.getResponseBody()) {
      byte[] body = in.readAllBytes();
      exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
      out.write(body);
    }
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static void writeReady(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
