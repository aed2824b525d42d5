package dev.extproc.transforms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExchangeOutcome;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.testkit.RecordingDirectionContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class RedactProcessorTest {
  private static final byte[] KEY = "0123456789abcdef0123".getBytes(StandardCharsets.US_ASCII);

  private static String redact(String rules, String text) {
    List<RedactRule> parsed = rules == null ? RedactRule.defaults() : RedactRule.parseList(rules, KEY);
    RedactProcessorFactory factory = new RedactProcessorFactory(parsed, DecodeLimits.DEFAULT);
    ByteString body = ByteString.copyFromUtf8(text);
    String expected = null;
    for (int cut = 0; cut <= body.size(); cut++) {
      RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
      Throwable failure = ctx.drive(factory.newProcessor(null).request(), HttpHeaders.of("content-type", "text/plain"),
          Chunkings.splitAt(body, cut));
      assertThat(failure).isNull();
      String out = ctx.output().toStringUtf8();
      if (expected == null) {
        expected = out;
      }
      assertThat(out).as("cut at %d", cut).isEqualTo(expected);
    }
    return expected;
  }

  @Test
  void byDefaultMasksLuhnValidCardNumbersKeepingTheLastFour() {
    assertThat(redact(null, "card 4111111111111111 ok")).isEqualTo("card ************1111 ok");
    assertThat(redact(null, "4111-1111-1111-1111 and 4111111111111112"))
        .isEqualTo("****-****-****-1111 and 4111111111111112"); // the second fails the Luhn check
    assertThat(redact(null, "order 12345 of 2024")).isEqualTo("order 12345 of 2024");
  }

  @Test
  void emailIbanApiKeysAndUserRegexes() {
    assertThat(redact("email", "mail ann.lee+x@example.co.uk now")).isEqualTo("mail ***.***+*@*******.**.** now");
    assertThat(redact("iban", "pay DE89370400440532013000 / DE89370400440532013001"))
        .isEqualTo("pay ******************3000 / DE89370400440532013001");
    assertThat(redact("api-key", "k=AKIAIOSFODNN7EXAMPLE;")).isEqualTo("k=********************;");
    assertThat(redact("/order-[0-9]{4}/:keep-last-2", "order-1234, order-99")).isEqualTo("*****-**34, order-99");
    assertThat(redact("/a,b/", "xa,by")).isEqualTo("x*,*y");
    String hashed = redact("email:hash", "to a@b.io and a@b.io");
    assertThat(hashed).matches("to \\[email:[0-9a-f]{16}\\] and \\[email:[0-9a-f]{16}\\]");
    assertThat(hashed.substring(3, 27)).isEqualTo(hashed.substring(32, 56));
  }

  @Test
  void rulesWithoutABoundedLengthOrUnknownAreRefusedNamingTheItem() {
    assertThatThrownBy(() -> RedactRule.parseList("card,/a+b/", KEY))
        .hasMessageStartingWith("--redact-rules: /a+b/: regex a+b: quantifier '+' (unbounded: use {0,N} or {1,N})");
    assertThatThrownBy(() -> RedactRule.parseList("cards", KEY)).hasMessageContaining("unknown rule cards");
    assertThatThrownBy(() -> RedactRule.parseList("card:blur", KEY))
        .hasMessageContaining("action blur (expected: mask, keep-last-N or hash)");
  }

  @Test
  void countsRedactionsPerExchangeInDynamicMetadata() {
    RedactProcessorFactory factory = new RedactProcessorFactory(RedactRule.parseList("card,email", KEY), DecodeLimits.DEFAULT);
    RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.RESPONSE, BodyMode.STREAMED);
    ctx.drive(factory.newProcessor(null).response(), HttpHeaders.of("content-type", "application/json"),
        List.of(ByteString.copyFromUtf8("{\"c\":\"4111111111111111\",\"m\":\"a@b.io\",\"d\":\"4012888888881881\"}")));
    assertThat(ctx.metadata("extproc.redact"))
        .containsEntry("response_redactions", 3L)
        .containsEntry("response_card", 2L)
        .containsEntry("response_email", 1L);
    assertThat(ctx.events()).contains("remove:content-length");
  }

  @Test
  void gzipBodiesAreDecodedRedactedAndReencoded() throws IOException {
    StringBuilder text = new StringBuilder();
    Random random = new Random(1);
    for (int i = 0; i < 20_000; i++) {
      text.append(random.nextInt(10) == 0 ? " 4111111111111111 " : "lorem ");
    }
    ByteString gz = ContentCodingTest.gzip(ByteString.copyFromUtf8(text.toString()));
    RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.RESPONSE, BodyMode.STREAMED);
    DirectionProcessor processor = RedactProcessorFactory.defaults().newProcessor(null).response();
    Throwable failure = ctx.drive(processor, HttpHeaders.of("content-type", "text/plain", "content-encoding", "gzip"),
        Chunkings.random(gz, random, 4096));
    assertThat(failure).isNull();
    try (GZIPInputStream in = new GZIPInputStream(ctx.output().newInput())) {
      assertThat(ByteString.readFrom(in).toStringUtf8()).isEqualTo(text.toString().replace("4111111111111111", "************1111"));
    }
  }

  @Test
  void badBodiesFailClearly() {
    ExchangeHandler handler = RedactProcessorFactory.defaults().newProcessor(null);
    RecordingDirectionContext request = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
    request.drive(handler.request(), HttpHeaders.of("content-type", "text/plain; charset=utf-8"),
        List.of(ByteString.copyFromUtf8("ok "), ByteString.copyFrom(new byte[] {(byte) 0xff, 'x'})));
    assertThat(request.responses()).extracting(ImmediateResponse::status).containsExactly(400);
    assertThat(request.responses().get(0).body().toStringUtf8()).isEqualTo("redact: invalid UTF-8: byte 0xff at offset 3\n");

    RecordingDirectionContext response = new RecordingDirectionContext(Direction.RESPONSE, BodyMode.STREAMED);
    Throwable failure = response.drive(handler.response(), HttpHeaders.of("content-encoding", "gzip"),
        List.of(ByteString.copyFromUtf8("this is not gzip at all")));
    assertThat(failure).isInstanceOf(TransformException.class)
        .hasMessageContaining("redact: malformed gzip body: not a gzip stream (bad magic bytes)")
        .hasMessageContaining("stream reset");
    assertThat(response.responses()).isEmpty();
    handler.onClose(ExchangeOutcome.PROCESSOR_ERROR);

    RecordingDirectionContext charset = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
    charset.drive(RedactProcessorFactory.defaults().newProcessor(null).request(),
        HttpHeaders.of("content-type", "text/plain; charset=utf-16"), List.of(ByteString.copyFromUtf8("x")));
    assertThat(charset.responses()).extracting(ImmediateResponse::status).containsExactly(415);

    RecordingDirectionContext br = new RecordingDirectionContext(Direction.RESPONSE, BodyMode.STREAMED);
    br.drive(RedactProcessorFactory.defaults().newProcessor(null).response(), HttpHeaders.of("content-encoding", "br"),
        List.of(ByteString.copyFromUtf8("x")));
    assertThat(br.responses()).extracting(ImmediateResponse::status).containsExactly(502);
    assertThat(br.responses().get(0).body().toStringUtf8()).contains("content-encoding br is not supported");
  }
}
