package dev.extproc.app.fuzz;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Generates {@link FuzzCase}s from a {@link Random}: the same seed gives the same cases. Each case
 * draws its kind (among the enabled ones, by weight), its body modes (every mode, unknown numbers
 * included for {@link FuzzCase.Kind#UNKNOWN_ENUM}) and how the client ends the stream.
 */
final class FuzzCases {
  private static final BodySendMode[] MODES = {
    BodySendMode.NONE, BodySendMode.STREAMED, BodySendMode.BUFFERED, BodySendMode.BUFFERED_PARTIAL,
    BodySendMode.FULL_DUPLEX_STREAMED
  };

  /** Returns how often {@code kind} is drawn relative to the others. */
  private static int weight(FuzzCase.Kind kind) {
    return switch (kind) {
      case PLAUSIBLE -> 20;
      case SHUFFLED -> 25;
      case UNKNOWN_FIELDS -> 8;
      case UNKNOWN_ENUM -> 5;
      case TRUNCATED -> 10;
      case GARBAGE, BIT_FLIP -> 12;
      case OVERSIZE -> 2;
      case EMPTY -> 3;
    };
  }

  private final List<FuzzCase.Kind> kinds;
  private final int totalWeight;
  private final int oversizeBytes;

  /**
   * @param kinds the kinds to generate
   * @param maxInboundMessageBytes the server's inbound limit; {@link FuzzCase.Kind#OVERSIZE} bodies exceed it
   */
  FuzzCases(Set<FuzzCase.Kind> kinds, int maxInboundMessageBytes) {
    if (kinds.isEmpty()) {
      throw new IllegalArgumentException("kinds: none (expected: at least one)");
    }
    this.kinds = List.copyOf(kinds);
    this.totalWeight = this.kinds.stream().mapToInt(FuzzCases::weight).sum();
    this.oversizeBytes = maxInboundMessageBytes + 1;
  }

  /** Returns the next case drawn from {@code random}. */
  FuzzCase next(Random random) {
    FuzzCase.Kind kind = kind(random);
    FuzzCase.Ending ending = ending(random);
    Frames frames = new Frames();
    if (kind == FuzzCase.Kind.EMPTY) {
      return frames.build(kind, ending);
    }
    BodySendMode request = MODES[random.nextInt(MODES.length)];
    BodySendMode response = MODES[random.nextInt(MODES.length)];
    switch (kind) {
      case SHUFFLED -> shuffled(random, frames, request, response);
      case UNKNOWN_ENUM -> {
        ProtocolConfiguration.Builder config = ProtocolConfiguration.newBuilder();
        int bogus = 5 + random.nextInt(120);
        if (random.nextBoolean()) {
          config.setRequestBodyModeValue(bogus).setResponseBodyMode(response);
        } else {
          config.setRequestBodyMode(request).setResponseBodyModeValue(bogus);
        }
        frames.add(headers(true, false).toBuilder().setProtocolConfig(config).build(), "request headers, protocol_config " + config.toString().replace('\n', ' '));
        plausibleRest(random, frames, request, response);
      }
      default -> {
        frames.add(first(request, response), "request headers, modes " + request + "/" + response);
        plausibleRest(random, frames, request, response);
        mutate(kind, random, frames);
      }
    }
    return frames.build(kind, ending);
  }

  private FuzzCase.Kind kind(Random random) {
    int pick = random.nextInt(totalWeight);
    for (FuzzCase.Kind kind : kinds) {
      pick -= weight(kind);
      if (pick < 0) {
        return kind;
      }
    }
    throw new AssertionError("weights");
  }

  private static FuzzCase.Ending ending(Random random) {
    int pick = random.nextInt(10);
    return pick < 7 ? FuzzCase.Ending.HALF_CLOSE : pick < 9 ? FuzzCase.Ending.CANCEL : FuzzCase.Ending.CANCEL_AFTER_REPLY;
  }

  /** The rest of an exchange as Envoy would send it in these modes (without waiting for replies). */
  private static void plausibleRest(Random random, Frames frames, BodySendMode request, BodySendMode response) {
    boolean trailers = random.nextInt(4) == 0;
    body(random, frames, true, request, trailers);
    frames.add(headers(false, false), "response headers");
    body(random, frames, false, response, trailers && random.nextBoolean());
  }

  private static void body(Random random, Frames frames, boolean request, BodySendMode mode, boolean trailers) {
    String side = request ? "request" : "response";
    if (mode != BodySendMode.NONE) {
      int chunks = mode == BodySendMode.STREAMED || mode == BodySendMode.FULL_DUPLEX_STREAMED ? 1 + random.nextInt(4) : 1;
      for (int i = 0; i < chunks; i++) {
        boolean last = i == chunks - 1 && !trailers;
        int size = random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(3000);
        frames.add(body(request, bytes(random, size), last), side + " body " + size + " B" + (last ? ", end" : ""));
      }
    }
    if (trailers) {
      frames.add(trailers(request), side + " trailers");
    }
  }

  /** Any message type, any state, any end-of-stream flag, sometimes a second protocol_config. */
  private static void shuffled(Random random, Frames frames, BodySendMode request, BodySendMode response) {
    int count = 1 + random.nextInt(10);
    for (int i = 0; i < count; i++) {
      boolean isRequest = random.nextBoolean();
      boolean end = random.nextInt(3) == 0;
      String side = isRequest ? "request" : "response";
      ProcessingRequest message;
      String label;
      switch (random.nextInt(3)) {
        case 0 -> {
          message = headers(isRequest, end);
          label = side + " headers" + (end ? ", end" : "");
        }
        case 1 -> {
          int size = random.nextInt(2000);
          message = body(isRequest, bytes(random, size), end);
          label = side + " body " + size + " B" + (end ? ", end" : "");
        }
        default -> {
          message = trailers(isRequest);
          label = side + " trailers";
        }
      }
      if ((i == 0 && random.nextInt(4) != 0) || random.nextInt(12) == 0) {
        message = message.toBuilder().setProtocolConfig(modes(request, response)).build();
        label += ", modes " + request + "/" + response;
      }
      frames.add(message, label);
    }
  }

  private void mutate(FuzzCase.Kind kind, Random random, Frames frames) {
    int at = random.nextInt(frames.size());
    byte[] frame = frames.bytes.get(at);
    switch (kind) {
      case UNKNOWN_FIELDS -> frames.replace(at, withUnknownField(random, frame), "+ unknown field");
      case TRUNCATED -> {
        int keep = frame.length == 0 ? 0 : random.nextInt(frame.length);
        byte[] cut = new byte[keep];
        System.arraycopy(frame, 0, cut, 0, keep);
        frames.replace(at, cut, "truncated to " + keep + " B");
      }
      case GARBAGE -> {
        byte[] garbage = random.nextInt(3) == 0 ? new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff} : bytes(random, 1 + random.nextInt(40)).toByteArray();
        frames.insert(at + (random.nextBoolean() ? 1 : 0), garbage, "garbage");
      }
      case BIT_FLIP -> {
        byte[] flipped = frame.clone();
        for (int i = 0, n = 1 + random.nextInt(3); i < n && flipped.length > 0; i++) {
          flipped[random.nextInt(flipped.length)] ^= (byte) (1 << random.nextInt(8));
        }
        frames.replace(at, flipped, "bytes flipped");
      }
      case OVERSIZE -> frames.insert(at + 1, body(true, ByteString.copyFrom(new byte[oversizeBytes]), false).toByteArray(), "request body of " + oversizeBytes + " B (over the inbound limit)");
      default -> { }
    }
  }

  private static byte[] withUnknownField(Random random, byte[] frame) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      out.write(frame);
      CodedOutputStream coded = CodedOutputStream.newInstance(out);
      int field = 1000 + random.nextInt(100_000);
      if (random.nextBoolean()) {
        coded.writeUInt64(field, random.nextLong());
      } else {
        coded.writeBytes(field, bytes(random, random.nextInt(64)));
      }
      coded.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static ProtocolConfiguration modes(BodySendMode request, BodySendMode response) {
    return ProtocolConfiguration.newBuilder().setRequestBodyMode(request).setResponseBodyMode(response).build();
  }

  static ProcessingRequest first(BodySendMode request, BodySendMode response) {
    return headers(true, false).toBuilder().setProtocolConfig(modes(request, response)).build();
  }

  static ProcessingRequest headers(boolean request, boolean endOfStream) {
    HttpHeaders headers =
        HttpHeaders.newBuilder()
            .setEndOfStream(endOfStream)
            .setHeaders(
                HeaderMap.newBuilder()
                    .addHeaders(header(request ? ":method" : ":status", request ? "POST" : "200"))
                    .addHeaders(header(request ? ":path" : "content-type", request ? "/fuzz" : "application/octet-stream")))
            .build();
    ProcessingRequest.Builder message = ProcessingRequest.newBuilder();
    return (request ? message.setRequestHeaders(headers) : message.setResponseHeaders(headers)).build();
  }

  static ProcessingRequest body(boolean request, ByteString data, boolean endOfStream) {
    HttpBody body = HttpBody.newBuilder().setBody(data).setEndOfStream(endOfStream).build();
    ProcessingRequest.Builder message = ProcessingRequest.newBuilder();
    return (request ? message.setRequestBody(body) : message.setResponseBody(body)).build();
  }

  static ProcessingRequest trailers(boolean request) {
    HttpTrailers trailers = HttpTrailers.newBuilder().setTrailers(HeaderMap.newBuilder().addHeaders(header("x-fuzz", "1"))).build();
    ProcessingRequest.Builder message = ProcessingRequest.newBuilder();
    return (request ? message.setRequestTrailers(trailers) : message.setResponseTrailers(trailers)).build();
  }

  private static HeaderValue header(String name, String value) {
    return HeaderValue.newBuilder().setKey(name).setRawValue(ByteString.copyFromUtf8(value)).build();
  }

  private static ByteString bytes(Random random, int size) {
    byte[] data = new byte[size];
    random.nextBytes(data);
    return ByteString.copyFrom(data);
  }

  /** Frames under construction, with their labels. */
  private static final class Frames {
    final List<byte[]> bytes = new ArrayList<>();
    final List<String> labels = new ArrayList<>();

    void add(ProcessingRequest message, String label) {
      bytes.add(message.toByteArray());
      labels.add(label);
    }

    void insert(int at, byte[] frame, String label) {
      bytes.add(at, frame);
      labels.add(at, label);
    }

    void replace(int at, byte[] frame, String note) {
      bytes.set(at, frame);
      labels.set(at, labels.get(at) + ", " + note);
    }

    int size() {
      return bytes.size();
    }

    FuzzCase build(FuzzCase.Kind kind, FuzzCase.Ending ending) {
      return new FuzzCase(kind, bytes, labels, ending);
    }
  }
}
