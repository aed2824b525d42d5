package dev.extproc.transforms;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Masks or drops named fields of a JSON body of any size, streaming: Jackson's non-blocking parser
 * finds the tokens, and the output is the input bytes themselves, cut and spliced only where a
 * field is masked or dropped, so everything else (whitespace, number spelling, escapes, key
 * order) stays byte for byte.
 *
 * <p>Holding back: inside an object or array, the bytes after a value (the comma, whitespace) are
 * held until the next token shows whether the next member is dropped or the next element masked;
 * so are the bytes between a masked name and its value. Memory: those bytes (at most {@code maxHeldBytes}, else 400), the token being
 * parsed (Jackson keeps one whole string or number; at most {@code maxTokenBytes}, else 400),
 * one stack entry per nesting level (Jackson's limit: 1000), and a 32 KiB array Jackson is fed
 * from. The output refers to the input chunk's bytes (slices, not copies), so a whole-body chunk
 * (BUFFERED) is not copied.
 *
 * <p>Malformed or truncated JSON, and invalid UTF-8 inside it, throw {@link TransformException} with
 * status 400 naming the byte offset.
 */
public final class JsonMaskTransform implements BodyTransform {
  static final ByteString MASK = ByteString.copyFromUtf8("\"***\"");

  /**
   * Jackson is fed the chunk in slices of this size, copied into one reusable array: a whole-body
   * chunk (BUFFERED) then costs no second copy of itself.
   */
  private static final int FEED_BYTES = 32 * 1024;

  private enum Mode { COPY, AWAIT_MASKED_VALUE, SKIP_VALUE }

  /** One open object or array. */
  private static final class Level {
    final boolean object;
    final String pointer;
    String name;
    int index = -1;
    boolean keptMember;
    boolean dropSeparator;

    Level(boolean object, String pointer) {
      this.object = object;
      this.pointer = pointer;
    }

    String childPointer() {
      return pointer + "/" + (object ? escape(name) : Integer.toString(index));
    }
  }

  private final List<JsonMaskRule> rules;
  private final int maxHeldBytes;
  private final JsonParser parser;
  private final ByteArrayFeeder feeder;
  private final Deque<Level> levels = new ArrayDeque<>();
  private final byte[] feed = new byte[FEED_BYTES];
  /** The output of the current call: slices of the input and masks, concatenated without copying. */
  private ByteString out;
  private ByteString window = ByteString.EMPTY; // bytes [windowStart, fed)
  private long windowStart;
  private long fed;
  private long emitted; // bytes before this are decided (written or skipped)
  private long holdFrom = -1; // when >= 0, nothing at or after it may be written yet
  private Mode mode = Mode.COPY;
  private int skipDepth;
  private long masked;
  private long dropped;

  public JsonMaskTransform(List<JsonMaskRule> rules, int maxHeldBytes, int maxTokenBytes) {
    this.rules = List.copyOf(rules);
    this.maxHeldBytes = maxHeldBytes;
    JsonFactory factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxStringLength(maxTokenBytes).maxNumberLength(Math.min(maxTokenBytes, 100_000)).build())
        .build();
    try {
      this.parser = factory.createNonBlockingByteArrayParser();
    } catch (IOException e) {
      throw new IllegalStateException("cannot create Jackson's non-blocking parser", e);
    }
    this.feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
  }

  /** Returns how many values were masked so far. */
  public long maskedCount() {
    return masked;
  }

  /** Returns how many members were dropped so far. */
  public long droppedCount() {
    return dropped;
  }

  @Override
  public ByteString apply(ByteString chunk) {
    out = ByteString.EMPTY;
    window = window.concat(chunk);
    try {
      // The non-blocking parser has consumed a slice once it reports NOT_AVAILABLE (it copies a
      // partial token into its own buffer), so the same array can take the next slice.
      for (int at = 0; at < chunk.size(); at += FEED_BYTES) {
        int n = Math.min(FEED_BYTES, chunk.size() - at);
        chunk.substring(at, at + n).copyTo(feed, 0);
        feeder.feedInput(feed, 0, n);
        fed += n;
        drain();
      }
    } catch (IOException e) {
      throw malformed(e);
    }
    settle();
    return out;
  }

  @Override
  public ByteString finish() {
    out = ByteString.EMPTY;
    feeder.endOfInput();
    try {
      drain();
      if (!levels.isEmpty() || mode != Mode.COPY) {
        throw new TransformException(400, "json-mask: truncated JSON: the body ends inside a value (at byte " + fed + ")");
      }
    } catch (IOException e) {
      throw malformed(e);
    } finally {
      close();
    }
    holdFrom = -1;
    settle();
    return out;
  }

  @Override
  public void close() {
    try {
      parser.close();
    } catch (IOException e) {
      // nothing held outside the heap
    }
  }

  private void drain() throws IOException {
    JsonToken token;
    while ((token = parser.nextToken()) != null && token != JsonToken.NOT_AVAILABLE) {
      onToken(token, parser.currentLocation().getByteOffset());
    }
  }

  private void onToken(JsonToken token, long end) throws IOException {
    if (mode == Mode.SKIP_VALUE) {
      if (token.isStructStart()) {
        skipDepth++;
      } else if (token.isStructEnd()) {
        skipDepth--;
      }
      if (skipDepth == 0) {
        mode = Mode.COPY;
        emitted = end;
        afterValue(end);
      }
      return;
    }
    if (mode == Mode.AWAIT_MASKED_VALUE) {
      long start = valueStart(emitted);
      writeUpTo(start);
      out = out.concat(MASK);
      masked++;
      startSkip(token, start, end);
      return;
    }
    Level level = levels.peek();
    if (token == JsonToken.FIELD_NAME) {
      level.name = parser.currentName();
      String pointer = level.childPointer();
      JsonMaskRule rule = ruleFor(level.name, pointer);
      if (level.dropSeparator) {
        // The object's first kept member follows dropped ones: cut the comma before it.
        level.dropSeparator = false;
        long quote = valueStart(emitted);
        emitted = quote;
      }
      if (rule != null && rule.drop()) {
        dropped++;
        long from = level.keptMember ? holdFrom : emitted;
        if (!level.keptMember) {
          level.dropSeparator = true;
        }
        writeUpTo(from);
        mode = Mode.SKIP_VALUE;
        skipDepth = 0; // the value comes next
        emitted = from;
        holdFrom = -1;
        return;
      }
      level.keptMember = true;
      holdFrom = -1;
      writeUpTo(end);
      if (rule != null) {
        mode = Mode.AWAIT_MASKED_VALUE;
        holdFrom = end;
      }
      return;
    }
    if (level != null && !level.object && !token.isStructEnd()) {
      level.index++;
      JsonMaskRule rule = ruleFor(null, level.childPointer());
      if (rule != null) {
        long start = valueStart(emitted);
        writeUpTo(start);
        out = out.concat(MASK);
        masked++;
        startSkip(token, start, end);
        return;
      }
    }
    if (token.isStructStart()) {
      String pointer = level == null ? "" : level.childPointer();
      levels.push(new Level(token == JsonToken.START_OBJECT, pointer));
      holdFrom = -1;
      writeUpTo(end);
      holdFrom = end;
      return;
    }
    if (token.isStructEnd()) {
      levels.pop();
      holdFrom = -1;
      writeUpTo(end);
      afterValue(end);
      return;
    }
    holdFrom = -1;
    writeUpTo(end);
    afterValue(end);
  }

  /**
   * A value of the innermost level ended at {@code end}: inside an object or array, hold what
   * follows it until the next token says whether it is dropped or masked.
   */
  private void afterValue(long end) {
    if (!levels.isEmpty()) {
      holdFrom = end;
    }
  }

  private void startSkip(JsonToken token, long start, long end) {
    if (token.isStructStart()) {
      mode = Mode.SKIP_VALUE;
      skipDepth = 1;
      emitted = start;
    } else {
      mode = Mode.COPY;
      emitted = end;
      holdFrom = -1;
      afterValue(end);
    }
  }

  private JsonMaskRule ruleFor(String name, String pointer) {
    for (JsonMaskRule rule : rules) {
      if (rule.pointer() ? rule.field().equals(pointer) : rule.field().equals(name)) {
        return rule;
      }
    }
    return null;
  }

  /** Returns the offset of the first byte at or after {@code from} that is not whitespace, ':' or ','. */
  private long valueStart(long from) {
    for (long at = from; at < fed; at++) {
      byte b = window.byteAt((int) (at - windowStart));
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n' && b != ':' && b != ',') {
        return at;
      }
    }
    return fed;
  }

  private void writeUpTo(long to) {
    if (to > emitted) {
      out = out.concat(window.substring((int) (emitted - windowStart), (int) (to - windowStart)));
      emitted = to;
    }
  }

  /** After a chunk: write what is decided, skip what is being skipped, keep the rest (bounded). */
  private void settle() {
    if (mode == Mode.SKIP_VALUE) {
      emitted = fed;
    } else if (mode == Mode.COPY) {
      writeUpTo(holdFrom >= 0 ? holdFrom : fed);
    }
    long keep = fed - emitted;
    if (keep > maxHeldBytes) {
      throw new TransformException(400, "json-mask: more than " + maxHeldBytes
          + " bytes between two tokens (whitespace or a field name) at byte " + emitted);
    }
    window = ByteString.copyFrom(window.substring((int) (emitted - windowStart)).toByteArray());
    windowStart = emitted;
  }

  private TransformException malformed(IOException e) {
    close();
    String message = e.getMessage() == null ? e.toString() : e.getMessage().split("\n")[0];
    return new TransformException(400, "json-mask: malformed JSON: " + message, e);
  }

  static String escape(String name) {
    return name.replace("~", "~0").replace("/", "~1");
  }
}
