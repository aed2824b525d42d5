package dev.extproc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.PooledByteBufAllocator;
import io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails a test when grpc-netty-shaded's leak detector reports a buffer that was never released
 * (the "LEAK:" lines CI also greps for, see {@code .ci/run}). Requires paranoid detection: the
 * surefire argLine sets {@code io.grpc.netty.shaded.io.netty.leakDetection.level} (the shaded jar
 * relocates Netty's property names). After the test it collects garbage and allocates tracked
 * buffers a few times, since Netty reports a leak only when a collected buffer is found on a later
 * allocation.
 */
public final class NettyLeakWatch implements BeforeEachCallback, AfterEachCallback {
  private static final String DETECTOR = ResourceLeakDetector.class.getName();
  private final List<String> leaks = new CopyOnWriteArrayList<>();
  private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent event) {
      if (event.getFormattedMessage().contains("LEAK:")) {
        leaks.add(event.getFormattedMessage());
      }
    }
  };

  @Override
  public void beforeEach(ExtensionContext context) {
    assertThat(ResourceLeakDetector.getLevel()).as("Netty leak detection level (surefire argLine "
        + "-Dio.grpc.netty.shaded.io.netty.leakDetection.level=paranoid)").isEqualTo(ResourceLeakDetector.Level.PARANOID);
    start();
  }

  /** Starts collecting LEAK: reports. */
  void start() {
    appender.start();
    ((Logger) LoggerFactory.getLogger(DETECTOR)).addAppender(appender);
  }

  /** Stops collecting. */
  void stop() {
    ((Logger) LoggerFactory.getLogger(DETECTOR)).detachAppender(appender);
    appender.stop();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    try {
      List<String> found = collect();
      assertThat(found).as("Netty buffers leaked (LEAK: reports)").isEmpty();
    } finally {
      stop();
    }
  }

  /** Forces the detector to look at buffers collected so far; returns its reports. */
  List<String> collect() {
    for (int round = 0; round < 3; round++) {
      System.gc();
      ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(64);
      probe.release();
    }
    return List.copyOf(leaks);
  }
}
