package dev.extproc.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class JulBridgeTest {

  @Test
  void grpcJdkLoggingGoesThroughSlf4j_andNothingReachesStderrDirectly() {
    Logger grpcLogger = (Logger) LoggerFactory.getLogger("io.grpc.internal.SerializingExecutor");
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    grpcLogger.addAppender(captured);
    PrintStream stderr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      JulBridge.install();
      JulBridge.install(); // idempotent
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      java.util.logging.Logger.getLogger("io.grpc.internal.SerializingExecutor")
          .log(java.util.logging.Level.SEVERE, "Exception while executing runnable", new IllegalStateException("boom"));
    } finally {
      System.setErr(stderr);
      grpcLogger.detachAppender(captured);
    }
    assertThat(captured.list).hasSize(1);
    assertThat(captured.list.get(0).getLevel()).isEqualTo(ch.qos.logback.classic.Level.ERROR);
    assertThat(captured.list.get(0).getThrowableProxy().getMessage()).isEqualTo("boom");
    assertThat(err.toString(StandardCharsets.UTF_8)).as("JDK logging's console handler is gone").doesNotContain("SEVERE");
    assertThat(java.util.logging.Logger.getLogger("").getHandlers())
        .allMatch(h -> h instanceof org.slf4j.bridge.SLF4JBridgeHandler);
  }
}
