package dev.extproc.app;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The ready-to-paste commands {@code extproc up} prints: curl lines with the stack's real ports, and
 * what each should print. With the replace processor on, a response is the replacement, not an echo
 * of the upload, so the lines say which file's digest to expect instead of promising the upload's.
 *
 * @param extProc the ext_proc listener, {@code http://host:port}
 * @param envoyAdmin Envoy's admin address
 * @param extProcAdmin the ext_proc server's admin address, if the stack runs one
 * @param serverArgs the ext_proc server's extra arguments (where the processors are chosen)
 */
record TryCommands(URI extProc, URI envoyAdmin, Optional<URI> extProcAdmin, List<String> serverArgs) {

  private static final String BODY = "/tmp/body.bin";

  /** Returns the lines to print, without the heading. */
  List<String> lines() {
    List<String> lines = new ArrayList<>();
    String ext = base(extProc);
    Optional<String> expected = replacementServedBack();
    String digestNote = expected
        .map(file -> "   # replace is on: prints sha256 of " + file + ", not of the upload")
        .orElse("   # the echo streams the body back: the same digest as the line above");
    lines.add("export EXTPROC=" + ext + "   # the ext_proc listener, for the README's curl lines");
    lines.add("curl -sS --data-binary 'hello' " + ext + "/streamed"
        + (expected.isPresent() ? "   # replace is on: prints the replacement, not hello" : "   # prints hello"));
    lines.add("head -c 10000000 /dev/urandom > " + BODY + " && sha256sum " + BODY);
    lines.add("curl -sS --data-binary @" + BODY + " " + ext + "/full-duplex-streamed | sha256sum" + digestNote);
    lines.add("curl -sS -H 'transfer-encoding: chunked' --data-binary @" + BODY + " " + ext + "/buffered | sha256sum");
    lines.add("curl -sS --http2-prior-knowledge --data-binary @" + BODY + " " + ext + "/streamed | sha256sum");
    expected.ifPresent(file -> lines.add("sha256sum " + file + "   # what the curls above print"));
    lines.add("curl -sS '" + base(envoyAdmin) + "/stats?filter=ext_proc'");
    extProcAdmin.ifPresent(admin -> lines.add("curl -sS " + base(admin) + "/stats"));
    return lines;
  }

  /**
   * Returns the file whose bytes come back when the replace processor is on: the response
   * replacement if set, else the request replacement (the echo returns it).
   */
  Optional<String> replacementServedBack() {
    boolean replace = value("--processor").map(p -> List.of(p.split(",")).contains("replace")).orElse(false);
    if (!replace) {
      return Optional.empty();
    }
    return value("--replace-response-body").or(() -> value("--replace-request-body"));
  }

  /** Returns the last value of {@code option} in the server arguments ({@code --o=v} or {@code --o v}). */
  private Optional<String> value(String option) {
    String found = null;
    for (int i = 0; i < serverArgs.size(); i++) {
      String arg = serverArgs.get(i);
      if (arg.startsWith(option + "=")) {
        found = arg.substring(option.length() + 1);
      } else if (arg.equals(option) && i + 1 < serverArgs.size()) {
        found = serverArgs.get(++i);
      }
    }
    return Optional.ofNullable(found);
  }

  private static String base(URI uri) {
    String s = uri.toString();
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
