package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TryCommandsTest {

  private static TryCommands tries(List<String> serverArgs) {
    return new TryCommands(URI.create("http://127.0.0.1:41234"), URI.create("http://127.0.0.1:41235"),
        Optional.of(URI.create("http://127.0.0.1:41236")), serverArgs);
  }

  @Test
  void curlLines_useTheStacksRealPorts() {
    List<String> lines = tries(List.of()).lines();

    assertThat(lines.get(0)).startsWith("export EXTPROC=http://127.0.0.1:41234 ");
    assertThat(lines).anyMatch(l -> l.startsWith("curl -sS --data-binary @/tmp/body.bin http://127.0.0.1:41234/full-duplex-streamed"));
    assertThat(lines).anyMatch(l -> l.equals("curl -sS 'http://127.0.0.1:41235/stats?filter=ext_proc'"));
    assertThat(lines).anyMatch(l -> l.equals("curl -sS http://127.0.0.1:41236/stats"));
    assertThat(String.join("\n", lines)).doesNotContain("18080");
  }

  @Test
  void withoutReplace_theEchoedDigestIsPromised() {
    assertThat(tries(List.of("--processor=capture")).lines())
        .anyMatch(l -> l.contains("the same digest as the line above"))
        .noneMatch(l -> l.contains("replace is on"));
  }

  @Test
  void withReplace_theReplacementsDigestIsPromised_notTheUploads() {
    List<String> lines = tries(List.of("--processor=capture,replace", "--replace-request-body", "media/req.mp4",
        "--replace-response-body=media/resp.mp4")).lines();

    assertThat(lines).noneMatch(l -> l.contains("the same digest"));
    assertThat(lines).anyMatch(l -> l.contains("replace is on: prints sha256 of media/resp.mp4"));
    assertThat(lines).contains("sha256sum media/resp.mp4   # what the curls above print");
  }

  @Test
  void withOnlyARequestReplacement_theEchoReturnsIt() {
    assertThat(tries(List.of("--processor", "replace", "--replace-request-body=req.bin")).replacementServedBack())
        .hasValue("req.bin");
  }
}
