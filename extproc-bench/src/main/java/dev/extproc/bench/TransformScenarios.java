package dev.extproc.bench;

import com.google.protobuf.ByteString;
import dev.extproc.transforms.BodyTransform;
import dev.extproc.transforms.JsonMaskProcessorFactory;
import dev.extproc.transforms.JsonMaskRule;
import dev.extproc.transforms.JsonMaskTransform;
import dev.extproc.transforms.MatchRule;
import dev.extproc.transforms.RedactRule;
import dev.extproc.transforms.StreamingMatcher;
import dev.extproc.transforms.Utf8Boundaries;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The streaming-transform scenarios {@code redact} and {@code json-mask}: a generated body (text
 * with Luhn-valid card numbers; a JSON array of records with {@code password} fields) goes
 * through the processor, and then, in the same invocation, through pass-through; every route
 * (the baseline listener too) runs in both, so the report gives the processor's throughput
 * beside pass-through's and the baseline's. The expected response is computed here with the
 * library's own transforms, so every response is verified byte for byte.
 *
 * <p>The bodies are deterministic (a fixed seed) and written once per size into the media
 * directory; the file name's extension gives the upload's {@code content-type} ({@link
 * UploadDriver#contentTypeOf}).
 */
final class TransformScenarios {
  /** The scenario names. */
  static final List<String> NAMES = List.of("redact", "json-mask");

  /**
   * The body size when {@code --body-size} is not given. With the default concurrency it fits
   * /buffered on the bench's 64 MiB server heap, which holds every body whole there, about three
   * times over with redact (the chunk, its transformed copy, the reply): 2 x 8 MiB failed one
   * redact stream there with OutOfMemoryError (a clean 500) on the Serial-GC server, 4 x 16 MiB
   * failed pass-through too.
   */
  static final long DEFAULT_BODY_BYTES = 4L * 1024 * 1024;

  /** The default concurrency. */
  static final List<Integer> DEFAULT_CONCURRENCY = List.of(2);

  /** One Luhn-valid card number per this many bytes of the redact body. */
  static final int CARD_EVERY_BYTES = 4096;

  /** One JSON record, with one {@code password}, per about this many bytes of the json-mask body. */
  static final int RECORD_BYTES = 1024;

  private static final int CHUNK_BYTES = 64 * 1024;
  private static final long SEED = 14;

  private TransformScenarios() {}

  /** Returns the processor's plans and pass-through's, per concurrency, for {@code scenario}. */
  static List<ScenarioPlan> plans(BenchOptions options, List<Integer> concurrencies) throws IOException {
    long size = options.bodyBytes() == null ? DEFAULT_BODY_BYTES : options.bodyBytes();
    Files.createDirectories(options.mediaDir());
    Path body;
    ExpectedBody transformed;
    List<String> processor;
    String what;
    switch (options.scenario()) {
      case "redact" -> {
        body = generate(options.mediaDir().resolve("redact-v1-" + size + ".txt"), size, TransformScenarios::writeText);
        transformed = expected("the body with its card numbers masked (RedactRule.defaults())", body,
            () -> new Utf8Boundaries().andThen(cardMatcher()));
        processor = List.of("--processor", "redact");
        what = "text with one Luhn-valid card number per " + CARD_EVERY_BYTES + " bytes; redact, default rule "
            + "(card numbers, last four digits kept)";
      }
      case "json-mask" -> {
        if (size < 2L * RECORD_BYTES) {
          throw new IllegalArgumentException("body size: " + size + " (expected: >= " + 2 * RECORD_BYTES
              + " bytes for json-mask, which sends a JSON array of records)");
        }
        body = generate(options.mediaDir().resolve("json-mask-v1-" + size + ".json"), size, TransformScenarios::writeJson);
        transformed = expected("the body with its password values masked (JsonMaskTransform)", body,
            () -> new JsonMaskTransform(JsonMaskRule.parseList("password"), JsonMaskProcessorFactory.DEFAULT_MAX_HELD_BYTES,
                JsonMaskProcessorFactory.DEFAULT_MAX_TOKEN_BYTES));
        processor = List.of("--processor", "json-mask", "--json-mask-fields", "password");
        what = "a JSON array of records of about " + RECORD_BYTES + " bytes, each with a password; json-mask "
            + "--json-mask-fields password";
      }
      default -> throw new IllegalArgumentException("scenario: " + options.scenario() + " (expected: one of " + NAMES + ")");
    }
    ExpectedBody echoed = ExpectedBody.ofFile("the request body", body, size);
    List<ScenarioPlan> plans = new ArrayList<>();
    for (int c : concurrencies) {
      String suffix = concurrencies.size() > 1 ? "-c" + c : "";
      plans.add(new ScenarioPlan(options.scenario(), "c" + c, c + " concurrent uploads of " + Format.mib(size) + ": "
          + what + "; streaming echo.", options.routes(), c, body, size, transformed, echoed, size, false, processor,
          false, null, options.timeout()));
      plans.add(new ScenarioPlan(options.scenario(), "passthrough" + suffix, "The same " + c + " uploads through the "
          + "pass-through processor, for the ratio.", options.routes(), c, body, size, echoed, echoed, size, false,
          List.of("--processor", "passthrough"), false, null, options.timeout()));
    }
    return plans;
  }

  private static StreamingMatcher cardMatcher() {
    List<MatchRule> rules = new ArrayList<>();
    for (RedactRule rule : RedactRule.defaults()) {
      rules.add(rule.toMatchRule());
    }
    return new StreamingMatcher(rules);
  }

  /** Runs the file through a fresh transform in 64 KiB chunks and digests the output. */
  static ExpectedBody expected(String description, Path file, Supplier<BodyTransform> transform) throws IOException {
    MessageDigest sha256 = Digests.newSha256();
    long length = 0;
    byte[] buffer = new byte[CHUNK_BYTES];
    try (BodyTransform t = transform.get(); InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.readNBytes(buffer, 0, buffer.length)) > 0) {
        ByteString out = t.apply(ByteString.copyFrom(buffer, 0, n));
        out.asReadOnlyByteBufferList().forEach(sha256::update);
        length += out.size();
      }
      ByteString tail = t.finish();
      tail.asReadOnlyByteBufferList().forEach(sha256::update);
      length += tail.size();
    }
    return new ExpectedBody(description, length, sha256.digest());
  }

  /** Writes a body of exactly {@code size} bytes. */
  @FunctionalInterface
  interface BodyWriter {
    void write(OutputStream out, long size) throws IOException;
  }

  /** Returns {@code file}, generated once: the generators are deterministic. */
  static Path generate(Path file, long size, BodyWriter writer) throws IOException {
    if (Files.isRegularFile(file) && Files.size(file) == size) {
      return file;
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), CHUNK_BYTES)) {
      writer.write(out, size);
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return file;
  }

  /**
   * Lines of lower-case words; every {@value #CARD_EVERY_BYTES} bytes one Luhn-valid 16-digit card
   * number (as digits, or in groups of four). The last block is cut at {@code size}.
   */
  static void writeText(OutputStream out, long size) throws IOException {
    Random random = new Random(SEED);
    long written = 0;
    StringBuilder block = new StringBuilder(CARD_EVERY_BYTES);
    while (written < size) {
      block.setLength(0);
      block.append("paid with card ").append(cardNumber(random, random.nextBoolean())).append(" today.");
      while (block.length() < CARD_EVERY_BYTES - 1) {
        block.append(random.nextInt(9) == 0 ? ' ' : (char) ('a' + random.nextInt(26)));
      }
      block.setLength(CARD_EVERY_BYTES - 1);
      block.append('\n');
      byte[] bytes = block.toString().getBytes(StandardCharsets.US_ASCII);
      int n = (int) Math.min(bytes.length, size - written);
      out.write(bytes, 0, n);
      written += n;
    }
  }

  /** A Luhn-valid 16-digit number starting with 4, grouped by four when {@code spaced}. */
  static String cardNumber(Random random, boolean spaced) {
    int[] digits = new int[16];
    digits[0] = 4;
    for (int i = 1; i < 15; i++) {
      digits[i] = random.nextInt(10);
    }
    int sum = 0;
    for (int i = 0; i < 15; i++) {
      int d = digits[i];
      if (i % 2 == 0) { // doubled: every second digit counting from the check digit's left neighbour
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
    }
    digits[15] = (10 - sum % 10) % 10;
    StringBuilder number = new StringBuilder(19);
    for (int i = 0; i < 16; i++) {
      if (spaced && i > 0 && i % 4 == 0) {
        number.append(' ');
      }
      number.append(digits[i]);
    }
    return number.toString();
  }

  /**
   * A JSON array of records {@code {"id":N,"user":"...","password":"...","note":"..."}} of about
   * {@value #RECORD_BYTES} bytes, the last one's note sized so that the body is exactly {@code
   * size} bytes.
   */
  static void writeJson(OutputStream out, long size) throws IOException {
    Random random = new Random(SEED);
    out.write('[');
    long left = size - 2; // '[' and ']'
    for (int id = 0; ; id++) {
      String head = "{\"id\": " + id + ", \"user\": \"user" + id + "\", \"password\": \"pw-" + Long.toHexString(random.nextLong())
          + "\", \"note\": \"";
      String tail = "\"}";
      boolean last = left < 2L * RECORD_BYTES;
      int noteLength = (int) (last ? left - head.length() - tail.length() : RECORD_BYTES - head.length() - tail.length() - 2);
      StringBuilder record = new StringBuilder(head);
      for (int i = 0; i < noteLength; i++) {
        record.append(random.nextInt(9) == 0 ? ' ' : (char) ('a' + random.nextInt(26)));
      }
      record.append(tail).append(last ? "" : ",\n");
      byte[] bytes = record.toString().getBytes(StandardCharsets.US_ASCII);
      out.write(bytes);
      left -= bytes.length;
      if (last) {
        break;
      }
    }
    out.write(']');
  }
}
