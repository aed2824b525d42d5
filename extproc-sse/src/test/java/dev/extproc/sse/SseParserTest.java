package dev.extproc.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SseParserTest {
  private static final int MAX = 1 << 20;

  /** What the parser saw, in a form independent of how the input was chunked. */
  private record Parsed(List<String> events, ByteString bytes) {}

  private static Parsed parse(ByteString input, List<Integer> cuts) {
    SseParser parser = new SseParser(MAX);
    List<String> events = new ArrayList<>();
    ByteString seen = ByteString.EMPTY;
    int from = 0;
    List<Integer> all = new ArrayList<>(cuts);
    all.add(input.size());
    for (int cut : all) {
      List<SseEvent> out = new ArrayList<>();
      parser.feed(input.substring(from, cut), out::add);
      for (SseEvent event : out) {
        seen = seen.concat(event.raw());
        events.add(describe(event));
      }
      from = cut;
    }
    seen = seen.concat(parser.finish());
    return new Parsed(events, seen);
  }

  private static String describe(SseEvent e) {
    return (e.dispatched() ? "event " : "none ") + e.type() + "|" + e.data() + "|" + e.id() + "|" + e.lastEventId()
        + "|" + e.retryMillis();
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  private static List<String> whole(String input) {
    return parse(utf8(input), List.of()).events();
  }

  @Test
  void lineEnds_lfCrlfCrAndMixed_frameTheSameEvents() {
    assertThat(whole("data: a\n\ndata: b\n\n")).containsExactly("event message|a|null||-1", "event message|b|null||-1");
    assertThat(whole("data: a\r\n\r\ndata: b\r\n\r\n")).containsExactly("event message|a|null||-1", "event message|b|null||-1");
    assertThat(whole("data: a\r\rdata: b\r\r")).containsExactly("event message|a|null||-1", "event message|b|null||-1");
    assertThat(whole("data: a\r\n\ndata: b\r\r\n")).containsExactly("event message|a|null||-1", "event message|b|null||-1");
  }

  @Test
  void fields_followTheRules() {
    assertThat(whole("data:x\n\n")).containsExactly("event message|x|null||-1");
    assertThat(whole("data:  x\n\n")).containsExactly("event message| x|null||-1");
    assertThat(whole("data: a\ndata: b\n\n")).containsExactly("event message|a\nb|null||-1");
    assertThat(whole("data\n\n")).containsExactly("event message||null||-1");
    assertThat(whole("event: add\ndata: 1\n\n")).containsExactly("event add|1|null||-1");
    assertThat(whole("event: add\n\n")).containsExactly("none add||null||-1");
    assertThat(whole(": ping\n\n")).containsExactly("none message||null||-1");
    assertThat(whole("foo: bar\ndata: 1\n\n")).containsExactly("event message|1|null||-1");
    assertThat(whole("id: 7\ndata: 1\n\ndata: 2\n\n"))
        .containsExactly("event message|1|7|7|-1", "event message|2|null|7|-1");
    assertThat(whole("id: a\0b\ndata: 1\n\n")).containsExactly("event message|1|null||-1");
    assertThat(whole("retry: 3000\n\nretry: 3s\n\n")).containsExactly("none message||null||3000", "none message||null||-1");
    assertThat(whole("Data: 1\n\n")).as("names are case-sensitive").containsExactly("none message||null||-1");
  }

  @Test
  void byteOrderMark_droppedOnlyAtStreamStart() {
    assertThat(whole("\uFEFFdata: a\n\n\uFEFFdata: b\n\n"))
        .containsExactly("event message|a|null||-1", "none message||null||-1");
  }

  @Test
  void unfinishedBlockAtEnd_isNotAnEvent_butItsBytesAreReturned() {
    Parsed parsed = parse(utf8("data: a\n\ndata: b\n"), List.of());
    assertThat(parsed.events()).containsExactly("event message|a|null||-1");
    assertThat(parsed.bytes().toStringUtf8()).isEqualTo("data: a\n\ndata: b\n");
  }

  @Test
  void crlfSplitBetweenChunks_isOneLineEnd() {
    ByteString input = utf8("data: a\r\n\r\ndata: b\r\n\r\n");
    for (int cut = 0; cut <= input.size(); cut++) {
      Parsed parsed = parse(input, List.of(cut));
      assertThat(parsed.events()).as("cut at %d", cut).containsExactly("event message|a|null||-1", "event message|b|null||-1");
      assertThat(parsed.bytes()).isEqualTo(input);
    }
  }

  /** Every vector of the rules, split at every offset and at random offsets, parses as it does whole. */
  @ParameterizedTest
  @ValueSource(strings = {
      "data: a\n\ndata: b\n\n",
      "data: a\r\n\r\nevent: x\r\ndata: {\"k\": \"\u00e9\u20ac\uD83D\uDE00\"}\r\n\r\n",
      "data: a\r\rdata: b\r\r",
      "\uFEFF: ping\n\ndata:x\ndata:  y\nid: 3\nretry: 10\n\nevent: e\n\n",
      "data: 1\r\n\ndata: 2\n\r\n\r\rdata: 3\r\r\n",
      "\n\n\r\r\r\n\r\n",
  })
  void anyChunking_givesTheSameEventsAndBytes(String text) {
    ByteString input = utf8(text);
    Parsed expected = parse(input, List.of());
    for (int cut = 0; cut <= input.size(); cut++) {
      assertThat(parse(input, List.of(cut))).as("cut at %d", cut).isEqualTo(expected);
    }
    List<Integer> everyByte = new ArrayList<>();
    for (int i = 1; i < input.size(); i++) {
      everyByte.add(i);
    }
    assertThat(parse(input, everyByte)).as("one byte at a time").isEqualTo(expected);
    assertThat(expected.bytes()).isEqualTo(input);
  }

  @Test
  void randomStreams_randomChunkings_agreeWithWholeParse() {
    long seed = Long.getLong("sse.seed", System.nanoTime());
    Random random = new Random(seed);
    String[] pieces = {"data: ", "data:", "event: t", "id: 1", "retry: 5", ": c", "x", "\u00e9", "\uD83D\uDE00", "{\"a\":1}", "\n", "\r", "\r\n"};
    for (int round = 0; round < 300; round++) {
      StringBuilder text = new StringBuilder();
      int n = 1 + random.nextInt(40);
      for (int i = 0; i < n; i++) {
        text.append(pieces[random.nextInt(pieces.length)]);
      }
      ByteString input = utf8(text.toString());
      Parsed expected = parse(input, List.of());
      List<Integer> cuts = new ArrayList<>();
      for (int at = 0; at < input.size(); at += 1 + random.nextInt(8)) {
        cuts.add(at);
      }
      assertThat(parse(input, cuts)).as("seed %d (-Dsse.seed=%d), input %s", seed, seed, text).isEqualTo(expected);
    }
  }

  @Test
  void largeEvent_acceptedUpToTheBound_refusedBeyond() {
    String big = "data: " + "x".repeat(100_000) + "\n\n";
    SseParser parser = new SseParser(big.length());
    List<SseEvent> out = new ArrayList<>();
    ByteString input = utf8(big);
    for (int at = 0; at < input.size(); at += 4096) {
      parser.feed(input.substring(at, Math.min(input.size(), at + 4096)), out::add);
    }
    assertThat(out).hasSize(1);
    assertThat(out.get(0).data()).hasSize(100_000);
    assertThat(parser.heldBytes()).isZero();

    SseParser tight = new SseParser(big.length() - 1);
    assertThatThrownBy(() -> tight.feed(input, e -> {}))
        .isInstanceOf(SseFramingException.class)
        .hasMessageContaining("at most " + (big.length() - 1) + " bytes per event");
    SseParser growing = new SseParser(1000);
    assertThatThrownBy(() -> growing.feed(utf8("data: " + "y".repeat(2000)), e -> {}))
        .as("an unfinished block past the bound fails before its end arrives")
        .isInstanceOf(SseFramingException.class);
  }

  @Test
  void rawBytes_shareTheInputWithoutCopying_andSurviveInvalidUtf8() {
    byte[] bytes = {'d', 'a', 't', 'a', ':', ' ', (byte) 0xff, (byte) 0xfe, '\n', '\n'};
    List<SseEvent> out = new ArrayList<>();
    new SseParser(MAX).feed(ByteString.copyFrom(bytes), out::add);
    assertThat(out).hasSize(1);
    assertThat(out.get(0).raw().toByteArray()).isEqualTo(bytes);
    assertThat(out.get(0).data()).isEqualTo("\uFFFD\uFFFD");
  }

  @Test
  void encoder_writesWhatTheParserReads() {
    SseEvent event = SseEncoder.event("error", "line 1\nline 2");
    List<SseEvent> out = new ArrayList<>();
    new SseParser(MAX).feed(event.raw(), out::add);
    assertThat(out).singleElement().satisfies(e -> {
      assertThat(e.type()).isEqualTo("error");
      assertThat(e.data()).isEqualTo("line 1\nline 2");
      assertThat(e.dispatched()).isTrue();
    });
    assertThat(SseEncoder.comment("keep-alive").toStringUtf8()).isEqualTo(": keep-alive\n\n");
  }
}
