package dev.extproc.testkit;

import static java.util.Objects.requireNonNull;

import dev.extproc.ExtProcService;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One ext_proc stream of an {@link ExtProcService}, driven in-process without a gRPC transport, in
 * the style of Netty's {@code EmbeddedChannel}: the test feeds Envoy's messages and reads the
 * replies the engine sends. The engine runs exactly as under gRPC: the stream is started through
 * the service's own {@code Process} call handler ({@link ExtProcService#bindService()}) on a fake
 * server call, so marshalling, {@code request(n)} flow control and readiness follow the real path.
 *
 * <pre>{@code
 * ManualScheduler scheduler = new ManualScheduler();
 * ExtProcService service = ExtProcService.builder(factory).scheduler(scheduler).build();
 * EmbeddedStream stream = EmbeddedStream.open(service, scheduler);
 * stream.send(EnvoyMessages.requestHeaders(EnvoyMessages.modes(STREAMED, NONE), false));
 * assertThat(stream.awaitReply().hasRequestHeaders()).isTrue();
 * stream.send(EnvoyMessages.requestBody("hello", true));
 * assertThat(stream.awaitReply().getRequestBody().getResponse().getBodyMutation().getBody().toStringUtf8())
 *     .isEqualTo("HELLO");
 * }</pre>
 *
 * <p><b>Flow control.</b> A message {@linkplain #send sent} is delivered to the engine only when
 * the engine has {@linkplain #requestCalls() requested} it, as gRPC does; until then it waits in
 * {@link #pendingInbound()}. {@link #setReady(boolean)} plays the HTTP/2 window toward Envoy: while
 * not ready the engine should hold its replies, and becoming ready calls the engine's on-ready
 * handler.
 *
 * <p><b>Threading.</b> Every method may be called from any thread. The engine runs on the thread
 * that feeds it (the test thread) unless a processor completes a stage on another thread; replies
 * are collected thread-safely. With a {@link ManualScheduler}, every method that waits also runs
 * the scheduler's due tasks (never advancing its clock), so work the engine hands to the scheduler
 * gets done.
 */
public final class EmbeddedStream implements AutoCloseable {
  /** How long {@link #awaitReply()} and {@link #awaitClose()} wait by default. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private final LinkedBlockingDeque<ProcessingResponse> replies = new LinkedBlockingDeque<>();
  private final @Nullable ManualScheduler scheduler;
  private final FakeServerCall<?, ?> call;

  private EmbeddedStream(ExtProcService service, @Nullable ManualScheduler scheduler) {
    this.scheduler = scheduler;
    String name = ExternalProcessorGrpc.getProcessMethod().getFullMethodName();
    ServerMethodDefinition<?, ?> method = service.bindService().getMethod(name);
    if (method == null) {
      throw new IllegalArgumentException("service has no method " + name);
    }
    this.call = new FakeServerCall<>(method, replies::add);
    runScheduler();
  }

  /** Opens a stream on {@code service}; the caller runs the service's scheduler. */
  public static EmbeddedStream open(ExtProcService service) {
    return new EmbeddedStream(requireNonNull(service, "service"), null);
  }

  /** Opens a stream on {@code service}, whose scheduler is {@code scheduler}; waits run its due tasks. */
  public static EmbeddedStream open(ExtProcService service, ManualScheduler scheduler) {
    return new EmbeddedStream(requireNonNull(service, "service"), requireNonNull(scheduler, "scheduler"));
  }

  // ------------------------------------------------------------ inbound (Envoy → engine)

  /** Sends {@code message} as Envoy would; it reaches the engine once the engine has requested it. */
  public EmbeddedStream send(ProcessingRequest message) {
    return sendRaw(message.toByteArray());
  }

  /** Sends {@code messages} in order. */
  public EmbeddedStream send(ProcessingRequest... messages) {
    for (ProcessingRequest message : messages) {
      send(message);
    }
    return this;
  }

  /**
   * Sends raw bytes as one gRPC message, parsed by the service's own marshaller; for bad-input tests
   * (bytes that are not a {@code ProcessingRequest}).
   */
  public EmbeddedStream sendRaw(byte[] message) {
    call.send(message.clone());
    runScheduler();
    return this;
  }

  /** Half-closes the stream (Envoy has nothing more to send), after the messages already sent. */
  public void halfClose() {
    call.halfClose();
    runScheduler();
  }

  /** Cancels the stream as Envoy does when the HTTP client goes away (an RST_STREAM). */
  public void cancel() {
    call.cancel();
    runScheduler();
  }

  /** Returns the messages sent but not yet delivered, because the engine has not requested them. */
  public int pendingInbound() {
    return call.pendingInbound();
  }

  /** Returns the messages the engine has requested and not yet received. */
  public int unmetRequests() {
    return call.credit();
  }

  /** Returns every {@code request(n)} the engine made, in order. */
  public List<Integer> requestCalls() {
    return call.requestCalls();
  }

  // ------------------------------------------------------------ outbound (engine → Envoy)

  /**
   * Sets whether the stream toward Envoy can take replies now ({@code ServerCall.isReady()}).
   * Turning it back on calls the engine's on-ready handler.
   */
  public void setReady(boolean ready) {
    call.setReady(ready);
    runScheduler();
  }

  /** Returns the next reply the engine sent, or null when none is waiting (never waits). */
  public @Nullable ProcessingResponse poll() {
    runScheduler();
    return replies.poll();
  }

  /** Returns how many replies wait to be read now. */
  public int repliesWaiting() {
    runScheduler();
    return replies.size();
  }

  /** Returns and removes every reply waiting now. */
  public List<ProcessingResponse> drainReplies() {
    runScheduler();
    List<ProcessingResponse> out = new ArrayList<>();
    replies.drainTo(out);
    return out;
  }

  /** Waits up to {@link #DEFAULT_TIMEOUT} for the next reply. */
  public ProcessingResponse awaitReply() {
    return awaitReply(DEFAULT_TIMEOUT);
  }

  /**
   * Waits up to {@code timeout} for the next reply.
   *
   * @throws AssertionError when none comes: the stream closed first, or the time ran out
   */
  public ProcessingResponse awaitReply(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      ProcessingResponse reply = poll();
      if (reply != null) {
        return reply;
      }
      Status status = call.closeStatus();
      if (status != null) {
        throw new AssertionError("no reply: the stream closed with " + describe(status));
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("no reply within " + timeout.toMillis() + " ms; the engine has "
            + call.credit() + " unmet request(s), " + call.pendingInbound() + " message(s) wait to be requested");
      }
      waitForReply();
    }
  }

  /** Returns whether the engine closed the stream. */
  public boolean isClosed() {
    runScheduler();
    return call.closeStatus() != null;
  }

  /** Returns the status the engine closed the stream with, or null while it is open. */
  public @Nullable Status status() {
    runScheduler();
    return call.closeStatus();
  }

  /** Waits up to {@link #DEFAULT_TIMEOUT} for the engine to close the stream and returns its status. */
  public Status awaitClose() {
    return awaitClose(DEFAULT_TIMEOUT);
  }

  /** Waits up to {@code timeout} for the engine to close the stream and returns its status. */
  public Status awaitClose(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Status status = status();
      if (status != null) {
        return status;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("the stream is still open after " + timeout.toMillis() + " ms");
      }
      waitForReply();
    }
  }

  /** Cancels the stream if the engine has not closed it, as Envoy does at the end of an exchange. */
  @Override
  public void close() {
    if (call.closeStatus() == null) {
      cancel();
    }
  }

  private void waitForReply() {
    // Bounded wait for a stage completed on another thread; the scheduler is run again after it.
    ProcessingResponse reply;
    try {
      reply = replies.poll(scheduler == null ? 10 : 1, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for the engine", e);
    }
    if (reply != null) {
      replies.offerFirst(reply); // only this method's caller takes replies, so the order holds
    }
  }

  private void runScheduler() {
    if (scheduler != null) {
      scheduler.runDueTasks();
    }
  }

  private static String describe(Status status) {
    return status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
  }
}
