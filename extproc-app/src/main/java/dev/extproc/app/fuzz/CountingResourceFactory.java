package dev.extproc.app.fuzz;

import dev.extproc.ExchangeHandler;
import dev.extproc.ExchangeInfo;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExchangeProcessor;
import dev.extproc.ProcessorFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A pass-through processor that holds a resource the garbage collector does not release for it:
 * an open file, opened when the exchange's handler is made and closed in {@code onClose}. Counts
 * handlers made, open files, {@code onClose} calls (and any second call for one exchange) and the
 * outcomes, so a run can prove that every exchange was closed exactly once.
 */
final class CountingResourceFactory implements ProcessorFactory {
  private final Path file;
  private final AtomicLong made = new AtomicLong();
  private final AtomicLong openFiles = new AtomicLong();
  private final AtomicLong closes = new AtomicLong();
  private final AtomicLong doubleCloses = new AtomicLong();
  private final Map<ExchangeOutcome, AtomicLong> outcomes = new EnumMap<>(ExchangeOutcome.class);

  /** @param file an existing readable file, opened once per exchange */
  CountingResourceFactory(Path file) {
    this.file = file;
    for (ExchangeOutcome outcome : ExchangeOutcome.values()) {
      outcomes.put(outcome, new AtomicLong());
    }
  }

  @Override
  public ExchangeHandler newProcessor(ExchangeInfo exchange) {
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.READ);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    made.incrementAndGet();
    openFiles.incrementAndGet();
    AtomicInteger closed = new AtomicInteger();
    return new ExchangeProcessor() {
      @Override
      public void onClose(ExchangeOutcome outcome) {
        closes.incrementAndGet();
        outcomes.get(outcome).incrementAndGet();
        if (closed.getAndIncrement() > 0) {
          doubleCloses.incrementAndGet();
          return;
        }
        try {
          channel.close();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        openFiles.decrementAndGet();
      }
    };
  }

  long made() {
    return made.get();
  }

  long openFiles() {
    return openFiles.get();
  }

  long closes() {
    return closes.get();
  }

  long doubleCloses() {
    return doubleCloses.get();
  }

  /** Returns the outcomes seen in {@code onClose} so far (a copy). */
  Map<ExchangeOutcome, Long> outcomes() {
    Map<ExchangeOutcome, Long> copy = new EnumMap<>(ExchangeOutcome.class);
    outcomes.forEach((outcome, count) -> copy.put(outcome, count.get()));
    return copy;
  }
}
