package dev.extproc.examples;

import com.google.protobuf.ByteString;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.Processing;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks every run of 16 digits (a card number) with {@code *}, even when the number is split
 * across chunks. It keeps the last 15 bytes of each chunk back — a match that starts there cannot
 * be complete yet — and writes them with the next chunk or in {@link #onEnd}. The worked example of
 * {@code docs/writing-processors.md}.
 */
final class CardNumberRedactor implements DirectionProcessor {
  private static final Pattern CARD = Pattern.compile("[0-9]{16}");
  private static final int HELD = 16 - 1;

  private String carry = ""; // ISO-8859-1: one char per byte, so any bytes round-trip exactly

  @Override
  public boolean holdsBack() {
    return true; // onEnd writes the tail: the engine must still be able to deliver it
  }

  @Override
  public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
    String text = carry + chunk.toString(StandardCharsets.ISO_8859_1);
    StringBuilder out = new StringBuilder(text.length());
    Matcher match = CARD.matcher(text);
    int emitted = 0;
    while (match.find()) {
      out.append(text, emitted, match.start()).append("*".repeat(16));
      emitted = match.end();
    }
    // Bytes before `keep` cannot begin a match that later bytes would complete.
    int keep = Math.max(emitted, text.length() - HELD);
    out.append(text, emitted, keep);
    carry = text.substring(keep);
    return ctx.write(ByteString.copyFrom(out.toString(), StandardCharsets.ISO_8859_1));
  }

  @Override
  public CompletionStage<Void> onEnd(DirectionContext ctx) {
    String tail = carry;
    carry = "";
    return tail.isEmpty() ? Processing.done() : ctx.write(ByteString.copyFrom(tail, StandardCharsets.ISO_8859_1));
  }
}
