package dev.extproc.echo;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link Http1EchoHandler} without sockets, on an {@link EmbeddedChannel} with its own clock. */
class Http1EchoHandlerTest {

  @Test
  void delayedHeaders_areWrittenOnlyWhenTheDelayElapsed_thenTheBodyFollows() {
    EmbeddedChannel channel =
        new EmbeddedChannel(
            new Http1EchoHandler(EffectPlan.of(List.of(EchoEffect.delayHeaders(Duration.ofMillis(200))))));
    channel.freezeTime();
    try {
      channel.writeInbound(post(5), new DefaultLastHttpContent(bytes("hello")));
      assertThat((Object) channel.readOutbound()).isNull();

      channel.advanceTimeBy(199, TimeUnit.MILLISECONDS);
      channel.runScheduledPendingTasks();
      assertThat((Object) channel.readOutbound()).isNull();

      channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
      channel.runScheduledPendingTasks();
      HttpResponse head = channel.readOutbound();
      assertThat(head.status().code()).isEqualTo(200);
      assertThat(head.headers().get(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo("5");
      HttpContent content = channel.readOutbound();
      assertThat(content.content().toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
      content.release();
      assertThat((Object) channel.readOutbound()).isInstanceOf(LastHttpContent.class);
    } finally {
      assertThat(channel.finishAndReleaseAll()).isFalse();
    }
  }

  @Test
  void throttledBody_isWrittenOneSliceAtATime() {
    // 400 bytes/s: slices of 20 bytes, one every 50 ms.
    EmbeddedChannel channel =
        new EmbeddedChannel(new Http1EchoHandler(EffectPlan.of(List.of(EchoEffect.throttleBody(400)))));
    channel.freezeTime();
    try {
      channel.writeInbound(post(50), new DefaultHttpContent(bytes("x".repeat(50))), LastHttpContent.EMPTY_LAST_CONTENT);
      assertThat((Object) channel.readOutbound()).isInstanceOf(HttpResponse.class);
      assertThat(readContentBytes(channel)).isEqualTo(20);

      channel.advanceTimeBy(50, TimeUnit.MILLISECONDS);
      channel.runScheduledPendingTasks();
      assertThat(readContentBytes(channel)).isEqualTo(20);

      channel.advanceTimeBy(50, TimeUnit.MILLISECONDS);
      channel.runScheduledPendingTasks();
      assertThat(readContentBytes(channel)).isEqualTo(10);

      channel.advanceTimeBy(25, TimeUnit.MILLISECONDS);
      channel.runScheduledPendingTasks();
      assertThat((Object) channel.readOutbound()).isInstanceOf(LastHttpContent.class);
    } finally {
      assertThat(channel.finishAndReleaseAll()).isFalse();
    }
  }

  @Test
  void channelClosedWhileADelayedExchangeHoldsBody_releasesEverything() {
    EmbeddedChannel channel =
        new EmbeddedChannel(
            new Http1EchoHandler(EffectPlan.of(List.of(EchoEffect.delayHeaders(Duration.ofSeconds(10))))));
    ByteBuf body = bytes("abc");
    channel.writeInbound(post(3), new DefaultLastHttpContent(body));
    assertThat(body.refCnt()).isEqualTo(1); // queued, waiting for the delay

    channel.close();

    assertThat(body.refCnt()).isZero();
    assertThat(channel.finishAndReleaseAll()).isFalse();
  }

  private static HttpRequest post(int contentLength) {
    HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/echo");
    request.headers().set(HttpHeaderNames.CONTENT_LENGTH, contentLength);
    return request;
  }

  private static ByteBuf bytes(String text) {
    return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
  }

  private static int readContentBytes(EmbeddedChannel channel) {
    HttpContent content = channel.readOutbound();
    assertThat(content).isNotInstanceOf(LastHttpContent.class);
    int n = content.content().readableBytes();
    content.release();
    assertThat((Object) channel.readOutbound()).isNull();
    return n;
  }
}
