package dev.extproc.app.fuzz;

import java.util.HexFormat;
import java.util.List;

/**
 * One generated stream: the raw frames sent in order, how the client ends the stream, and a
 * human-readable line per frame (what it is meant to be), for reporting a finding.
 *
 * @param kind what family of input the case belongs to
 * @param frames the messages, as raw bytes
 * @param labels one description per frame
 * @param ending how the client ends the stream after the last frame
 */
public record FuzzCase(Kind kind, List<byte[]> frames, List<String> labels, Ending ending) {

  /** The families of input; each is generated for every body mode. */
  public enum Kind {
    /** A well-formed exchange in the right order (the engine must answer it, or fail it cleanly). */
    PLAUSIBLE,
    /** Messages of every type in random order and states, random end-of-stream flags. */
    SHUFFLED,
    /** Well-formed messages carrying fields this protocol version does not know. */
    UNKNOWN_FIELDS,
    /** A protocol_config with a body or header mode number that does not exist. */
    UNKNOWN_ENUM,
    /** A plausible exchange with one frame cut short. */
    TRUNCATED,
    /** A plausible exchange with one frame replaced by random bytes (the issue's {@code ff ff ff}). */
    GARBAGE,
    /** A plausible exchange with bytes of one frame flipped. */
    BIT_FLIP,
    /** A body message larger than the server's inbound limit. */
    OVERSIZE,
    /** No message at all. */
    EMPTY
  }

  /** How the client ends the stream. */
  enum Ending {
    /** Half-closes and waits for the server's status. */
    HALF_CLOSE,
    /** Cancels right after sending. */
    CANCEL,
    /** Cancels after the first reply (or the server's end, whichever comes first). */
    CANCEL_AFTER_REPLY
  }

  public FuzzCase {
    frames = List.copyOf(frames);
    labels = List.copyOf(labels);
    if (frames.size() != labels.size()) {
      throw new IllegalArgumentException("frames " + frames.size() + " != labels " + labels.size());
    }
  }

  /** Returns the total bytes of the frames. */
  long bytes() {
    long total = 0;
    for (byte[] frame : frames) {
      total += frame.length;
    }
    return total;
  }

  /** Returns the sequence, one frame a line, with the first bytes of each in hex. */
  String describe() {
    StringBuilder out = new StringBuilder(kind + ", then " + ending + ":\n");
    for (int i = 0; i < frames.size(); i++) {
      byte[] frame = frames.get(i);
      int shown = Math.min(frame.length, 24);
      out.append("  ").append(i + 1).append(". ").append(labels.get(i)).append(" (").append(frame.length)
          .append(" B: ").append(HexFormat.ofDelimiter(" ").formatHex(frame, 0, shown))
          .append(frame.length > shown ? " ..." : "").append(")\n");
    }
    return out.toString();
  }
}
